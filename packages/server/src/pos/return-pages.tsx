import { Hono, type Context } from 'hono';
import type { Services } from '../app/services.js';
import { notFoundPage } from '../app/site-pages.js';
import { PaystateError } from '../errors.js';
import { customerPageHeaders, pickLanguage } from '../http/customer-page.js';
import { idSchema } from '../http/validate.js';
import { ReturnPage } from './return-page.js';
import { returnView, type ReturnPageLanguage } from './return-view.js';
import { posReturnDocs } from './openapi.js';

const languages = ['fr', 'en'] as const satisfies readonly ReturnPageLanguage[];

/**
 * The page a provider sends a POS customer back to, and the JSON it follows. Public: whoever
 * holds the link sees the amount and what happened to it, nothing else; it never changes a payment.
 */
export function posReturnRoutes(services: Services) {
  const app = new Hono();

  async function find(c: Context) {
    const merchantId = idSchema.safeParse(c.req.param('merchantId'));
    const paymentId = idSchema.safeParse(c.req.param('paymentId'));
    if (!merchantId.success || !paymentId.success) return null;
    try {
      const { payment, refunds } = await services.pos.getPayment(merchantId.data, paymentId.data);
      const merchant = await services.merchants.get(merchantId.data);
      return returnView(payment, refunds, merchant.name);
    } catch (error) {
      if (error instanceof PaystateError && error.kind === 'not_found') return null;
      throw error;
    }
  }

  app.get('/pos/:merchantId/payments/:paymentId/return', posReturnDocs.page, async (c) => {
    const view = await find(c);
    if (!view) return notFoundPage(c);
    const nonce = customerPageHeaders(c);
    return c.html(<ReturnPage view={view} lang={pickLanguage(c, languages)} nonce={nonce} />);
  });

  app.get('/pos/:merchantId/payments/:paymentId/status', posReturnDocs.status, async (c) => {
    const view = await find(c);
    c.header('Cache-Control', 'no-store');
    if (!view) throw new PaystateError('not_found', 'payment_not_found', 'no such payment');
    return c.json(view);
  });

  return app;
}
