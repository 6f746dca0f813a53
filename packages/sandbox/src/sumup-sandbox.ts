import { randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { fromDecimalString, toDecimalString, type Money } from '@paystate/core';
import { FaultPlan, faultSchema } from './faults.js';
import { deliver, InFlight, type Delivery } from './notify.js';
import { bookEntry, type BookEntry, type KeepsBooks } from './books.js';
import { startOnLoopback, type LoopbackServer } from './serve.js';

export const SUMUP_SANDBOX_STATUSES = ['PENDING', 'FAILED', 'PAID', 'EXPIRED'] as const;
export type SumUpSandboxStatus = (typeof SUMUP_SANDBOX_STATUSES)[number];

export interface SumUpSandboxTransaction {
  id: string;
  transactionCode: string;
  amount: Money;
  status: 'SUCCESSFUL' | 'FAILED' | 'CANCELLED' | 'PENDING';
  /** Minor units given back so far (the books: the sum of `refunds`). */
  refundedMinor: number;
  /** Every refund SumUp made on it, reported as REFUND events. */
  refunds: { id: number; amountMinor: number; at: string }[];
  timestamp: string;
}

export interface SumUpSandboxCheckout {
  id: string;
  reference: string;
  amount: Money;
  /** What the API reports instead of `amount` (tampering, for mismatch tests). */
  reportedAmount: Money | null;
  merchantCode: string;
  description: string;
  /** SumUp's return_url: the backend callback for status changes. */
  returnUrl: string | null;
  /** Where the customer's browser goes after paying. */
  redirectUrl: string | null;
  hosted: boolean;
  status: SumUpSandboxStatus;
  transactions: SumUpSandboxTransaction[];
  createdAt: string;
}

export interface SumUpSandboxOptions {
  apiKey: string;
  merchantCode: string;
  /** The OAuth app a platform registered with SumUp: /authorize and /token then issue tokens the API accepts. */
  oauth?: {
    clientId: string;
    clientSecret: string;
    tokenTtlS?: number;
    /** The clock tokens expire by (a test's manual clock); the wall clock by default. */
    now?: () => number;
  };
}

const tokenSchema = z.discriminatedUnion('grant_type', [
  z.object({
    grant_type: z.literal('authorization_code'),
    client_id: z.string(),
    client_secret: z.string(),
    code: z.string(),
    redirect_uri: z.string().optional(),
  }),
  z.object({
    grant_type: z.literal('refresh_token'),
    client_id: z.string(),
    client_secret: z.string(),
    refresh_token: z.string(),
  }),
]);

const createSchema = z.object({
  checkout_reference: z.string().min(1).max(64),
  amount: z.number().positive(),
  currency: z.string().regex(/^[A-Z]{3}$/),
  merchant_code: z.string().min(1),
  description: z.string().optional(),
  return_url: z.url().optional(),
  redirect_url: z.url().optional(),
  hosted_checkout: z.object({ enabled: z.boolean() }).optional(),
});

const refundSchema = z.object({ amount: z.number().positive().optional() });

/**
 * A SumUp checkouts twin: bearer API key, 409 DUPLICATED_CHECKOUT on a repeated
 * checkout_reference, a hosted checkout page the customer "pays" on, return_url callbacks that
 * carry only the checkout id (with retries), refunds by transaction id never beyond what was
 * captured, faults, status control and amount tampering.
 */
export class SumUpSandbox implements KeepsBooks {
  readonly app = new Hono();
  readonly faults = new FaultPlan();
  readonly checkouts = new Map<string, SumUpSandboxCheckout>();
  readonly deliveries: Delivery[] = [];
  private baseUrl = '';
  private readonly inFlight = new InFlight();
  /** OAuth: live access tokens (to their expiry, ms), refresh tokens not yet used, codes not yet exchanged. */
  private readonly accessTokens = new Map<string, number>();
  private readonly refreshTokens = new Set<string>();
  private readonly codes = new Set<string>();
  /** Every grant /token carried out, in order (`authorization_code`, `refresh_token`). */
  readonly grants: string[] = [];

  constructor(private readonly options: SumUpSandboxOptions) {
    this.routes();
  }

  async start(port = 0): Promise<LoopbackServer & { apiUrl: string }> {
    const server = await startOnLoopback(this.app, port);
    this.baseUrl = server.url;
    return { ...server, apiUrl: server.url };
  }

  checkout(id: string): SumUpSandboxCheckout {
    const checkout = this.checkouts.get(id);
    if (!checkout) throw new Error(`sandbox has no checkout ${id}`);
    return checkout;
  }

  checkoutFor(reference: string): SumUpSandboxCheckout | undefined {
    return [...this.checkouts.values()].find((checkout) => checkout.reference === reference);
  }

  /** What the API reports for this checkout from now on, instead of the real amount. */
  tamperAmount(id: string, amount: Money): void {
    this.checkout(id).reportedAmount = amount;
  }

  /** Moves a checkout as SumUp would (PAID adds the successful transaction) and by default calls return_url. */
  async setStatus(id: string, status: SumUpSandboxStatus, notify = true): Promise<void> {
    const checkout = this.checkout(id);
    checkout.status = status;
    if (status === 'PAID' && !checkout.transactions.some((t) => t.status === 'SUCCESSFUL'))
      checkout.transactions.push(this.transaction(checkout, 'SUCCESSFUL'));
    if (status === 'FAILED') checkout.transactions.push(this.transaction(checkout, 'FAILED'));
    if (notify) await this.notify(checkout);
  }

  /** Calls the checkout's return_url with what SumUp sends: the event type and the checkout id, nothing else. */
  notify(
    checkout: SumUpSandboxCheckout,
    body: unknown = { event_type: 'CHECKOUT_STATUS_CHANGED', id: checkout.id },
  ): Promise<boolean> {
    if (!checkout.returnUrl) return Promise.resolve(false);
    const sending = deliver(checkout.returnUrl, body, this.deliveries);
    return this.inFlight.track(sending);
  }

  /** The provider's books (docs/architecture.md section 9): per checkout, captured by a successful transaction, and refunded. */
  books(): BookEntry[] {
    return [...this.checkouts.values()].map((c) => {
      const taken = c.transactions.some((t) => t.status === 'SUCCESSFUL');
      const refunded = c.transactions.reduce((sum, t) => sum + t.refundedMinor, 0);
      return bookEntry(c.id, c.reference, c.amount, taken, refunded, c.status);
    });
  }

  async settled(): Promise<void> {
    await this.inFlight.settled();
  }

  checkoutJson(checkout: SumUpSandboxCheckout) {
    const reported = checkout.reportedAmount ?? checkout.amount;
    return {
      id: checkout.id,
      checkout_reference: checkout.reference,
      amount: Number(toDecimalString(reported)),
      currency: reported.currency,
      merchant_code: checkout.merchantCode,
      description: checkout.description,
      ...(checkout.returnUrl ? { return_url: checkout.returnUrl } : {}),
      ...(checkout.redirectUrl ? { redirect_url: checkout.redirectUrl } : {}),
      status: checkout.status,
      date: checkout.createdAt,
      ...(checkout.hosted ? { hosted_checkout_url: `${this.baseUrl}/pay/${checkout.id}` } : {}),
      transactions: checkout.transactions.map((t) => ({
        id: t.id,
        transaction_code: t.transactionCode,
        amount: Number(toDecimalString(t.amount)),
        currency: t.amount.currency,
        status: t.status,
        payment_type: 'ECOM',
        timestamp: t.timestamp,
      })),
    };
  }

  private transaction(
    checkout: SumUpSandboxCheckout,
    status: SumUpSandboxTransaction['status'],
  ): SumUpSandboxTransaction {
    return {
      id: randomUUID(),
      transactionCode: `T${randomBytes(5).toString('hex').toUpperCase()}`,
      amount: checkout.amount,
      status,
      refundedMinor: 0,
      refunds: [],
      timestamp: new Date().toISOString(),
    };
  }

  private routes(): void {
    const api = new Hono();
    api.use('*', async (c, next) => {
      if (!this.authorised(c.req.header('authorization'))) return apiError(c, 401, 'NOT_AUTHORIZED', 'invalid API key');
      await next();
    });

    api.post('/checkouts', async (c) => {
      const injected = await this.faults.apply('create', c);
      if (injected) return injected;
      const parsed = createSchema.safeParse(await c.req.json().catch(() => null));
      if (!parsed.success) return apiError(c, 400, 'INVALID', parsed.error.issues[0]?.message ?? 'bad request');
      const input = parsed.data;
      if (input.merchant_code !== this.options.merchantCode)
        return apiError(c, 403, 'FORBIDDEN', 'not your merchant code');
      let amount: Money;
      try {
        amount = fromDecimalString(input.amount, input.currency);
      } catch {
        return apiError(c, 400, 'INVALID', `amount ${input.amount} has too many decimals for ${input.currency}`);
      }
      if (this.checkoutFor(input.checkout_reference)) {
        return apiError(
          c,
          409,
          'DUPLICATED_CHECKOUT',
          'Checkout with this checkout reference and pay to email already exists',
        );
      }
      const checkout: SumUpSandboxCheckout = {
        id: randomUUID(),
        reference: input.checkout_reference,
        amount,
        reportedAmount: null,
        merchantCode: input.merchant_code,
        description: input.description ?? '',
        returnUrl: input.return_url ?? null,
        redirectUrl: input.redirect_url ?? null,
        hosted: input.hosted_checkout?.enabled === true,
        status: 'PENDING',
        transactions: [],
        createdAt: new Date().toISOString(),
      };
      this.checkouts.set(checkout.id, checkout);
      return (await this.faults.applyAfterEffect('create', c)) ?? c.json(this.checkoutJson(checkout), 201);
    });

    api.get('/checkouts', async (c) => {
      const injected = await this.faults.apply('list', c);
      if (injected) return injected;
      const reference = c.req.query('checkout_reference');
      const found = [...this.checkouts.values()].filter(
        (checkout) => reference === undefined || checkout.reference === reference,
      );
      return c.json(found.map((checkout) => this.checkoutJson(checkout)));
    });

    api.get('/checkouts/:id', async (c) => {
      const injected = await this.faults.apply('get', c);
      if (injected) return injected;
      const checkout = this.checkouts.get(c.req.param('id'));
      if (!checkout) return apiError(c, 404, 'NOT_FOUND', 'Resource not found');
      return c.json(this.checkoutJson(checkout));
    });

    // A transaction with its REFUND events (GET /v0.1/me/transactions?id=): how refunds are read back.
    api.get('/me/transactions', async (c) => {
      const injected = await this.faults.apply('transaction', c);
      if (injected) return injected;
      const id = c.req.query('id');
      const transaction = [...this.checkouts.values()]
        .flatMap((checkout) => checkout.transactions)
        .find((t) => t.id === id);
      if (!transaction) return apiError(c, 404, 'NOT_FOUND', 'Resource not found');
      const amount = (minor: number) =>
        Number(toDecimalString({ amountMinor: minor, currency: transaction.amount.currency }));
      return c.json({
        id: transaction.id,
        transaction_code: transaction.transactionCode,
        amount: amount(transaction.amount.amountMinor),
        currency: transaction.amount.currency,
        status: transaction.status,
        simple_status:
          transaction.refundedMinor === 0
            ? transaction.status
            : transaction.refundedMinor === transaction.amount.amountMinor
              ? 'REFUNDED'
              : 'PARTIALLY_REFUNDED',
        timestamp: transaction.timestamp,
        events: transaction.refunds.map((r) => ({
          id: r.id,
          transaction_id: transaction.id,
          type: 'REFUND',
          status: 'REFUNDED',
          amount: amount(r.amountMinor),
          timestamp: r.at,
        })),
      });
    });

    api.post('/me/refund/:transactionId', async (c) => {
      const injected = await this.faults.apply('refund', c);
      if (injected) return injected;
      const parsed = refundSchema.safeParse(await c.req.json().catch(() => ({})));
      const id = c.req.param('transactionId');
      const transaction = [...this.checkouts.values()]
        .flatMap((checkout) => checkout.transactions)
        .find((t) => t.id === id);
      if (!transaction) return apiError(c, 404, 'NOT_FOUND', 'Resource not found');
      if (!parsed.success) return apiError(c, 400, 'INVALID', parsed.error.issues[0]?.message ?? 'bad request');
      if (transaction.status !== 'SUCCESSFUL')
        return apiError(c, 409, 'CONFLICT', `transaction is ${transaction.status}`);
      const left = transaction.amount.amountMinor - transaction.refundedMinor;
      let asked = left;
      if (parsed.data.amount !== undefined) {
        try {
          asked = fromDecimalString(parsed.data.amount, transaction.amount.currency).amountMinor;
        } catch {
          return apiError(c, 400, 'INVALID', 'bad amount');
        }
      }
      if (asked <= 0 || asked > left)
        return apiError(c, 409, 'CONFLICT', `refund of ${asked} exceeds the ${left} left`);
      transaction.refundedMinor += asked;
      transaction.refunds.push({
        id: Math.floor(Math.random() * 1e12),
        amountMinor: asked,
        at: new Date().toISOString(),
      });
      return (await this.faults.applyAfterEffect('refund', c)) ?? c.body(null, 204);
    });

    this.app.route('/v0.1', api);
    this.oauthRoutes();

    // The hosted checkout page behind hosted_checkout_url.
    this.app.get('/pay/:id', (c) => {
      const checkout = this.checkouts.get(c.req.param('id'));
      if (!checkout) return c.text('no such checkout', 404);
      return c.html(
        `<!doctype html><title>SumUp sandbox</title><h1>Pay ${toDecimalString(checkout.amount)} ${checkout.amount.currency}</h1>` +
          `<p>${escapeHtml(checkout.description)}</p><form method="post" action="/pay/${checkout.id}/pay"><button>Pay</button></form>` +
          `<form method="post" action="/pay/${checkout.id}/fail"><button>Card declined</button></form>`,
      );
    });
    this.app.post('/pay/:id/pay', (c) => this.customer(c, 'PAID'));
    this.app.post('/pay/:id/fail', (c) => this.customer(c, 'FAILED'));

    this.app.post('/__sandbox/checkouts/:id/status', async (c) => {
      const body = z
        .object({ status: z.enum(SUMUP_SANDBOX_STATUSES), notify: z.boolean().default(true) })
        .safeParse(await c.req.json().catch(() => null));
      if (!body.success || !this.checkouts.has(c.req.param('id')))
        return apiError(c, 400, 'INVALID', 'unknown checkout or status');
      await this.setStatus(c.req.param('id'), body.data.status, body.data.notify);
      return c.json(this.checkoutJson(this.checkout(c.req.param('id'))));
    });
    this.app.post('/__sandbox/faults/:route', async (c) => {
      const fault = faultSchema.safeParse(await c.req.json().catch(() => null));
      if (!fault.success) return apiError(c, 400, 'INVALID', 'bad fault');
      this.faults.inject(c.req.param('route'), fault.data);
      return c.json({ ok: true });
    });
  }

  private customer(c: Context, outcome: 'PAID' | 'FAILED'): Response {
    const checkout = this.checkouts.get(c.req.param('id') ?? '');
    if (!checkout) return c.text('no such checkout', 404);
    if (checkout.status === 'PENDING' || checkout.status === 'FAILED') void this.setStatus(checkout.id, outcome);
    return checkout.redirectUrl ? c.redirect(checkout.redirectUrl, 303) : c.text(outcome.toLowerCase());
  }

  private authorised(header: string | undefined): boolean {
    const expected = Buffer.from(`Bearer ${this.options.apiKey}`);
    const given = Buffer.from(header ?? '');
    if (given.length === expected.length && timingSafeEqual(given, expected)) return true;
    const token = header?.startsWith('Bearer ') ? header.slice('Bearer '.length) : '';
    return (this.accessTokens.get(token) ?? 0) > this.oauthNow();
  }

  private oauthNow(): number {
    return this.options.oauth?.now?.() ?? Date.now();
  }

  /** The authorization code grant as SumUp runs it; the merchant approves at once. Refresh tokens rotate. */
  private oauthRoutes(): void {
    const oauth = this.options.oauth;
    if (!oauth) return;
    this.app.get('/authorize', (c) => {
      const { client_id: clientId, redirect_uri: redirectUri, state } = c.req.query();
      if (clientId !== oauth.clientId || !redirectUri)
        return apiError(c, 400, 'INVALID', 'unknown client or no redirect_uri');
      const code = randomBytes(12).toString('hex');
      this.codes.add(code);
      const target = new URL(redirectUri);
      target.searchParams.set('code', code);
      if (state) target.searchParams.set('state', state);
      return c.redirect(target.toString(), 302);
    });
    this.app.post('/token', async (c) => {
      const early = await this.faults.apply('token', c);
      if (early) return early;
      const grant = tokenSchema.safeParse(Object.fromEntries(new URLSearchParams(await c.req.text())));
      if (!grant.success || grant.data.client_id !== oauth.clientId || grant.data.client_secret !== oauth.clientSecret)
        return c.json({ error: 'invalid_client' }, 401);
      const spent =
        grant.data.grant_type === 'authorization_code'
          ? this.codes.delete(grant.data.code)
          : this.refreshTokens.delete(grant.data.refresh_token);
      if (!spent) return c.json({ error: 'invalid_grant' }, 400);
      this.grants.push(grant.data.grant_type);
      const ttlS = oauth.tokenTtlS ?? 3600;
      const accessToken = randomBytes(24).toString('hex');
      const refreshToken = randomBytes(24).toString('hex');
      this.accessTokens.set(accessToken, this.oauthNow() + ttlS * 1000);
      this.refreshTokens.add(refreshToken);
      return c.json({
        access_token: accessToken,
        token_type: 'Bearer',
        expires_in: ttlS,
        refresh_token: refreshToken,
        scope: 'payments transactions.history',
      });
    });
  }
}

function apiError(c: Context, status: number, errorCode: string, message: string): Response {
  return c.json({ error_code: errorCode, message }, status as 400);
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}
