import { createHash, timingSafeEqual } from 'node:crypto';
import type { Logger } from 'pino';
import { z } from 'zod';
import type {
  CreatedPayment,
  CreatePaymentInput,
  Money,
  PaymentObservationStatus,
  PaymentProvider,
  PaymentStatusReport,
  WebhookAcknowledgement,
  WebhookNotification,
} from '@paystate/core';
import { optionalText } from '../app/env.js';
import { JsonClient, OutboundHttpError, OutboundResponseError } from '../outbound/client.js';
import type { ProviderDescriptor } from './descriptor.js';
import { WebhookVerificationError, parseNotification, mapStatus } from './errors.js';

/**
 * Every T-Bank (Tinkoff) acquiring v2 payment status and the observation it is for the lifecycle.
 * Payments are created one-stage (`PayType: "O"`), so money is taken at CONFIRMED:
 *
 * - AUTHORIZED is a step on the way to CONFIRMED (T-Bank notifies both), hence `pending`; a
 *   two-stage terminal that stops there never makes a drink, and its hold lapses.
 * - PARTIAL_REVERSED leaves the rest of a hold authorised and not captured: `waiting_for_capture`,
 *   which one-stage payments never should reach (the core fails the order and alerts).
 * - REFUNDED and REVERSED mean the money went back in full: `canceled`. A pending order ends
 *   `not_paid` (no drink for money that was returned); an order already paid, made or refunded
 *   ignores the observation because the core only moves forward.
 * - PARTIAL_REFUNDED: money was taken and part of it kept, so `succeeded`; the amount T-Bank
 *   reports goes to the core's amount check, which sends any difference to manual review.
 * - REFUNDING, ASYNC_REFUNDING and REVERSING are on their way to one of the above: `pending`.
 */
export const tbankStatusMap: Readonly<Record<string, PaymentObservationStatus>> = {
  NEW: 'pending',
  FORM_SHOWED: 'pending',
  PREAUTHORIZING: 'pending',
  AUTHORIZING: 'pending',
  '3DS_CHECKING': 'pending',
  '3DS_CHECKED': 'pending',
  AUTHORIZED: 'pending',
  CONFIRMING: 'pending',
  CONFIRMED: 'succeeded',
  REVERSING: 'pending',
  PARTIAL_REVERSED: 'waiting_for_capture',
  REVERSED: 'canceled',
  REFUNDING: 'pending',
  ASYNC_REFUNDING: 'pending',
  PARTIAL_REFUNDED: 'succeeded',
  REFUNDED: 'canceled',
  REJECTED: 'canceled',
  AUTH_FAIL: 'canceled',
  CANCELED: 'canceled',
  DEADLINE_EXPIRED: 'canceled',
  ATTEMPTS_EXPIRED: 'canceled',
};

/** What a Cancel may leave a payment in when it returned (or is returning) money. */
const REFUND_OUTCOMES = new Set([
  'REFUNDED',
  'PARTIAL_REFUNDED',
  'REFUNDING',
  'ASYNC_REFUNDING',
  'REVERSED',
  'PARTIAL_REVERSED',
  'REVERSING',
]);

/** T-Bank counts a notification as delivered only on HTTP 200 with exactly this body. */
export const TBANK_WEBHOOK_ACKNOWLEDGEMENT: WebhookAcknowledgement = {
  body: 'OK',
  contentType: 'text/plain; charset=utf-8',
};

/** T-Bank terminals take amounts in kopecks: roubles only. */
export const TBANK_CURRENCY = 'RUB';

/**
 * T-Bank's request and notification signature: the root-level scalar parameters (nested
 * objects such as DATA or Receipt and arrays excluded) plus `Password`, sorted by key, their
 * values concatenated and hashed with SHA-256 (lower-case hex). `Token` itself is left out.
 */
export function tbankToken(params: Readonly<Record<string, unknown>>, password: string): string {
  const pairs: [string, string][] = [['Password', password]];
  for (const [key, value] of Object.entries(params)) {
    if (key === 'Token') continue;
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
      pairs.push([key, String(value)]);
  }
  pairs.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return createHash('sha256')
    .update(pairs.map(([, value]) => value).join(''), 'utf8')
    .digest('hex');
}

/** Recomputes a body's Token and compares it in constant time (lengths first: timingSafeEqual throws on a mismatch). */
export function tbankTokenMatches(params: Readonly<Record<string, unknown>>, password: string): boolean {
  const given = params.Token;
  if (typeof given !== 'string' || given === '') return false;
  const expected = Buffer.from(tbankToken(params, password), 'utf8');
  const actual = Buffer.from(given, 'utf8');
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/**
 * T-Bank answers a refused call with HTTP 200 and `Success: false`. This is that refusal, as an
 * OutboundHttpError with status 422 so every caller treats it as the other side's final word
 * (never retried; a pay request gets 502 provider_error, a refund goes to manual review).
 */
export class TBankRefusedError extends OutboundHttpError {
  constructor(
    readonly method: string,
    readonly errorCode: string,
    readonly detail: string,
    responseBody: string,
  ) {
    super(422, responseBody, 'tbank');
    this.message = `tbank ${method} refused: ErrorCode ${errorCode}${detail ? ` (${detail})` : ''}`;
  }

  override get isTransient(): boolean {
    return false;
  }
}

export interface TBankOptions {
  /** e.g. https://securepay.tinkoff.ru/v2 */
  apiUrl: string;
  terminalKey: string;
  password: string;
  timeoutMs: number;
  logger: Logger;
  /** Sent as NotificationURL on every Init (else the terminal's own setting applies). */
  notificationUrl?: string;
}

const tbankSettings = z.object({
  TBANK_API_URL: z.url().default('https://securepay.tinkoff.ru/v2'),
  TBANK_TERMINAL_KEY: optionalText,
  TBANK_PASSWORD: optionalText,
});

export const tbankDescriptor: ProviderDescriptor<typeof tbankSettings> = {
  code: 'tbank',
  settingsSchema: tbankSettings,
  fromSettings: (settings, { timeoutMs, logger, webhookUrl }) =>
    settings.TBANK_TERMINAL_KEY && settings.TBANK_PASSWORD
      ? new TBankProvider({
          apiUrl: settings.TBANK_API_URL,
          terminalKey: settings.TBANK_TERMINAL_KEY,
          password: settings.TBANK_PASSWORD,
          timeoutMs,
          logger,
          notificationUrl: webhookUrl,
        })
      : undefined,
};

const paymentIdSchema = z.union([z.string().min(1), z.number().int().nonnegative()]).transform(String);
const kopecksSchema = z.number().int().nonnegative();

const answerSchema = z
  .object({
    Success: z.boolean(),
    ErrorCode: z.string(),
    Message: z.string().optional(),
    Details: z.string().optional(),
  })
  .loose();

const initSchema = z
  .object({
    PaymentId: paymentIdSchema,
    PaymentURL: z.url(),
    Status: z.string(),
    OrderId: z.string().optional(),
    Amount: kopecksSchema.optional(),
  })
  .loose();

const stateSchema = z
  .object({ PaymentId: paymentIdSchema, Status: z.string(), Amount: kopecksSchema, OrderId: z.string().optional() })
  .loose();

const cancelSchema = z
  .object({
    PaymentId: paymentIdSchema,
    Status: z.string(),
    OriginalAmount: kopecksSchema.optional(),
    NewAmount: kopecksSchema.optional(),
  })
  .loose();

const notificationSchema = z
  .object({
    TerminalKey: z.string(),
    OrderId: z.string().min(1),
    Success: z.boolean(),
    Status: z.string().min(1),
    PaymentId: paymentIdSchema,
    ErrorCode: z.string(),
    Amount: kopecksSchema,
  })
  .loose();

/**
 * T-Bank internet acquiring API v2 (https://developer.tbank.ru/eacq/api) behind the
 * PaymentProvider port: Init, GetState and Cancel, each body signed with a Token; notifications
 * are signed the same way, so their status and amount are trusted once the Token checks out.
 */
export class TBankProvider implements PaymentProvider {
  readonly code = 'tbank';
  readonly canQueryStatus = true;
  /** GetState does not say how much was refunded; Cancel takes the key as ExternalRequestId. */
  readonly refundGuarantees = { readBack: false, idempotencyKey: true };
  readonly webhookAcknowledgement = TBANK_WEBHOOK_ACKNOWLEDGEMENT;
  private readonly client: JsonClient;

  constructor(private readonly options: TBankOptions) {
    this.client = new JsonClient({
      service: 'tbank',
      baseUrl: options.apiUrl,
      timeoutMs: options.timeoutMs,
      logger: options.logger,
    });
  }

  /**
   * Init carries no idempotency key: OrderId is the order id, which T-Bank requires to be unique
   * per operation. A retry after a lost answer can at worst leave a second payment whose URL
   * nobody saw; it can never be paid and expires (DEADLINE_EXPIRED).
   */
  async createPayment(input: CreatePaymentInput, _idempotencyKey: string): Promise<CreatedPayment> {
    const amount = this.kopecks(input.amount);
    const created = await this.call(
      'Init',
      {
        Amount: amount,
        OrderId: input.orderId,
        Description: input.description.slice(0, 140),
        PayType: 'O',
        SuccessURL: input.returnUrl,
        FailURL: input.returnUrl,
        ...(this.options.notificationUrl ? { NotificationURL: this.options.notificationUrl } : {}),
      },
      initSchema,
    );
    if (
      (created.OrderId !== undefined && created.OrderId !== input.orderId) ||
      (created.Amount !== undefined && created.Amount !== amount)
    ) {
      throw new OutboundResponseError(
        `tbank Init answered for order ${created.OrderId ?? '?'} / ${created.Amount ?? '?'} kopecks, not what was asked`,
      );
    }
    return { providerPaymentId: created.PaymentId, confirmationUrl: created.PaymentURL };
  }

  async getPaymentStatus(providerPaymentId: string): Promise<PaymentStatusReport> {
    const state = await this.call('GetState', { PaymentId: providerPaymentId }, stateSchema);
    const expired = state.Status === 'DEADLINE_EXPIRED' || state.Status === 'ATTEMPTS_EXPIRED';
    return {
      status: statusOf(state.Status),
      amount: { amountMinor: state.Amount, currency: TBANK_CURRENCY },
      raw: state,
      expired,
    };
  }

  /**
   * Cancel with the amount: a refund of a CONFIRMED payment (T-Bank never gives back more than
   * was captured). The idempotency key travels as ExternalRequestId, by which T-Bank answers a
   * repeated Cancel with the state of the first one instead of refunding again.
   */
  async refund(providerPaymentId: string, amount: Money, idempotencyKey: string): Promise<void> {
    const canceled = await this.call(
      'Cancel',
      { PaymentId: providerPaymentId, Amount: this.kopecks(amount), ExternalRequestId: idempotencyKey },
      cancelSchema,
    );
    if (!REFUND_OUTCOMES.has(canceled.Status)) {
      throw new OutboundResponseError(
        `tbank Cancel left payment ${providerPaymentId} ${canceled.Status}, not refunded`,
      );
    }
  }

  /** The notification's Token, recomputed with the terminal password, must match; nothing else is trusted. */
  async verifyWebhook(_headers: Record<string, string>, rawBody: string): Promise<void> {
    let json: unknown;
    try {
      json = JSON.parse(rawBody);
    } catch {
      throw new WebhookVerificationError('notification body is not JSON, so its Token cannot be checked');
    }
    if (typeof json !== 'object' || json === null || Array.isArray(json))
      throw new WebhookVerificationError('notification is not a JSON object');
    const body = json as Record<string, unknown>;
    if (typeof body.Token !== 'string' || body.Token === '')
      throw new WebhookVerificationError('notification carries no Token');
    if (body.TerminalKey !== this.options.terminalKey)
      throw new WebhookVerificationError('notification is for another terminal');
    if (!tbankTokenMatches(body, this.options.password))
      throw new WebhookVerificationError('notification Token does not match');
  }

  /** Called only after verifyWebhook: status and amount are signed, so they are reported. */
  parseWebhook(rawBody: string): WebhookNotification {
    const { data: notification, json } = parseNotification(
      rawBody,
      notificationSchema,
      'a T-Bank payment notification',
    );
    const { Status, PaymentId, Amount } = notification;
    return {
      eventId: `${Status}:${PaymentId}:${Amount}`,
      providerPaymentId: PaymentId,
      status: statusOf(Status),
      amount: { amountMinor: Amount, currency: TBANK_CURRENCY },
      raw: json,
    };
  }

  private kopecks(money: Money): number {
    if (money.currency !== TBANK_CURRENCY) {
      throw new Error(`tbank takes ${TBANK_CURRENCY} amounts only, not ${money.currency}`);
    }
    return money.amountMinor;
  }

  /** Signs the body, posts it, and turns `Success: false` into a TBankRefusedError. */
  private async call<T>(method: string, params: Record<string, string | number>, schema: z.ZodType<T>): Promise<T> {
    const body: Record<string, string | number> = { TerminalKey: this.options.terminalKey, ...params };
    body.Token = tbankToken(body, this.options.password);
    const answer = await this.client.call(
      { method: 'POST', path: `/${method}`, body, redactParams: ['Token'] },
      answerSchema,
    );
    if (!answer.Success || answer.ErrorCode !== '0') {
      throw new TBankRefusedError(
        method,
        answer.ErrorCode,
        [answer.Message, answer.Details].filter(Boolean).join(': '),
        JSON.stringify(answer).slice(0, 2000),
      );
    }
    const parsed = schema.safeParse(answer);
    if (!parsed.success) {
      throw new OutboundResponseError(
        `tbank ${method} answered with an unexpected body: ${parsed.error.issues[0]?.message ?? ''}`,
      );
    }
    return parsed.data;
  }
}

function statusOf(status: string): PaymentObservationStatus {
  return mapStatus(tbankStatusMap, status, `tbank payment status "${status}"`);
}
