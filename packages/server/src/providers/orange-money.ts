import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { z } from 'zod';
import {
  currencySchema,
  minorExponent,
  systemClock,
  toDecimalString,
  type Clock,
  type CreatedPayment,
  type CreatePaymentInput,
  type Money,
  type PaymentObservationStatus,
  type PaymentProvider,
  type PaymentStatusReport,
  type WebhookNotification,
} from '@paystate/core';
import { optionalText } from '../app/env.js';
import { BearerTokenCache, type IssuedToken } from '../outbound/bearer-token.js';
import type { ProviderDescriptor } from './descriptor.js';
import { JsonClient, type JsonCall } from '../outbound/client.js';
import { RefundNotSupportedError, WebhookParseError, WebhookVerificationError, mapStatus } from './errors.js';

/** Every status of an Orange Money web payment and the observation it is for the lifecycle. */
export const orangeMoneyStatusMap: Readonly<Record<string, PaymentObservationStatus>> = {
  INITIATED: 'pending',
  PENDING: 'pending',
  SUCCESS: 'succeeded',
  FAILED: 'canceled',
  EXPIRED: 'canceled',
};

/** Orange's development environment ("dev" country) only knows its test currency. */
export const ORANGE_MONEY_DEV_CURRENCY = 'OUV';

export interface OrangeMoneyOptions {
  /** e.g. https://api.orange.com */
  apiUrl: string;
  clientId: string;
  clientSecret: string;
  merchantKey: string;
  /** The path segment of the web payment API: "dev" for the sandbox, else e.g. "ci", "sn", "ml". */
  country: string;
  /** paystate's /v1/webhooks/orange_money: Orange's notif_url. */
  notifUrl: string;
  /** Language of Orange's payment page. */
  lang?: 'fr' | 'en';
  /** Merchant name shown on the payment page. */
  reference?: string;
  timeoutMs: number;
  logger: Logger;
  /** Token renewal and how long an issued notif_token is remembered. */
  clock?: Clock;
  /** How long the notif_token of a payment is remembered to verify its notification (default 1 day). */
  notifTokenTtlS?: number;
}

const orangeMoneySettings = z.object({
  ORANGE_MONEY_API_URL: z.url().default('https://api.orange.com'),
  ORANGE_MONEY_CLIENT_ID: optionalText,
  ORANGE_MONEY_CLIENT_SECRET: optionalText,
  ORANGE_MONEY_MERCHANT_KEY: optionalText,
  /** The web payment API's country segment: `dev` (sandbox, currency OUV) or e.g. `ci`, `sn`, `ml`, `cm`. */
  ORANGE_MONEY_COUNTRY: z
    .string()
    .trim()
    .regex(/^[a-z]{2,16}$/, 'a lower-case country code such as ci, sn or dev')
    .default('dev'),
});

export const orangeMoneyDescriptor: ProviderDescriptor<typeof orangeMoneySettings> = {
  code: 'orange_money',
  settingsSchema: orangeMoneySettings,
  fromSettings: (settings, { timeoutMs, logger, clock, webhookUrl }) =>
    settings.ORANGE_MONEY_CLIENT_ID && settings.ORANGE_MONEY_CLIENT_SECRET && settings.ORANGE_MONEY_MERCHANT_KEY
      ? new OrangeMoneyProvider({
          apiUrl: settings.ORANGE_MONEY_API_URL,
          clientId: settings.ORANGE_MONEY_CLIENT_ID,
          clientSecret: settings.ORANGE_MONEY_CLIENT_SECRET,
          merchantKey: settings.ORANGE_MONEY_MERCHANT_KEY,
          country: settings.ORANGE_MONEY_COUNTRY,
          notifUrl: webhookUrl,
          timeoutMs,
          logger,
          clock,
        })
      : undefined,
};

const tokenSchema = z.object({ access_token: z.string().min(1), expires_in: z.coerce.number().positive() }).loose();

const webPaymentSchema = z
  .object({ pay_token: z.string().min(1), payment_url: z.string().min(1), notif_token: z.string().min(1) })
  .loose();

const transactionStatusSchema = z.object({ status: z.string() }).loose();

const notificationSchema = z.object({ status: z.string(), notif_token: z.string().min(1) }).loose();

/** What a status query needs besides the token: Orange answers only for the matching (order_id, amount, pay_token). */
interface PaymentRef {
  payToken: string;
  orderId: string;
  amount: Money;
}

const MAX_REMEMBERED = 10_000;

/**
 * Orange Money Web Payment (https://developer.orange.com/apis/om-webpay) behind the port.
 *
 * - OAuth client credentials (form-urlencoded, Basic auth) give a bearer token, cached.
 * - The status query needs order_id, amount and pay_token, and the adapter keeps no state, so
 *   the provider payment id carries all three: `<pay_token>:<order_id>:<amount>:<currency>`
 *   (each part URI-encoded). The pay_token in it is what Orange knows the payment by.
 * - A notification carries only status, notif_token and txnid. Its notif_token must equal the
 *   one issued with the payment; this process remembers the tokens it was issued (bounded, for
 *   `notifTokenTtlS`). A notification is only a hint (no status): the payment is re-read with
 *   transactionstatus. One whose token this process does not know (another instance, a restart)
 *   is refused with 401 and the poller settles the payment.
 * - There is no refund API: refunds are manual.
 */
export class OrangeMoneyProvider implements PaymentProvider {
  readonly code = 'orange_money';
  readonly canQueryStatus = true;
  /** No refund API (refund() refuses before any call), so nothing to read back. */
  readonly refundGuarantees = { readBack: false, idempotencyKey: false };
  private readonly client: JsonClient;
  private readonly clock: Clock;
  private readonly basePath: string;
  private readonly tokens: BearerTokenCache;
  /** sha256(notif_token) -> the payment it was issued for; insertion order is age order. */
  private readonly issued = new Map<string, { providerPaymentId: string; until: number }>();

  constructor(private readonly options: OrangeMoneyOptions) {
    this.client = new JsonClient({
      service: 'orange_money',
      baseUrl: options.apiUrl,
      timeoutMs: options.timeoutMs,
      logger: options.logger,
      authorization: `Basic ${Buffer.from(`${options.clientId}:${options.clientSecret}`).toString('base64')}`,
    });
    this.clock = options.clock ?? systemClock;
    this.tokens = new BearerTokenCache(() => this.fetchToken(), this.clock);
    this.basePath = `/orange-money-webpay/${encodeURIComponent(options.country)}/v1`;
  }

  async createPayment(input: CreatePaymentInput, _idempotencyKey: string): Promise<CreatedPayment> {
    const amount = wholeAmount(input.amount);
    const payment = await this.authorised(
      {
        method: 'POST',
        path: `${this.basePath}/webpayment`,
        redactParams: ['merchant_key'],
        body: {
          merchant_key: this.options.merchantKey,
          // The dev environment knows only its test currency; elsewhere the order's (XOF, XAF, GNF ...).
          currency: this.options.country === 'dev' ? ORANGE_MONEY_DEV_CURRENCY : input.amount.currency,
          order_id: input.orderId,
          amount,
          return_url: input.returnUrl,
          cancel_url: input.returnUrl,
          notif_url: this.options.notifUrl,
          lang: this.options.lang ?? 'fr',
          reference: (this.options.reference ?? 'paystate').slice(0, 30),
        },
      },
      webPaymentSchema,
    );
    const providerPaymentId = encodePaymentRef({
      payToken: payment.pay_token,
      orderId: input.orderId,
      amount: input.amount,
    });
    this.remember(payment.notif_token, providerPaymentId);
    return { providerPaymentId, confirmationUrl: payment.payment_url };
  }

  async getPaymentStatus(providerPaymentId: string): Promise<PaymentStatusReport> {
    const ref = decodePaymentRef(providerPaymentId);
    const answer = await this.authorised(
      {
        method: 'POST',
        path: `${this.basePath}/transactionstatus`,
        body: { order_id: ref.orderId, amount: wholeAmount(ref.amount), pay_token: ref.payToken },
      },
      transactionStatusSchema,
    );
    // Orange's answer has no amount: it answers only for the order_id, amount and pay_token asked about.
    return {
      status: orangeMoneyStatusOf(answer.status),
      amount: ref.amount,
      raw: answer,
      expired: answer.status === 'EXPIRED',
    };
  }

  /** Orange Money web payments have no refund API. */
  async refund(providerPaymentId: string, _amount: Money, _idempotencyKey: string): Promise<void> {
    const { orderId } = decodePaymentRef(providerPaymentId);
    throw new RefundNotSupportedError('orange_money', `web payments have no refund API (order ${orderId})`);
  }

  /** The notification's notif_token must be one this process was issued with a payment it created. */
  async verifyWebhook(_headers: Record<string, string>, rawBody: string): Promise<void> {
    let notification;
    try {
      notification = parseNotification(rawBody);
    } catch {
      return; // not a notification at all: parseWebhook answers 400
    }
    if (!this.paymentFor(notification.notif_token)) {
      throw new WebhookVerificationError(
        'Orange Money notification carries a notif_token not issued for any payment this process knows',
      );
    }
  }

  /** A hint only: the payment is re-read with transactionstatus, the claimed status is not trusted. */
  parseWebhook(rawBody: string): WebhookNotification {
    const notification = parseNotification(rawBody);
    const providerPaymentId = this.paymentFor(notification.notif_token);
    if (!providerPaymentId)
      throw new WebhookParseError('Orange Money notification names no payment this process knows');
    const txnid = typeof notification.txnid === 'string' ? notification.txnid : null;
    return {
      eventId: txnid ? `${txnid}:${notification.status}` : null,
      providerPaymentId,
      status: null,
      amount: null,
      raw: notification,
    };
  }

  private remember(notifToken: string, providerPaymentId: string): void {
    const now = this.clock.now().getTime();
    this.issued.set(tokenKey(notifToken), {
      providerPaymentId,
      until: now + (this.options.notifTokenTtlS ?? 86_400) * 1000,
    });
    for (const [key, entry] of this.issued) {
      if (this.issued.size <= MAX_REMEMBERED && entry.until > now) break;
      this.issued.delete(key);
    }
  }

  private paymentFor(notifToken: string): string | null {
    const entry = this.issued.get(tokenKey(notifToken));
    if (!entry || entry.until <= this.clock.now().getTime()) return null;
    return entry.providerPaymentId;
  }

  /** A call with the cached bearer token (renewed once on a 401). */
  private authorised<T>(call: JsonCall, schema: z.ZodType<T>): Promise<T> {
    return this.tokens.withToken((token) =>
      this.client.call({ ...call, headers: { ...call.headers, authorization: `Bearer ${token}` } }, schema),
    );
  }

  private async fetchToken(): Promise<IssuedToken> {
    const answer = await this.client.call(
      { method: 'POST', path: '/oauth/v3/token', form: { grant_type: 'client_credentials' } },
      tokenSchema,
    );
    return { accessToken: answer.access_token, expiresInS: answer.expires_in };
  }
}

export function orangeMoneyStatusOf(status: string): PaymentObservationStatus {
  return mapStatus(orangeMoneyStatusMap, status, `orange_money payment status "${status}"`);
}

/** `<pay_token>:<order_id>:<amount minor>:<currency>`, each part URI-encoded. */
export function encodePaymentRef(ref: PaymentRef): string {
  return [ref.payToken, ref.orderId, String(ref.amount.amountMinor), ref.amount.currency]
    .map(encodeURIComponent)
    .join(':');
}

export function decodePaymentRef(providerPaymentId: string): PaymentRef {
  const parts = providerPaymentId.split(':').map((part) => {
    try {
      return decodeURIComponent(part);
    } catch {
      return '';
    }
  });
  const [payToken, orderId, minor, currency] = parts;
  const amountMinor = Number(minor);
  if (
    parts.length !== 4 ||
    !payToken ||
    !orderId ||
    !/^\d+$/.test(minor ?? '') ||
    !Number.isSafeInteger(amountMinor) ||
    !currencySchema.safeParse(currency).success
  ) {
    throw new Error(`not an Orange Money payment id: ${providerPaymentId}`);
  }
  return { payToken, orderId, amount: { amountMinor, currency: currency! } };
}

/** Orange takes whole amounts; a currency with minor units must be charged in whole units. */
function wholeAmount(money: Money): number {
  const exponent = minorExponent(money.currency);
  const unit = 10 ** exponent;
  if (money.amountMinor % unit !== 0) {
    throw new RangeError(`Orange Money takes whole amounts: ${toDecimalString(money)} ${money.currency} is not one`);
  }
  return money.amountMinor / unit;
}

function parseNotification(rawBody: string): z.infer<typeof notificationSchema> {
  let json: unknown;
  try {
    json = JSON.parse(rawBody);
  } catch {
    throw new WebhookParseError('Orange Money notification body is not JSON');
  }
  const parsed = notificationSchema.safeParse(json);
  if (!parsed.success) throw new WebhookParseError('not an Orange Money notification');
  return parsed.data;
}

function tokenKey(notifToken: string): string {
  return createHash('sha256').update(notifToken, 'utf8').digest('hex');
}
