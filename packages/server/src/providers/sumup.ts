import type { Logger } from 'pino';
import { z } from 'zod';
import {
  fromDecimalString,
  MoneyFormatError,
  sameMoney,
  toDecimalString,
  type CreatedPayment,
  type CreatePaymentInput,
  type Money,
  type PaymentObservationStatus,
  type PaymentProvider,
  type PaymentStatusReport,
  type WebhookNotification,
} from '@paystate/core';
import { optionalText } from '../app/env.js';
import { JsonClient, OutboundHttpError, OutboundResponseError } from '../outbound/client.js';
import type { ProviderDescriptor } from './descriptor.js';
import { WebhookParseError, mapStatus } from './errors.js';

/**
 * Every SumUp checkout status and the observation it is for the lifecycle.
 *
 * FAILED is the outcome of the latest attempt, not of the checkout: the customer may try again
 * on the same checkout until it expires, so the order keeps waiting (`pending`) and its own
 * expiry ends it. Marking it `not_paid` would turn a successful second attempt into a late
 * payment (manual_make) for no reason. EXPIRED can no longer be paid: `canceled`.
 */
export const sumupStatusMap: Readonly<Record<string, PaymentObservationStatus>> = {
  PENDING: 'pending',
  FAILED: 'pending',
  PAID: 'succeeded',
  EXPIRED: 'canceled',
};

export interface SumUpOptions {
  /** e.g. https://api.sumup.com */
  apiUrl: string;
  apiKey: string;
  merchantCode: string;
  timeoutMs: number;
  logger: Logger;
  /** Sent as return_url: where SumUp posts checkout status changes (paystate's /v1/webhooks/sumup). */
  webhookUrl?: string;
}

const sumupSettings = z.object({
  SUMUP_API_URL: z.url().default('https://api.sumup.com'),
  SUMUP_API_KEY: optionalText,
  SUMUP_MERCHANT_CODE: optionalText,
});

export const sumupDescriptor: ProviderDescriptor<typeof sumupSettings> = {
  code: 'sumup',
  settingsSchema: sumupSettings,
  fromSettings: (settings, { timeoutMs, logger, webhookUrl }) =>
    settings.SUMUP_API_KEY && settings.SUMUP_MERCHANT_CODE
      ? new SumUpProvider({
          apiUrl: settings.SUMUP_API_URL,
          apiKey: settings.SUMUP_API_KEY,
          merchantCode: settings.SUMUP_MERCHANT_CODE,
          timeoutMs,
          logger,
          webhookUrl,
        })
      : undefined,
};

const transactionSchema = z
  .object({ id: z.string().min(1), status: z.string(), amount: z.number().optional(), currency: z.string().optional() })
  .loose();

const checkoutSchema = z
  .object({
    id: z.string().min(1),
    checkout_reference: z.string().optional(),
    amount: z.number().nonnegative(),
    currency: z.string(),
    merchant_code: z.string().optional(),
    status: z.string(),
    hosted_checkout_url: z.string().optional(),
    transactions: z.array(transactionSchema).optional(),
  })
  .loose();

type Checkout = z.infer<typeof checkoutSchema>;

/**
 * A transaction as GET /v0.1/me/transactions?id= answers it: its REFUND events are what SumUp
 * has given back (a FAILED one gave back nothing).
 */
const transactionDetailSchema = z
  .object({
    id: z.string().min(1),
    currency: z.string(),
    events: z
      .array(z.object({ type: z.string(), status: z.string().optional(), amount: z.number().nonnegative() }).loose())
      .optional(),
  })
  .loose();

/** The legacy return_url callback and the newer webhook event: both only name the checkout. */
const legacyNotificationSchema = z.object({ event_type: z.literal('CHECKOUT_STATUS_CHANGED'), id: z.string().min(1) });
const eventNotificationSchema = z.object({
  id: z.string().min(1),
  event_type: z.literal('checkout.status.updated'),
  payload: z.object({ checkout_id: z.string().min(1) }).loose(),
});

/**
 * SumUp online checkouts (https://developer.sumup.com/api/checkouts) behind the PaymentProvider
 * port. SumUp signs nothing it sends, so paystate polls: a notification only says "look at this
 * checkout" (parseWebhook reports no status) and the status and amount always come from the API.
 */
export class SumUpProvider implements PaymentProvider {
  readonly code = 'sumup';
  readonly canQueryStatus = true;
  /**
   * No idempotency key on refunds, so a refund is never sent twice; what was refunded is read
   * back from the paid transaction's REFUND events.
   */
  readonly refundGuarantees = { readBack: true, idempotencyKey: false };
  private readonly client: JsonClient;

  constructor(private readonly options: SumUpOptions) {
    this.client = new JsonClient({
      service: 'sumup',
      baseUrl: options.apiUrl,
      timeoutMs: options.timeoutMs,
      logger: options.logger,
      authorization: `Bearer ${options.apiKey}`,
    });
  }

  /**
   * checkout_reference is the order id, and SumUp refuses a second checkout with the same
   * reference (409 DUPLICATED_CHECKOUT): a retry after a lost answer then fetches the checkout
   * the first call created, so one order never has two checkouts.
   */
  async createPayment(input: CreatePaymentInput, _idempotencyKey: string): Promise<CreatedPayment> {
    let checkout: Checkout;
    try {
      checkout = await this.client.call(
        {
          method: 'POST',
          path: '/v0.1/checkouts',
          body: {
            checkout_reference: input.orderId,
            amount: exactAmount(input.amount),
            currency: input.amount.currency,
            merchant_code: this.options.merchantCode,
            description: input.description,
            redirect_url: input.returnUrl,
            hosted_checkout: { enabled: true },
            ...(this.options.webhookUrl ? { return_url: this.options.webhookUrl } : {}),
          },
        },
        checkoutSchema,
      );
    } catch (error) {
      if (!(error instanceof OutboundHttpError) || error.status !== 409) throw error;
      checkout = await this.existingCheckout(input.orderId);
    }
    const amount = moneyOf(checkout);
    if (
      (checkout.checkout_reference !== undefined && checkout.checkout_reference !== input.orderId) ||
      !sameMoney(amount, input.amount)
    ) {
      throw new OutboundResponseError(
        `sumup checkout ${checkout.id} is for ${checkout.checkout_reference ?? '?'} / ${toDecimalString(amount)} ${amount.currency}, not what was asked`,
      );
    }
    const confirmationUrl = checkout.hosted_checkout_url ?? (await this.checkout(checkout.id)).hosted_checkout_url;
    if (!confirmationUrl) throw new OutboundResponseError(`sumup checkout ${checkout.id} has no hosted_checkout_url`);
    return { providerPaymentId: checkout.id, confirmationUrl };
  }

  async getPaymentStatus(providerPaymentId: string): Promise<PaymentStatusReport> {
    const checkout = await this.checkout(providerPaymentId);
    const amount = moneyOf(checkout);
    const status = statusOf(checkout.status);
    // The status stands on its own: a failed refund read-back leaves `refunded` unknown, it never hides the payment's status.
    const refunded = await this.refunded(checkout, amount.currency).catch((error: unknown) => {
      this.options.logger.warn({ err: error, checkout: checkout.id }, 'sumup refund read-back failed');
      return undefined;
    });
    return { status, amount, raw: checkout, expired: checkout.status === 'EXPIRED', ...(refunded ? { refunded } : {}) };
  }

  /** The sum of the paid transaction's REFUND events that did not fail; nothing before a payment. */
  private async refunded(checkout: Checkout, currency: string): Promise<Money> {
    const paid = (checkout.transactions ?? []).find((transaction) => transaction.status === 'SUCCESSFUL');
    if (!paid) return { amountMinor: 0, currency };
    const detail = await this.client.call(
      { method: 'GET', path: `/v0.1/me/transactions?id=${encodeURIComponent(paid.id)}` },
      transactionDetailSchema,
    );
    let minor = 0;
    for (const event of detail.events ?? []) {
      if (event.type !== 'REFUND' || event.status === 'FAILED') continue;
      try {
        minor += fromDecimalString(event.amount, detail.currency).amountMinor;
      } catch (error) {
        throw new OutboundResponseError(
          `sumup transaction ${detail.id} refund amount ${event.amount}: ${(error as Error).message}`,
        );
      }
    }
    return { amountMinor: minor, currency: detail.currency };
  }

  /**
   * Refunds the checkout's successful transaction (POST /v0.1/me/refund/:transaction_id).
   * SumUp takes no idempotency key here and never refunds beyond what the transaction captured,
   * so a retry after a lost answer is refused once nothing is left: the order then goes to
   * manual review rather than anyone being refunded twice.
   */
  async refund(providerPaymentId: string, amount: Money, _idempotencyKey: string): Promise<void> {
    const checkout = await this.checkout(providerPaymentId);
    if (checkout.currency !== amount.currency) {
      throw new OutboundResponseError(
        `sumup checkout ${checkout.id} is in ${checkout.currency}, the refund in ${amount.currency}`,
      );
    }
    const paid = (checkout.transactions ?? []).find((transaction) => transaction.status === 'SUCCESSFUL');
    if (!paid) throw new OutboundResponseError(`sumup checkout ${checkout.id} has no successful transaction to refund`);
    await this.client.call(
      { method: 'POST', path: `/v0.1/me/refund/${encodeURIComponent(paid.id)}`, body: { amount: exactAmount(amount) } },
      z.unknown(),
    );
  }

  /** Nothing is signed: authenticity comes from re-reading the checkout (parseWebhook reports no status). */
  async verifyWebhook(): Promise<void> {}

  parseWebhook(rawBody: string): WebhookNotification {
    let json: unknown;
    try {
      json = JSON.parse(rawBody);
    } catch {
      throw new WebhookParseError('notification body is not JSON');
    }
    const legacy = legacyNotificationSchema.safeParse(json);
    if (legacy.success) {
      return {
        eventId: `${legacy.data.event_type}:${legacy.data.id}`,
        providerPaymentId: legacy.data.id,
        status: null,
        amount: null,
        raw: json,
      };
    }
    const event = eventNotificationSchema.safeParse(json);
    if (event.success) {
      return {
        eventId: `${event.data.event_type}:${event.data.id}`,
        providerPaymentId: event.data.payload.checkout_id,
        status: null,
        amount: null,
        raw: json,
      };
    }
    throw new WebhookParseError('not a SumUp checkout status notification');
  }

  private checkout(id: string): Promise<Checkout> {
    return this.client.call({ method: 'GET', path: `/v0.1/checkouts/${encodeURIComponent(id)}` }, checkoutSchema);
  }

  private async existingCheckout(reference: string): Promise<Checkout> {
    const found = await this.client.call(
      { method: 'GET', path: `/v0.1/checkouts?checkout_reference=${encodeURIComponent(reference)}` },
      z.array(checkoutSchema),
    );
    const mine = found.find(
      (checkout) =>
        checkout.checkout_reference === reference &&
        (checkout.merchant_code === undefined || checkout.merchant_code === this.options.merchantCode),
    );
    if (!mine) throw new OutboundResponseError(`sumup refused checkout ${reference} as a duplicate but lists none`);
    return mine;
  }
}

/**
 * SumUp wants major units as a JSON number: the exact decimal string (no float arithmetic),
 * sent as a number only when that number reads back as exactly the same amount.
 */
export function exactAmount(money: Money): number {
  const decimal = toDecimalString(money);
  const number = Number(decimal);
  let back: Money | null = null;
  try {
    back = fromDecimalString(number, money.currency);
  } catch {
    back = null;
  }
  if (!back || !sameMoney(back, money))
    throw new MoneyFormatError(`${decimal} ${money.currency} cannot travel exactly as a JSON number`);
  return number;
}

function moneyOf(checkout: Checkout): Money {
  try {
    return fromDecimalString(checkout.amount, checkout.currency);
  } catch (error) {
    throw new OutboundResponseError(
      `sumup checkout ${checkout.id} amount ${checkout.amount} ${checkout.currency}: ${(error as Error).message}`,
    );
  }
}

function statusOf(status: string): PaymentObservationStatus {
  return mapStatus(sumupStatusMap, status, `sumup checkout status "${status}"`);
}
