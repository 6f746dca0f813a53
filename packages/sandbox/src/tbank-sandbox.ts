import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { Hono, type Context } from 'hono';
import { request } from 'undici';
import { z } from 'zod';
import { FaultPlan, faultSchema } from './faults.js';
import { InFlight } from './notify.js';
import { bookEntry, type BookEntry, type KeepsBooks } from './books.js';
import { startOnLoopback, type LoopbackServer } from './serve.js';

/** Every status a T-Bank acquiring payment can have. */
export const TBANK_SANDBOX_STATUSES = [
  'NEW',
  'FORM_SHOWED',
  'PREAUTHORIZING',
  'AUTHORIZING',
  '3DS_CHECKING',
  '3DS_CHECKED',
  'AUTHORIZED',
  'CONFIRMING',
  'CONFIRMED',
  'REVERSING',
  'PARTIAL_REVERSED',
  'REVERSED',
  'REFUNDING',
  'ASYNC_REFUNDING',
  'PARTIAL_REFUNDED',
  'REFUNDED',
  'REJECTED',
  'AUTH_FAIL',
  'CANCELED',
  'DEADLINE_EXPIRED',
  'ATTEMPTS_EXPIRED',
] as const;

export type TBankSandboxStatus = (typeof TBANK_SANDBOX_STATUSES)[number];

export interface TBankSandboxPayment {
  paymentId: string;
  orderId: string;
  status: TBankSandboxStatus;
  /** Kopecks charged. */
  amount: number;
  /** What GetState and notifications report instead of `amount` (tampering, for mismatch tests). */
  reportedAmount: number | null;
  /** Kopecks given back so far. */
  refunded: number;
  description: string;
  successUrl: string | null;
  failUrl: string | null;
  notificationUrl: string | null;
  payType: string | null;
  /** The last part of PaymentURL. */
  formToken: string;
  createdAt: string;
}

export interface TBankDelivery {
  url: string;
  /** HTTP status, or null when the connection failed. */
  status: number | null;
  /** What paystate answered; T-Bank wants exactly `OK`. */
  body: string;
  acknowledged: boolean;
  at: string;
}

export interface TBankSandboxOptions {
  terminalKey: string;
  password: string;
  /** Notifications for payments whose Init named no NotificationURL (the terminal setting). */
  notificationUrl?: string;
  /** Delivery attempts per notification (T-Bank keeps trying for a day; the sandbox is quicker). */
  notificationAttempts?: number;
  firstRetryPauseMs?: number;
}

/** Statuses a customer can still pay from; Init with the same OrderId then returns this payment. */
const LIVE = new Set<TBankSandboxStatus>(['NEW', 'FORM_SHOWED']);
/** Statuses in which T-Bank holds the customer's money as taken (confirmed, wholly or partly refunded since). */
const CAPTURED = new Set<TBankSandboxStatus>([
  'CONFIRMED',
  'PARTIAL_REFUNDED',
  'REFUNDING',
  'ASYNC_REFUNDING',
  'REFUNDED',
]);
const UNSUCCESSFUL = new Set<TBankSandboxStatus>([
  'REJECTED',
  'AUTH_FAIL',
  'CANCELED',
  'DEADLINE_EXPIRED',
  'ATTEMPTS_EXPIRED',
]);

const initSchema = z.object({
  Amount: z.number().int().positive(),
  OrderId: z.string().min(1).max(36),
  Description: z.string().max(140).optional(),
  PayType: z.enum(['O', 'T']).optional(),
  SuccessURL: z.url().optional(),
  FailURL: z.url().optional(),
  NotificationURL: z.url().optional(),
});
const paymentIdSchema = z.union([z.string().min(1), z.number().int()]).transform(String);
const stateSchema = z.object({ PaymentId: paymentIdSchema });
const cancelSchema = z.object({
  PaymentId: paymentIdSchema,
  Amount: z.number().int().positive().optional(),
  ExternalRequestId: z.string().min(1).optional(),
});

type Answer = Record<string, unknown>;

/**
 * A T-Bank acquiring v2 twin: Init / GetState / Cancel, each refused unless its Token (SHA-256
 * of the root scalar values plus the terminal password, sorted by key) checks out; a payment form
 * the customer "pays" on; notifications signed with the password, delivered until paystate
 * answers 200 `OK`; faults, status control and amount tampering for tests.
 *
 * The sandbox has its own signer on purpose: the adapter's is tested against it, not against itself.
 */
export class TBankSandbox implements KeepsBooks {
  readonly app = new Hono();
  readonly faults = new FaultPlan();
  readonly payments = new Map<string, TBankSandboxPayment>();
  readonly deliveries: TBankDelivery[] = [];
  /** Every API request that passed the faults, as received (Token included). */
  readonly requests: { method: string; body: Record<string, unknown> }[] = [];
  notificationUrl: string | undefined;
  private baseUrl = '';
  private nextPaymentId = 4_100_000_000;
  private readonly cancels = new Map<string, Answer>();
  private readonly chains = new Map<string, Promise<unknown>>();
  private readonly inFlight = new InFlight();

  constructor(private readonly options: TBankSandboxOptions) {
    this.notificationUrl = options.notificationUrl;
    this.routes();
  }

  async start(port = 0): Promise<LoopbackServer & { apiUrl: string }> {
    const server = await startOnLoopback(this.app, port);
    this.baseUrl = server.url;
    return { ...server, apiUrl: `${server.url}/v2` };
  }

  /** The signature as T-Bank computes it, with this terminal's password unless another is given. */
  sign(params: Record<string, unknown>, password = this.options.password): string {
    const values = Object.keys({ ...params, Password: password })
      .filter((key) => key !== 'Token')
      .sort()
      .map((key) => (key === 'Password' ? password : params[key]))
      .filter((value) => value !== null && ['string', 'number', 'boolean'].includes(typeof value))
      .map((value) => String(value));
    return createHash('sha256').update(values.join('')).digest('hex');
  }

  payment(paymentId: string): TBankSandboxPayment {
    const payment = this.payments.get(paymentId);
    if (!payment) throw new Error(`sandbox has no payment ${paymentId}`);
    return payment;
  }

  paymentFor(orderId: string): TBankSandboxPayment | undefined {
    return [...this.payments.values()].filter((payment) => payment.orderId === orderId).at(-1);
  }

  /** What GetState and notifications report from now on, instead of the real amount. */
  tamperAmount(paymentId: string, kopecks: number): void {
    this.payment(paymentId).reportedAmount = kopecks;
  }

  /** Moves a payment as T-Bank would and (by default) notifies about it; resolves once delivered or given up. */
  async setStatus(paymentId: string, status: TBankSandboxStatus, notify = true): Promise<void> {
    const payment = this.payment(paymentId);
    payment.status = status;
    if (notify) await this.notify(payment);
  }

  /** A notification body as T-Bank sends it, signed (with another password to play a forger). */
  notificationFor(
    payment: TBankSandboxPayment,
    overrides: Record<string, unknown> = {},
    password = this.options.password,
  ): Answer {
    const success = !UNSUCCESSFUL.has(payment.status);
    const body: Answer = {
      TerminalKey: this.options.terminalKey,
      OrderId: payment.orderId,
      Success: success,
      Status: payment.status,
      PaymentId: Number(payment.paymentId),
      ErrorCode: success ? '0' : '1051',
      Amount: payment.reportedAmount ?? payment.amount,
      CardId: 88000001,
      Pan: '430000******0777',
      ExpDate: '1230',
      ...overrides,
    };
    body.Token = this.sign(body, password);
    return body;
  }

  /** Notifies about the payment's current status; notifications of one payment go out in order. */
  notify(payment: TBankSandboxPayment): Promise<boolean> {
    const url = payment.notificationUrl ?? this.notificationUrl;
    if (!url) return Promise.resolve(false);
    return this.send(url, this.notificationFor(payment), payment.paymentId);
  }

  /** Delivers any body (a forged or tampered one too) with T-Bank's retries. */
  send(url: string, body: unknown, orderKey = `raw-${randomBytes(4).toString('hex')}`): Promise<boolean> {
    const previous = this.chains.get(orderKey) ?? Promise.resolve();
    const sending = previous.then(() => this.deliverUntilOk(url, JSON.stringify(body)));
    this.chains.set(orderKey, sending);
    void sending.finally(() => {
      if (this.chains.get(orderKey) === sending) this.chains.delete(orderKey);
    });
    return this.inFlight.track(sending);
  }

  /**
   * The provider's books (docs/architecture.md section 9): a confirmed payment is captured; a hold (AUTHORIZED)
   * and its reversal are not money taken, so they count neither as captured nor as refunded.
   */
  books(): BookEntry[] {
    return [...this.payments.values()].map((p) => {
      const taken = CAPTURED.has(p.status);
      return bookEntry(
        p.paymentId,
        p.orderId,
        { amountMinor: p.amount, currency: 'RUB' },
        taken,
        taken ? p.refunded : 0,
        p.status,
      );
    });
  }

  /** Resolves once every notification in flight got its final answer. */
  async settled(): Promise<void> {
    await this.inFlight.settled();
  }

  private async deliverUntilOk(url: string, body: string): Promise<boolean> {
    const attempts = this.options.notificationAttempts ?? 5;
    let pause = this.options.firstRetryPauseMs ?? 100;
    for (let attempt = 1; attempt <= attempts; attempt += 1) {
      let status: number | null = null;
      let text = '';
      try {
        const response = await request(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
          signal: AbortSignal.timeout(5000),
        });
        status = response.statusCode;
        text = await response.body.text();
      } catch {
        status = null;
      }
      const acknowledged = status === 200 && text === 'OK';
      this.deliveries.push({ url, status, body: text, acknowledged, at: new Date().toISOString() });
      if (acknowledged) return true;
      if (attempt < attempts) await new Promise((resolve) => setTimeout(resolve, pause).unref());
      pause *= 2;
    }
    return false;
  }

  private routes(): void {
    this.api('Init', 'create', (body) => this.init(body));
    this.api('GetState', 'get', (body) => this.getState(body));
    this.api('Cancel', 'refund', (body) => this.cancel(body));

    // The payment form behind PaymentURL.
    this.app.get('/new/:token', (c) => {
      const payment = this.byFormToken(c.req.param('token'));
      if (!payment) return c.text('no such payment', 404);
      if (payment.status === 'NEW') payment.status = 'FORM_SHOWED';
      const amount = `${Math.floor(payment.amount / 100)}.${String(payment.amount % 100).padStart(2, '0')}`;
      return c.html(
        `<!doctype html><title>T-Bank sandbox</title><h1>Pay ${amount} RUB</h1><p>${escapeHtml(payment.description)}</p>` +
          `<form method="post" action="/new/${payment.formToken}/pay"><button>Pay</button></form>` +
          `<form method="post" action="/new/${payment.formToken}/decline"><button>Decline</button></form>`,
      );
    });
    this.app.post('/new/:token/pay', (c) => {
      const payment = this.byFormToken(c.req.param('token'));
      if (!payment) return c.text('no such payment', 404);
      if (LIVE.has(payment.status)) {
        // One-stage: the hold and the capture follow each other, and T-Bank notifies both.
        payment.status = 'AUTHORIZED';
        void this.notify(payment);
        payment.status = 'CONFIRMED';
        void this.notify(payment);
      }
      return payment.successUrl ? c.redirect(payment.successUrl, 303) : c.text('paid');
    });
    this.app.post('/new/:token/decline', (c) => {
      const payment = this.byFormToken(c.req.param('token'));
      if (!payment) return c.text('no such payment', 404);
      if (LIVE.has(payment.status)) {
        payment.status = 'REJECTED';
        void this.notify(payment);
      }
      return payment.failUrl ? c.redirect(payment.failUrl, 303) : c.text('declined');
    });

    this.app.post('/__sandbox/payments/:id/status', async (c) => {
      const body = z
        .object({ status: z.enum(TBANK_SANDBOX_STATUSES), notify: z.boolean().default(true) })
        .safeParse(await c.req.json().catch(() => null));
      if (!body.success || !this.payments.has(c.req.param('id')))
        return c.json({ error: 'unknown payment or status' }, 400);
      await this.setStatus(c.req.param('id'), body.data.status, body.data.notify);
      return c.json(this.payment(c.req.param('id')));
    });
    this.app.post('/__sandbox/faults/:route', async (c) => {
      const fault = faultSchema.safeParse(await c.req.json().catch(() => null));
      if (!fault.success) return c.json({ error: 'bad fault' }, 400);
      this.faults.inject(c.req.param('route'), fault.data);
      return c.json({ ok: true });
    });
  }

  /** T-Bank answers HTTP 200 whatever happens; Success and ErrorCode say how it went. */
  private api(method: string, route: string, handle: (body: Record<string, unknown>) => Answer): void {
    this.app.post(`/v2/${method}`, async (c: Context) => {
      const injected = await this.faults.apply(route, c);
      if (injected) return injected;
      const body: unknown = await c.req.json().catch(() => null);
      if (typeof body !== 'object' || body === null || Array.isArray(body))
        return c.json(refusal('215', 'Неверные параметры.', 'body is not a JSON object'));
      const params = body as Record<string, unknown>;
      this.requests.push({ method, body: params });
      if (params.TerminalKey !== this.options.terminalKey || !this.tokenValid(params)) {
        return c.json(refusal('204', 'Неверные параметры.', 'Неверный токен. Проверьте пару TerminalKey/SecretKey.'));
      }
      const answer = handle(params);
      return (await this.faults.applyAfterEffect(route, c)) ?? c.json(answer);
    });
  }

  private tokenValid(params: Record<string, unknown>): boolean {
    if (typeof params.Token !== 'string') return false;
    const expected = Buffer.from(this.sign(params));
    const given = Buffer.from(params.Token);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  private init(body: Record<string, unknown>): Answer {
    const parsed = initSchema.safeParse(body);
    if (!parsed.success) return refusal('3', 'Неверные параметры.', parsed.error.issues[0]?.message ?? '');
    const input = parsed.data;
    const earlier = this.paymentFor(input.OrderId);
    if (earlier && !UNSUCCESSFUL.has(earlier.status)) {
      // The sandbox's stand-in for a repeated Init: the unpaid payment of the order is handed
      // out again; another amount, or an order already paid, is refused.
      if (!LIVE.has(earlier.status))
        return refusal('8', 'Неверный статус транзакции.', `order ${input.OrderId} is already ${earlier.status}`);
      if (earlier.amount !== input.Amount)
        return refusal('20', 'Неверные параметры.', `order ${input.OrderId} exists with another Amount`);
      return this.initAnswer(earlier);
    }
    const payment: TBankSandboxPayment = {
      paymentId: String(this.nextPaymentId++),
      orderId: input.OrderId,
      status: 'NEW',
      amount: input.Amount,
      reportedAmount: null,
      refunded: 0,
      description: input.Description ?? '',
      successUrl: input.SuccessURL ?? null,
      failUrl: input.FailURL ?? null,
      notificationUrl: input.NotificationURL ?? null,
      payType: input.PayType ?? null,
      formToken: randomBytes(9).toString('base64url'),
      createdAt: new Date().toISOString(),
    };
    this.payments.set(payment.paymentId, payment);
    return this.initAnswer(payment);
  }

  private initAnswer(payment: TBankSandboxPayment): Answer {
    return {
      Success: true,
      ErrorCode: '0',
      TerminalKey: this.options.terminalKey,
      Status: payment.status,
      PaymentId: payment.paymentId,
      OrderId: payment.orderId,
      Amount: payment.amount,
      PaymentURL: `${this.baseUrl}/new/${payment.formToken}`,
    };
  }

  private getState(body: Record<string, unknown>): Answer {
    const parsed = stateSchema.safeParse(body);
    const payment = parsed.success ? this.payments.get(parsed.data.PaymentId) : undefined;
    if (!payment) return refusal('7', 'Платеж не найден.', 'no such PaymentId');
    return {
      Success: true,
      ErrorCode: '0',
      Message: 'OK',
      TerminalKey: this.options.terminalKey,
      Status: payment.status,
      PaymentId: payment.paymentId,
      OrderId: payment.orderId,
      Amount: payment.reportedAmount ?? payment.amount,
    };
  }

  /** Refunds a confirmed payment, releases a hold, or cancels an unpaid one; never beyond what is left. */
  private cancel(body: Record<string, unknown>): Answer {
    const parsed = cancelSchema.safeParse(body);
    if (!parsed.success) return refusal('3', 'Неверные параметры.', parsed.error.issues[0]?.message ?? '');
    const { PaymentId, Amount, ExternalRequestId } = parsed.data;
    const replayKey = ExternalRequestId ? `${PaymentId}:${ExternalRequestId}` : null;
    const replay = replayKey ? this.cancels.get(replayKey) : undefined;
    if (replay) return replay;
    const payment = this.payments.get(PaymentId);
    if (!payment) return refusal('7', 'Платеж не найден.', 'no such PaymentId');
    const left = payment.amount - payment.refunded;
    let status: TBankSandboxStatus;
    let taken: number;
    if (LIVE.has(payment.status)) {
      status = 'CANCELED';
      taken = 0;
    } else if (
      payment.status === 'AUTHORIZED' ||
      payment.status === 'CONFIRMED' ||
      payment.status === 'PARTIAL_REFUNDED' ||
      payment.status === 'PARTIAL_REVERSED'
    ) {
      taken = Amount ?? left;
      if (taken > left) return refusal('14', 'Неверная сумма.', `cancel of ${taken} exceeds the ${left} kopecks left`);
      const hold = payment.status === 'AUTHORIZED' || payment.status === 'PARTIAL_REVERSED';
      status = taken === left ? (hold ? 'REVERSED' : 'REFUNDED') : hold ? 'PARTIAL_REVERSED' : 'PARTIAL_REFUNDED';
    } else {
      return refusal('8', 'Неверный статус транзакции.', `payment is ${payment.status}`);
    }
    payment.refunded += taken;
    payment.status = status;
    void this.notify(payment);
    const answer: Answer = {
      Success: true,
      ErrorCode: '0',
      TerminalKey: this.options.terminalKey,
      Status: status,
      PaymentId: payment.paymentId,
      OrderId: payment.orderId,
      OriginalAmount: left,
      NewAmount: left - taken,
    };
    if (replayKey) this.cancels.set(replayKey, answer);
    return answer;
  }

  private byFormToken(token: string): TBankSandboxPayment | undefined {
    return [...this.payments.values()].find((payment) => payment.formToken === token);
  }
}

/** A refusal as T-Bank words it. The sandbox's error codes other than 204 (bad Token) are its own. */
function refusal(errorCode: string, message: string, details: string): Answer {
  return { Success: false, ErrorCode: errorCode, Message: message, Details: details };
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}
