import { randomBytes, timingSafeEqual } from 'node:crypto';
import { Hono } from 'hono';
import { z } from 'zod';
import { FaultPlan, faultSchema } from './faults.js';
import { deliver, InFlight, type Delivery } from './notify.js';
import { bookEntry, type BookEntry, type KeepsBooks } from './books.js';
import { startOnLoopback, type LoopbackServer } from './serve.js';

export type OrangeSandboxStatus = 'INITIATED' | 'PENDING' | 'EXPIRED' | 'SUCCESS' | 'FAILED';

export interface OrangeSandboxPayment {
  payToken: string;
  notifToken: string;
  orderId: string;
  /** Whole units, as Orange takes them. */
  amount: number;
  currency: string;
  status: OrangeSandboxStatus;
  returnUrl: string;
  cancelUrl: string;
  notifUrl: string;
  lang: string;
  reference: string;
  txnid: string | null;
  createdAt: string;
}

export interface OrangeMoneySandboxOptions {
  clientId: string;
  clientSecret: string;
  merchantKey: string;
  /** The country segment the API answers on (default "dev", where only OUV is accepted). */
  country?: string;
  /** Lifetime of issued access tokens, seconds (Orange: 7776000). */
  tokenTtlS?: number;
}

const webPaymentSchema = z.object({
  merchant_key: z.string(),
  currency: z.string().regex(/^[A-Z]{3}$/),
  order_id: z.string().min(1),
  amount: z.number().int().positive(),
  return_url: z.url(),
  cancel_url: z.url(),
  notif_url: z.url(),
  lang: z.string().min(2).max(2),
  reference: z.string().max(30).optional(),
});

const statusSchema = z.object({ order_id: z.string(), amount: z.number(), pay_token: z.string() });

/**
 * An Orange Money Web Payment twin: OAuth client-credentials tokens (form-urlencoded, Basic
 * auth), web payments under a bearer token and the merchant key, a payment page, transaction
 * status by (order_id, amount, pay_token), notifications carrying notif_token, and faults.
 */
export class OrangeMoneySandbox implements KeepsBooks {
  readonly app = new Hono();
  readonly faults = new FaultPlan();
  /** By pay_token. */
  readonly payments = new Map<string, OrangeSandboxPayment>();
  readonly deliveries: Delivery[] = [];
  readonly tokensIssued: string[] = [];
  private readonly tokens = new Set<string>();
  private baseUrl = '';
  private readonly inFlight = new InFlight();

  constructor(private readonly options: OrangeMoneySandboxOptions) {
    this.routes();
  }

  /** `url` is the API base (token at /oauth/v3/token, payments under /orange-money-webpay/<country>/v1). */
  async start(port = 0): Promise<LoopbackServer> {
    const server = await startOnLoopback(this.app, port);
    this.baseUrl = server.url;
    return server;
  }

  payment(payToken: string): OrangeSandboxPayment {
    const found = this.payments.get(payToken);
    if (!found) throw new Error(`orange money sandbox has no payment ${payToken}`);
    return found;
  }

  paymentFor(orderId: string): OrangeSandboxPayment | undefined {
    return [...this.payments.values()].find((payment) => payment.orderId === orderId);
  }

  /** Moves a payment and (by default, for final statuses) notifies its notif_url. */
  setStatus(payToken: string, status: OrangeSandboxStatus, notify = true): Promise<boolean> {
    const payment = this.payment(payToken);
    payment.status = status;
    if (status === 'SUCCESS') payment.txnid ??= `MP${randomBytes(5).toString('hex').toUpperCase()}`;
    return notify && status !== 'INITIATED' && status !== 'PENDING' ? this.notify(payToken) : Promise.resolve(false);
  }

  /** Sends Orange's notification {status, notif_token, txnid}; `override` lets a test forge fields. */
  notify(payToken: string, override: Record<string, unknown> = {}): Promise<boolean> {
    const payment = this.payment(payToken);
    const body = {
      status: payment.status,
      notif_token: payment.notifToken,
      txnid: payment.txnid ?? `MP${randomBytes(5).toString('hex').toUpperCase()}`,
      ...override,
    };
    const sending = deliver(payment.notifUrl, body, this.deliveries);
    this.inFlight.track(sending);
    return sending;
  }

  /** The provider's books (docs/architecture.md section 9): captured once SUCCESS (whole units are minor units here); no refunds. */
  books(): BookEntry[] {
    return [...this.payments.values()].map((p) =>
      bookEntry(
        p.payToken,
        p.orderId,
        { amountMinor: p.amount, currency: p.currency },
        p.status === 'SUCCESS',
        0,
        p.status,
      ),
    );
  }

  async settled(): Promise<void> {
    await this.inFlight.settled();
  }

  revokeTokens(): void {
    this.tokens.clear();
  }

  private routes(): void {
    this.app.post('/oauth/v3/token', async (c) => {
      if (
        !safeEqual(
          c.req.header('authorization') ?? '',
          `Basic ${Buffer.from(`${this.options.clientId}:${this.options.clientSecret}`).toString('base64')}`,
        )
      ) {
        return c.json(
          {
            error: 'invalid_client',
            error_description: 'The requested service needs credentials, but the ones provided were invalid.',
          },
          401,
        );
      }
      if (!(c.req.header('content-type') ?? '').startsWith('application/x-www-form-urlencoded')) {
        return c.json(
          { error: 'invalid_request', error_description: 'expected application/x-www-form-urlencoded' },
          400,
        );
      }
      const form = new URLSearchParams(await c.req.text());
      if (form.get('grant_type') !== 'client_credentials') return c.json({ error: 'unsupported_grant_type' }, 400);
      const injected = await this.faults.apply('token', c);
      if (injected) return injected;
      const token = randomBytes(24).toString('base64url');
      this.tokens.add(token);
      this.tokensIssued.push(token);
      return c.json({ token_type: 'Bearer', access_token: token, expires_in: this.options.tokenTtlS ?? 7_776_000 });
    });

    const api = new Hono();
    api.use('*', async (c, next) => {
      const bearer = /^Bearer (.+)$/.exec(c.req.header('authorization') ?? '')?.[1];
      if (!bearer || !this.tokens.has(bearer))
        return c.json(
          {
            code: 42,
            message: 'Expired credentials',
            description: 'The requested service needs credentials, but the ones provided were out-of-date.',
          },
          401,
        );
      if (c.req.param('country') !== (this.options.country ?? 'dev'))
        return c.json({ code: 404, message: 'Resource not found' }, 404);
      await next();
    });

    api.post('/webpayment', async (c) => {
      const injected = await this.faults.apply('create', c);
      if (injected) return injected;
      const parsed = webPaymentSchema.safeParse(await c.req.json().catch(() => null));
      if (!parsed.success)
        return c.json(
          { code: 1, message: 'Bad request', description: parsed.error.issues[0]?.message ?? 'bad request' },
          400,
        );
      const body = parsed.data;
      if (!safeEqual(body.merchant_key, this.options.merchantKey))
        return c.json({ code: 2, message: 'Invalid merchant key' }, 401);
      if ((this.options.country ?? 'dev') === 'dev' && body.currency !== 'OUV') {
        return c.json({ code: 3, message: 'Bad request', description: 'the dev environment accepts only OUV' }, 400);
      }
      const payment: OrangeSandboxPayment = {
        payToken: randomBytes(16).toString('hex'),
        notifToken: randomBytes(16).toString('hex'),
        orderId: body.order_id,
        amount: body.amount,
        currency: body.currency,
        status: 'INITIATED',
        returnUrl: body.return_url,
        cancelUrl: body.cancel_url,
        notifUrl: body.notif_url,
        lang: body.lang,
        reference: body.reference ?? '',
        txnid: null,
        createdAt: new Date().toISOString(),
      };
      this.payments.set(payment.payToken, payment);
      const response = c.json(
        {
          status: 201,
          message: 'OK',
          pay_token: payment.payToken,
          payment_url: `${this.baseUrl}/webpayment/${payment.payToken}`,
          notif_token: payment.notifToken,
        },
        201,
      );
      return (await this.faults.applyAfterEffect('create', c)) ?? response;
    });

    api.post('/transactionstatus', async (c) => {
      const injected = await this.faults.apply('status', c);
      if (injected) return injected;
      const parsed = statusSchema.safeParse(await c.req.json().catch(() => null));
      const payment = parsed.success ? this.payments.get(parsed.data.pay_token) : undefined;
      if (
        !parsed.success ||
        !payment ||
        payment.orderId !== parsed.data.order_id ||
        payment.amount !== parsed.data.amount
      ) {
        return c.json(
          {
            code: 4,
            message: 'Transaction not found',
            description: 'no payment matches order_id, amount and pay_token',
          },
          404,
        );
      }
      return c.json({ status: payment.status, order_id: payment.orderId, txnid: payment.txnid }, 201);
    });

    this.app.route('/orange-money-webpay/:country/v1', api);

    // The page payment_url opens: the customer confirms with their Orange Money PIN.
    this.app.get('/webpayment/:payToken', (c) => {
      const payment = this.payments.get(c.req.param('payToken'));
      if (!payment) return c.text('no such payment', 404);
      return c.html(
        `<!doctype html><title>Orange Money sandbox</title><h1>Payer ${payment.amount} ${payment.currency}</h1>` +
          `<form method="post" action="/webpayment/${payment.payToken}/pay"><button>Payer</button></form>` +
          `<form method="post" action="/webpayment/${payment.payToken}/cancel"><button>Annuler</button></form>`,
      );
    });
    this.app.post('/webpayment/:payToken/pay', (c) => {
      const payment = this.payments.get(c.req.param('payToken'));
      if (!payment) return c.text('no such payment', 404);
      if (payment.status === 'INITIATED' || payment.status === 'PENDING')
        void this.setStatus(payment.payToken, 'SUCCESS');
      return c.redirect(payment.returnUrl, 303);
    });
    this.app.post('/webpayment/:payToken/cancel', (c) => {
      const payment = this.payments.get(c.req.param('payToken'));
      if (!payment) return c.text('no such payment', 404);
      if (payment.status === 'INITIATED' || payment.status === 'PENDING')
        void this.setStatus(payment.payToken, 'FAILED');
      return c.redirect(payment.cancelUrl, 303);
    });

    this.app.post('/__sandbox/faults/:route', async (c) => {
      const fault = faultSchema.safeParse(await c.req.json().catch(() => null));
      if (!fault.success) return c.json({ code: 1, message: 'bad fault' }, 400);
      this.faults.inject(c.req.param('route'), fault.data);
      return c.json({ ok: true });
    });
  }
}

function safeEqual(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
