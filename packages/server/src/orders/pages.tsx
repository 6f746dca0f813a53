import { Hono, type Context } from 'hono';
import { z } from 'zod';
import type { Vocabulary } from '@paystate/core';
import type { Services } from '../app/services.js';
import { PaystateError } from '../errors.js';
import { customerPageHeaders, pickLanguage } from '../http/customer-page.js';
import { idSchema } from '../http/validate.js';
import { notFoundPage } from '../app/site-pages.js';
import { StatusPage, type PayProblem, type StatusPageLanguage } from './status-page.js';
import { statusView } from './status-view.js';
import type { OrderRecord } from './store.js';
import { orderPageDocs } from './openapi.js';

const languages = ['ru', 'en'] as const satisfies readonly StatusPageLanguage[];

export const payFormSchema = z.object({
  lang: z.enum(languages).optional(),
  payer_msisdn: z
    .string()
    .trim()
    .regex(/^[1-9][0-9]{7,14}$/)
    .optional()
    .catch(undefined),
});

/** Which notice the page shows after Pay did not reach a provider payment. */
const problemOfError: Record<string, PayProblem> = {
  payer_required: 'phone_needed',
  provider_timeout: 'unavailable',
  provider_error: 'unavailable',
  provider_unavailable: 'unavailable',
  payment_in_progress: 'in_progress',
};
const problemSchema = z.enum(['unavailable', 'phone_needed', 'in_progress']).nullable().catch(null);

/** The view a customer sees; `final` needs the outbox, asked only for a refund. */
export async function customerView(services: Services, record: OrderRecord, vocabulary: Vocabulary) {
  const final = record.status === 'refunded' && !(await services.store.hasPendingEffects(record.order.orderId));
  return statusView(record, await services.store.getDevice(record.order.deviceId), vocabulary, final);
}

/**
 * The pages a customer opens from the machine's QR code or the provider's return link, and the
 * Pay button behind them. The return URL never marks anything paid (rule 9): it shows the page.
 */
export function orderPages(services: Services) {
  const app = new Hono();
  const vocabulary: Vocabulary = services.settings.FULFILMENT === 'tickets' ? 'tickets' : 'drinks';

  async function findOrder(c: Context): Promise<OrderRecord | null> {
    const id = idSchema.safeParse(c.req.param('id'));
    return id.success ? services.store.getOrder(id.data) : null;
  }

  async function page(c: Context) {
    const record = await findOrder(c);
    if (!record) return notFoundPage(c);
    const lang = pickLanguage(c, languages);
    const nonce = customerPageHeaders(c);
    const view = await customerView(services, record, vocabulary);
    const problem = view.can_pay ? problemSchema.parse(c.req.query('problem') ?? null) : null;
    return c.html(<StatusPage view={view} lang={lang} vocabulary={vocabulary} nonce={nonce} problem={problem} />);
  }
  app.get('/orders/:id', orderPageDocs.page, page);
  app.get('/orders/:id/return', orderPageDocs.returnPage, page);

  // The Pay button: starts the provider payment, or presents the one the order already has,
  // and sends the phone there. Any refusal comes back to the page, which says what to do.
  app.post('/orders/:id/pay', orderPageDocs.pay, async (c) => {
    const record = await findOrder(c);
    if (!record) return notFoundPage(c);
    const form = payFormSchema.parse(await c.req.parseBody().catch(() => ({})));
    const lang = form.lang ?? pickLanguage(c, languages);
    const back = (problem?: PayProblem) =>
      c.redirect(`/orders/${record.order.orderId}?lang=${lang}${problem ? `&problem=${problem}` : ''}`, 303);
    try {
      const payment = await services.orders.pay(
        record.order.orderId,
        form.payer_msisdn ? { payerMsisdn: form.payer_msisdn } : {},
      );
      return c.redirect(payment.confirmationUrl, 303);
    } catch (error) {
      if (error instanceof PaystateError) return back(problemOfError[error.code]);
      throw error;
    }
  });

  return app;
}
