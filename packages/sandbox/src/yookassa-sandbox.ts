import { randomUUID, timingSafeEqual } from 'node:crypto';
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { fromDecimalString, toDecimalString, type Money } from '@paystate/core';
import { FaultPlan, faultSchema } from './faults.js';
import { deliver, InFlight, type Delivery } from './notify.js';
import { bookEntry, type BookEntry, type KeepsBooks } from './books.js';
import { startOnLoopback, type LoopbackServer } from './serve.js';

export type SandboxPaymentStatus = 'pending' | 'waiting_for_capture' | 'succeeded' | 'canceled';

export interface SandboxPayment {
  id: string;
  status: SandboxPaymentStatus;
  amount: Money;
  refunded: Money;
  description: string;
  returnUrl: string;
  orderId: string | null;
  createdAt: string;
}

export interface YooKassaSandboxOptions {
  shopId: string;
  secretKey: string;
  /** Where notifications go (paystate's /v1/webhooks/yookassa); none are sent while unset. */
  webhookUrl?: string;
}

const amountSchema = z.object({ value: z.string(), currency: z.string() });

const createSchema = z.object({
  amount: amountSchema,
  capture: z.boolean().optional(),
  confirmation: z.object({ type: z.literal('redirect'), return_url: z.url() }),
  description: z.string().max(128).optional(),
  metadata: z.record(z.string(), z.string()).optional(),
});

const refundSchema = z.object({ payment_id: z.string(), amount: amountSchema });

/**
 * A YooKassa v3 twin for the demo and tests: payments with Basic auth and Idempotence-Key, a
 * checkout page the customer "pays" on, notifications with retries, refunds, and faults on demand.
 */
export class YooKassaSandbox implements KeepsBooks {
  readonly app = new Hono();
  readonly faults = new FaultPlan();
  readonly payments = new Map<string, SandboxPayment>();
  readonly deliveries: Delivery[] = [];
  /** GET /v3/payments/:id requests per payment id, faulted ones included: how often paystate checked. */
  readonly checks = new Map<string, number>();
  /** POST /v3/refunds requests per payment id that got past the faults, replays included: how often paystate asked. */
  readonly refundCalls = new Map<string, number>();
  webhookUrl: string | undefined;
  private baseUrl = '';
  private readonly idempotent = new Map<string, { body: string; response: unknown }>();
  private readonly inFlight = new InFlight();

  constructor(private readonly options: YooKassaSandboxOptions) {
    this.webhookUrl = options.webhookUrl;
    this.routes();
  }

  async start(port = 0): Promise<LoopbackServer & { apiUrl: string }> {
    const server = await startOnLoopback(this.app, port);
    this.baseUrl = server.url;
    return { ...server, apiUrl: `${server.url}/v3` };
  }

  /** Moves a payment as YooKassa would and (by default) notifies paystate about it. */
  async setStatus(id: string, status: SandboxPaymentStatus, notify = true): Promise<void> {
    const payment = this.payment(id);
    payment.status = status;
    if (notify && status !== 'pending') await this.notify(`payment.${status}`, this.paymentJson(payment));
  }

  /** Sends a notification body as is: also how a test plays a forger. */
  notify(event: string, object: unknown): Promise<boolean> {
    if (!this.webhookUrl) return Promise.resolve(false);
    const sending = deliver(this.webhookUrl, { type: 'notification', event, object }, this.deliveries);
    this.inFlight.track(sending);
    return sending;
  }

  /** The provider's books (docs/architecture.md section 9): per payment, captured once succeeded, and refunded. */
  books(): BookEntry[] {
    return [...this.payments.values()].map((p) =>
      bookEntry(p.id, p.orderId, p.amount, p.status === 'succeeded', p.refunded.amountMinor, p.status),
    );
  }

  /** Resolves once every notification in flight got its final answer. */
  async settled(): Promise<void> {
    await this.inFlight.settled();
  }

  payment(id: string): SandboxPayment {
    const payment = this.payments.get(id);
    if (!payment) throw new Error(`sandbox has no payment ${id}`);
    return payment;
  }

  paymentFor(orderId: string): SandboxPayment | undefined {
    return [...this.payments.values()].find((payment) => payment.orderId === orderId);
  }

  paymentJson(payment: SandboxPayment) {
    return {
      id: payment.id,
      status: payment.status,
      paid: payment.status === 'succeeded' || payment.status === 'waiting_for_capture',
      amount: { value: toDecimalString(payment.amount), currency: payment.amount.currency },
      refunded_amount: { value: toDecimalString(payment.refunded), currency: payment.refunded.currency },
      confirmation: {
        type: 'redirect',
        confirmation_url: `${this.baseUrl}/checkout/${payment.id}`,
        return_url: payment.returnUrl,
      },
      description: payment.description,
      metadata: payment.orderId ? { order_id: payment.orderId } : {},
      created_at: payment.createdAt,
      test: true,
    };
  }

  private routes(): void {
    const api = new Hono();
    api.use('*', async (c, next) => {
      if (!this.authorised(c.req.header('authorization')))
        return apiError(c, 401, 'invalid_credentials', 'bad shop id or secret key');
      await next();
    });

    api.post('/payments', async (c) => {
      const injected = await this.faults.apply('create', c);
      if (injected) return injected;
      const response = await this.idempotently(c, async (body) => {
        const parsed = createSchema.safeParse(body);
        if (!parsed.success)
          return [400, errorJson('invalid_request', parsed.error.issues[0]?.message ?? 'bad request')];
        const amount = moneyOf(parsed.data.amount);
        if (!amount) return [400, errorJson('invalid_request', 'amount.value is not a valid amount')];
        const payment: SandboxPayment = {
          id: `${randomUUID()}`,
          status: 'pending',
          amount,
          refunded: { amountMinor: 0, currency: amount.currency },
          description: parsed.data.description ?? '',
          returnUrl: parsed.data.confirmation.return_url,
          orderId: parsed.data.metadata?.order_id ?? null,
          createdAt: new Date().toISOString(),
        };
        this.payments.set(payment.id, payment);
        return [200, this.paymentJson(payment)];
      });
      return (await this.faults.applyAfterEffect('create', c)) ?? response;
    });

    api.get('/payments/:id', async (c) => {
      this.checks.set(c.req.param('id'), (this.checks.get(c.req.param('id')) ?? 0) + 1);
      const injected = await this.faults.apply('get', c);
      if (injected) return injected;
      const payment = this.payments.get(c.req.param('id'));
      if (!payment) return apiError(c, 404, 'not_found', 'payment not found');
      return c.json(this.paymentJson(payment));
    });

    api.post('/refunds', async (c) => {
      const injected = await this.faults.apply('refund', c);
      if (injected) return injected;
      // Through Hono's cached text: a delayed fault may have read the body already (raw.clone() would throw).
      const asked = refundSchema.safeParse(parseJsonOrNull(await c.req.text()));
      if (asked.success)
        this.refundCalls.set(asked.data.payment_id, (this.refundCalls.get(asked.data.payment_id) ?? 0) + 1);
      const response = await this.idempotently(c, async (body) => {
        const parsed = refundSchema.safeParse(body);
        const payment = parsed.success ? this.payments.get(parsed.data.payment_id) : undefined;
        const amount = parsed.success ? moneyOf(parsed.data.amount) : null;
        if (!payment || !amount) return [400, errorJson('invalid_request', 'unknown payment or bad amount')];
        if (payment.status !== 'succeeded') return [400, errorJson('invalid_request', 'payment is not succeeded')];
        const left = payment.amount.amountMinor - payment.refunded.amountMinor;
        if (amount.currency !== payment.amount.currency || amount.amountMinor > left) {
          return [400, errorJson('invalid_request', 'refund exceeds the payment')];
        }
        payment.refunded = { ...payment.refunded, amountMinor: payment.refunded.amountMinor + amount.amountMinor };
        const refund = { id: randomUUID(), payment_id: payment.id, status: 'succeeded', amount: parsed.data!.amount };
        void this.notify('refund.succeeded', refund);
        return [200, refund];
      });
      return (await this.faults.applyAfterEffect('refund', c)) ?? response;
    });

    this.app.route('/v3', api);

    // The page a customer sees after following confirmation_url.
    this.app.get('/checkout/:id', (c) => {
      const payment = this.payments.get(c.req.param('id'));
      if (!payment) return c.text('no such payment', 404);
      return c.html(
        `<!doctype html><title>Sandbox checkout</title><h1>Pay ${toDecimalString(payment.amount)} ${payment.amount.currency}</h1>` +
          `<p>${escapeHtml(payment.description)}</p><form method="post" action="/checkout/${payment.id}/pay"><button>Pay</button></form>`,
      );
    });
    this.app.post('/checkout/:id/pay', async (c) => {
      const payment = this.payments.get(c.req.param('id'));
      if (!payment) return c.text('no such payment', 404);
      if (payment.status === 'pending') void this.setStatus(payment.id, 'succeeded');
      return c.redirect(payment.returnUrl, 303);
    });

    // Control endpoints for manual testing against a running sandbox.
    this.app.post('/__sandbox/payments/:id/status', async (c) => {
      const body = z
        .object({
          status: z.enum(['pending', 'waiting_for_capture', 'succeeded', 'canceled']),
          notify: z.boolean().default(true),
        })
        .safeParse(await c.req.json().catch(() => null));
      if (!body.success || !this.payments.has(c.req.param('id')))
        return apiError(c, 400, 'invalid_request', 'unknown payment or status');
      await this.setStatus(c.req.param('id'), body.data.status, body.data.notify);
      return c.json(this.paymentJson(this.payment(c.req.param('id'))));
    });
    this.app.post('/__sandbox/faults/:route', async (c) => {
      const fault = faultSchema.safeParse(await c.req.json().catch(() => null));
      if (!fault.success) return apiError(c, 400, 'invalid_request', 'bad fault');
      this.faults.inject(c.req.param('route'), fault.data);
      return c.json({ ok: true });
    });
  }

  private authorised(header: string | undefined): boolean {
    const expected = Buffer.from(
      `Basic ${Buffer.from(`${this.options.shopId}:${this.options.secretKey}`).toString('base64')}`,
    );
    const given = Buffer.from(header ?? '');
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  /** YooKassa's Idempotence-Key: the same key and body replays the first answer; another body is refused. */
  private async idempotently(c: Context, handle: (body: unknown) => Promise<[number, unknown]>): Promise<Response> {
    const key = c.req.header('idempotence-key');
    if (!key || key.length > 64)
      return apiError(c, 400, 'invalid_request', 'Idempotence-Key header is required (at most 64 characters)');
    const raw = await c.req.text();
    const scoped = `${c.req.path}:${key}`;
    const seen = this.idempotent.get(scoped);
    if (seen) {
      if (seen.body !== raw)
        return apiError(c, 400, 'invalid_request', 'Idempotence-Key was used with another request');
      return c.json(seen.response as object);
    }
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      return apiError(c, 400, 'invalid_request', 'body is not JSON');
    }
    const [status, response] = await handle(body);
    if (status === 200) this.idempotent.set(scoped, { body: raw, response });
    return c.json(response as object, status as 200);
  }
}

function moneyOf(amount: { value: string; currency: string }): Money | null {
  try {
    return fromDecimalString(amount.value, amount.currency);
  } catch {
    return null;
  }
}

function errorJson(code: string, description: string) {
  return { type: 'error', code, description };
}

function apiError(c: Context, status: number, code: string, description: string): Response {
  return c.json(errorJson(code, description), status as 400);
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

function parseJsonOrNull(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
