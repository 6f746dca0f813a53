import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { fromDecimalString, toDecimalString, type Money } from '@paystate/core';
import { FaultPlan, faultSchema } from './faults.js';
import { deliver, InFlight, type Delivery } from './notify.js';
import { bookEntry, type BookEntry, type KeepsBooks } from './books.js';
import { startOnLoopback, type LoopbackServer } from './serve.js';

export type WaveSandboxCheckoutStatus = 'open' | 'complete' | 'expired';
export type WaveSandboxPaymentStatus = 'processing' | 'cancelled' | 'succeeded';

export interface WaveSandboxSession {
  id: string;
  amount: Money;
  checkoutStatus: WaveSandboxCheckoutStatus;
  paymentStatus: WaveSandboxPaymentStatus;
  clientReference: string | null;
  successUrl: string;
  errorUrl: string;
  transactionId: string | null;
  lastPaymentError: { code: string; message: string } | null;
  refunded: boolean;
  createdAt: string;
  expiresAt: string;
  completedAt: string | null;
}

export interface WaveSandboxOptions {
  apiKey: string;
  /** Signs every webhook it sends, as Wave does with the webhook's signing secret. */
  webhookSecret: string;
  /** Where webhooks go (paystate's /v1/webhooks/wave); none are sent while unset. */
  webhookUrl?: string;
}

/** How a test shapes one webhook delivery: an old or future timestamp, another secret, extra v1 values. */
export interface WaveNotifyOptions {
  /** Unix seconds put in t= (default now). */
  timestamp?: number;
  /** Signs with this secret instead of the sandbox's (a forger). */
  secret?: string;
  /** Further v1 values sent before the real one (a rotated secret, garbage). */
  extraSignatures?: string[];
  /** Replaces the whole Wave-Signature header; null sends none. */
  header?: string | null;
  /** Delivery attempts until a 2xx (default 5). */
  attempts?: number;
}

const createSchema = z.object({
  amount: z.string(),
  currency: z.string(),
  success_url: z.url(),
  error_url: z.url(),
  client_reference: z.string().max(255).optional(),
  restrict_payer_mobile: z.string().optional(),
});

export type WaveEventType = 'checkout.session.completed' | 'checkout.session.payment_failed';

/**
 * A Wave Checkout twin: sessions under a bearer API key with Idempotency-Key, a launch page the
 * customer pays (or fails) on, signed webhooks (Wave-Signature: t=…,v1=…) with retries, full
 * refunds, and faults on demand.
 */
export class WaveSandbox implements KeepsBooks {
  readonly app = new Hono();
  readonly faults = new FaultPlan();
  readonly sessions = new Map<string, WaveSandboxSession>();
  readonly deliveries: Delivery[] = [];
  /** Refund calls that took effect, one per session. */
  readonly refunds: string[] = [];
  webhookUrl: string | undefined;
  private baseUrl = '';
  private readonly idempotent = new Map<string, { body: string; status: number; response: unknown }>();
  private readonly inFlight = new InFlight();
  private events = 0;

  constructor(private readonly options: WaveSandboxOptions) {
    this.webhookUrl = options.webhookUrl;
    this.routes();
  }

  /** `url` is also the API base (Wave's API lives at the host root, under /v1). */
  async start(port = 0): Promise<LoopbackServer> {
    const server = await startOnLoopback(this.app, port);
    this.baseUrl = server.url;
    return server;
  }

  session(id: string): WaveSandboxSession {
    const session = this.sessions.get(id);
    if (!session) throw new Error(`wave sandbox has no checkout session ${id}`);
    return session;
  }

  sessionFor(orderId: string): WaveSandboxSession | undefined {
    return [...this.sessions.values()].find((session) => session.clientReference === orderId);
  }

  /** The customer pays: complete/succeeded, and (by default) checkout.session.completed is sent. */
  complete(id: string, notify = true): Promise<boolean> {
    const session = this.session(id);
    session.checkoutStatus = 'complete';
    session.paymentStatus = 'succeeded';
    session.transactionId ??= `T_${randomBytes(6).toString('hex').toUpperCase()}`;
    session.completedAt = new Date().toISOString();
    return notify ? this.notify('checkout.session.completed', id) : Promise.resolve(false);
  }

  /** A payment attempt fails (e.g. insufficient funds): the session stays open; payment_failed is sent. */
  fail(id: string, notify = true): Promise<boolean> {
    const session = this.session(id);
    session.paymentStatus = 'cancelled';
    session.lastPaymentError = { code: 'insufficient-funds', message: 'Solde insuffisant' };
    return notify ? this.notify('checkout.session.payment_failed', id) : Promise.resolve(false);
  }

  /** Moves a session to any pair of statuses without notifying (Wave sends no event on expiry). */
  setStatus(id: string, checkoutStatus: WaveSandboxCheckoutStatus, paymentStatus: WaveSandboxPaymentStatus): void {
    const session = this.session(id);
    session.checkoutStatus = checkoutStatus;
    session.paymentStatus = paymentStatus;
  }

  /** The event body Wave would send about a session, with a fresh event id. */
  event(type: WaveEventType, id: string) {
    this.events += 1;
    return {
      id: `EV_sandbox_${this.events}_${randomBytes(4).toString('hex')}`,
      type,
      data: this.sessionJson(this.session(id)),
    };
  }

  /** The Wave-Signature header for a raw body. */
  signatureHeader(
    rawBody: string,
    options: Pick<WaveNotifyOptions, 'timestamp' | 'secret' | 'extraSignatures'> = {},
  ): string {
    const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
    const signature = createHmac('sha256', options.secret ?? this.options.webhookSecret)
      .update(`${timestamp}${rawBody}`, 'utf8')
      .digest('hex');
    return [`t=${timestamp}`, ...(options.extraSignatures ?? []).map((extra) => `v1=${extra}`), `v1=${signature}`].join(
      ',',
    );
  }

  /** Signs and sends an event about a session (or a given event body) to webhookUrl, retrying until a 2xx. */
  notify(
    typeOrEvent: WaveEventType | { id: string; type: string; data: unknown },
    id?: string,
    options: WaveNotifyOptions = {},
  ): Promise<boolean> {
    if (!this.webhookUrl) return Promise.resolve(false);
    const event = typeof typeOrEvent === 'string' ? this.event(typeOrEvent, id ?? '') : typeOrEvent;
    const raw = JSON.stringify(event);
    const header = options.header === undefined ? this.signatureHeader(raw, options) : options.header;
    const headers: Record<string, string> = header === null ? {} : { 'wave-signature': header };
    // deliver() sends JSON.stringify(event): the very bytes signed above.
    const sending = deliver(this.webhookUrl, event, this.deliveries, { headers, attempts: options.attempts });
    this.inFlight.track(sending);
    return sending;
  }

  /** The provider's books (docs/architecture.md section 9): per session, captured once the payment succeeded; Wave refunds whole sessions. */
  books(): BookEntry[] {
    return [...this.sessions.values()].map((s) => {
      const taken = s.paymentStatus === 'succeeded';
      return bookEntry(
        s.id,
        s.clientReference,
        s.amount,
        taken,
        taken && s.refunded ? s.amount.amountMinor : 0,
        `${s.checkoutStatus}/${s.paymentStatus}`,
      );
    });
  }

  async settled(): Promise<void> {
    await this.inFlight.settled();
  }

  sessionJson(session: WaveSandboxSession) {
    return {
      id: session.id,
      amount: toDecimalString(session.amount),
      checkout_status: session.checkoutStatus,
      client_reference: session.clientReference,
      currency: session.amount.currency,
      error_url: session.errorUrl,
      last_payment_error: session.lastPaymentError,
      business_name: 'Sandbox Restaurant',
      payment_status: session.paymentStatus,
      transaction_id: session.transactionId,
      success_url: session.successUrl,
      wave_launch_url: `${this.baseUrl}/c/${session.id}`,
      when_completed: session.completedAt,
      when_created: session.createdAt,
      when_expires: session.expiresAt,
    };
  }

  private routes(): void {
    const api = new Hono();
    api.use('*', async (c, next) => {
      if (!this.authorised(c.req.header('authorization')))
        return waveError(c, 401, 'missing-auth-header', 'invalid or missing API key');
      await next();
    });

    api.post('/checkout/sessions', async (c) => {
      const injected = await this.faults.apply('create', c);
      if (injected) return injected;
      const response = await this.idempotently(c, (body) => {
        const parsed = createSchema.safeParse(body);
        if (!parsed.success)
          return [400, errorJson('request-validation-error', parsed.error.issues[0]?.message ?? 'bad request')];
        if (parsed.data.currency !== 'XOF') return [400, errorJson('request-validation-error', 'currency must be XOF')];
        const amount = moneyOf(parsed.data.amount, parsed.data.currency);
        if (!amount || amount.amountMinor <= 0)
          return [400, errorJson('request-validation-error', 'amount is not a valid XOF amount')];
        const now = Date.now();
        const session: WaveSandboxSession = {
          id: `cos-${randomBytes(10).toString('hex')}`,
          amount,
          checkoutStatus: 'open',
          paymentStatus: 'processing',
          clientReference: parsed.data.client_reference ?? null,
          successUrl: parsed.data.success_url,
          errorUrl: parsed.data.error_url,
          transactionId: null,
          lastPaymentError: null,
          refunded: false,
          createdAt: new Date(now).toISOString(),
          expiresAt: new Date(now + 30 * 60_000).toISOString(),
          completedAt: null,
        };
        this.sessions.set(session.id, session);
        return [200, this.sessionJson(session)];
      });
      return (await this.faults.applyAfterEffect('create', c)) ?? response;
    });

    api.get('/checkout/sessions/:id', async (c) => {
      const injected = await this.faults.apply('get', c);
      if (injected) return injected;
      const session = this.sessions.get(c.req.param('id'));
      if (!session) return waveError(c, 404, 'checkout-session-not-found', 'no such checkout session');
      return c.json(this.sessionJson(session));
    });

    api.post('/checkout/sessions/:id/refund', async (c) => {
      const injected = await this.faults.apply('refund', c);
      if (injected) return injected;
      const response = await this.idempotently(c, () => {
        const session = this.sessions.get(c.req.param('id'));
        if (!session) return [404, errorJson('checkout-session-not-found', 'no such checkout session')];
        if (session.paymentStatus !== 'succeeded')
          return [400, errorJson('checkout-refund-failed', 'the session has no succeeded payment')];
        if (session.refunded) return [400, errorJson('checkout-refund-failed', 'the session is already refunded')];
        session.refunded = true;
        this.refunds.push(session.id);
        return [200, null];
      });
      return (await this.faults.applyAfterEffect('refund', c)) ?? response;
    });

    this.app.route('/v1', api);

    // The page wave_launch_url opens (in reality the Wave app).
    this.app.get('/c/:id', (c) => {
      const session = this.sessions.get(c.req.param('id'));
      if (!session) return c.text('no such checkout session', 404);
      return c.html(
        `<!doctype html><title>Wave sandbox</title><h1>Payer ${toDecimalString(session.amount)} ${session.amount.currency}</h1>` +
          `<form method="post" action="/c/${session.id}/pay"><button>Payer</button></form>` +
          `<form method="post" action="/c/${session.id}/fail"><button>Échec</button></form>`,
      );
    });
    this.app.post('/c/:id/pay', (c) => {
      const session = this.sessions.get(c.req.param('id'));
      if (!session) return c.text('no such checkout session', 404);
      if (session.checkoutStatus === 'open') void this.complete(session.id);
      return c.redirect(session.successUrl, 303);
    });
    this.app.post('/c/:id/fail', (c) => {
      const session = this.sessions.get(c.req.param('id'));
      if (!session) return c.text('no such checkout session', 404);
      if (session.checkoutStatus === 'open') void this.fail(session.id);
      return c.redirect(session.errorUrl, 303);
    });

    this.app.post('/__sandbox/faults/:route', async (c) => {
      const fault = faultSchema.safeParse(await c.req.json().catch(() => null));
      if (!fault.success) return waveError(c, 400, 'request-validation-error', 'bad fault');
      this.faults.inject(c.req.param('route'), fault.data);
      return c.json({ ok: true });
    });
  }

  private authorised(header: string | undefined): boolean {
    const expected = Buffer.from(`Bearer ${this.options.apiKey}`);
    const given = Buffer.from(header ?? '');
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  /** Wave's Idempotency-Key: the same key and body replays the first answer; another body is refused. */
  private async idempotently(c: Context, handle: (body: unknown) => [number, unknown]): Promise<Response> {
    const key = c.req.header('idempotency-key');
    const raw = await c.req.text();
    const scoped = key ? `${c.req.path}:${key}` : null;
    const seen = scoped ? this.idempotent.get(scoped) : undefined;
    if (seen) {
      if (seen.body !== raw)
        return waveError(c, 422, 'idempotency-mismatch', 'Idempotency-Key was used with another request');
      return reply(c, seen.status, seen.response);
    }
    let body: unknown = undefined;
    if (raw !== '') {
      try {
        body = JSON.parse(raw);
      } catch {
        return waveError(c, 400, 'request-validation-error', 'body is not JSON');
      }
    }
    const [status, response] = handle(body);
    if (scoped && status === 200) this.idempotent.set(scoped, { body: raw, status, response });
    return reply(c, status, response);
  }
}

function reply(c: Context, status: number, response: unknown): Response {
  if (response === null) return c.body(null, status as 200);
  return c.json(response as object, status as 200);
}

function moneyOf(value: string, currency: string): Money | null {
  try {
    return fromDecimalString(value, currency);
  } catch {
    return null;
  }
}

function errorJson(code: string, message: string) {
  return { code, message };
}

function waveError(c: Context, status: number, code: string, message: string): Response {
  return c.json(errorJson(code, message), status as 400);
}
