import { isIP, type BlockList } from 'node:net';
import type { Logger } from 'pino';
import { z } from 'zod';
import {
  fromDecimalString,
  toDecimalString,
  type CreatedPayment,
  type CreatePaymentInput,
  type Money,
  type PaymentObservationStatus,
  type PaymentProvider,
  type PaymentStatusReport,
  type WebhookNotification,
} from '@paystate/core';
import { optionalText, SettingsError } from '../app/env.js';
import { JsonClient, OutboundResponseError } from '../outbound/client.js';
import type { ProviderDescriptor } from './descriptor.js';
import { WebhookParseError, WebhookVerificationError, parseNotification, mapStatus } from './errors.js';
import { contains, networkList, normaliseAddress } from '../networks.js';

/** The networks YooKassa documents as the senders of its notifications. */
export const YOOKASSA_NOTIFICATION_NETWORKS = [
  '185.71.76.0/27',
  '185.71.77.0/27',
  '77.75.153.0/25',
  '77.75.156.11/32',
  '77.75.156.35/32',
  '77.75.154.128/25',
  '2a02:5180::/32',
] as const;

/** Every YooKassa payment status and the observation it is for the lifecycle. */
export const yookassaStatusMap: Readonly<Record<string, PaymentObservationStatus>> = {
  pending: 'pending',
  waiting_for_capture: 'waiting_for_capture',
  succeeded: 'succeeded',
  canceled: 'canceled',
};

/** Header the HTTP layer sets to the TCP peer address, so the allowlist sees who really connected. */
export const REMOTE_ADDRESS_HEADER = 'x-paystate-remote-addr';

export interface YooKassaOptions {
  apiUrl: string;
  shopId: string;
  secretKey: string;
  timeoutMs: number;
  logger: Logger;
  /** CIDRs allowed to deliver notifications; unset means any sender (the API re-check still guards). */
  allowedNetworks?: readonly string[];
}

const yookassaSettings = z.object({
  YOOKASSA_API_URL: z.url().default('https://api.yookassa.ru/v3'),
  YOOKASSA_SHOP_ID: optionalText,
  YOOKASSA_SECRET_KEY: optionalText,
  /** `yookassa` = the networks YooKassa publishes; `any` turns the sender check off; else CIDRs. */
  YOOKASSA_ALLOWED_NETWORKS: z.string().trim().min(1).default('yookassa'),
});

/** Configured by a shop id and its secret key; notifications go to the URL set in YooKassa's portal. */
export const yookassaDescriptor: ProviderDescriptor<typeof yookassaSettings> = {
  code: 'yookassa',
  settingsSchema: yookassaSettings,
  fromSettings: (settings, { timeoutMs, logger }) =>
    settings.YOOKASSA_SHOP_ID && settings.YOOKASSA_SECRET_KEY
      ? new YooKassaProvider({
          apiUrl: settings.YOOKASSA_API_URL,
          shopId: settings.YOOKASSA_SHOP_ID,
          secretKey: settings.YOOKASSA_SECRET_KEY,
          timeoutMs,
          logger,
          allowedNetworks: allowedNetworksOf(settings.YOOKASSA_ALLOWED_NETWORKS),
        })
      : undefined,
};

const amountSchema = z.object({ value: z.string(), currency: z.string() });

const paymentSchema = z.object({
  id: z.string().min(1),
  status: z.string(),
  amount: amountSchema,
  confirmation: z.object({ confirmation_url: z.string().optional() }).loose().optional(),
  /** What has been refunded on the payment so far (absent before any refund). */
  refunded_amount: amountSchema.optional(),
});

const refundSchema = z.object({ id: z.string(), status: z.string() });

const notificationSchema = z.object({
  type: z.literal('notification'),
  event: z.string().regex(/^(payment|refund|payout|deal)\.[a-z_]+$/),
  object: z.object({ id: z.string().min(1), payment_id: z.string().optional() }).loose(),
});

/** YooKassa API v3 (https://yookassa.ru/developers/api) behind the PaymentProvider port. */
export class YooKassaProvider implements PaymentProvider {
  readonly code = 'yookassa';
  readonly canQueryStatus = true;
  /** refunded_amount on the payment reads refunds back; every refund carries an Idempotence-Key. */
  readonly refundGuarantees = { readBack: true, idempotencyKey: true };
  private readonly client: JsonClient;
  private readonly allowed: BlockList | null;

  constructor(options: YooKassaOptions) {
    this.client = new JsonClient({
      service: 'yookassa',
      baseUrl: options.apiUrl,
      timeoutMs: options.timeoutMs,
      logger: options.logger,
      authorization: `Basic ${Buffer.from(`${options.shopId}:${options.secretKey}`).toString('base64')}`,
    });
    this.allowed = options.allowedNetworks ? networkList(options.allowedNetworks) : null;
  }

  async createPayment(input: CreatePaymentInput, idempotencyKey: string): Promise<CreatedPayment> {
    const payment = await this.client.call(
      {
        method: 'POST',
        path: '/payments',
        headers: { 'idempotence-key': idempotencyKey },
        body: {
          amount: amountOf(input.amount),
          capture: true,
          confirmation: { type: 'redirect', return_url: input.returnUrl },
          description: input.description.slice(0, 128),
          metadata: { order_id: input.orderId },
        },
      },
      paymentSchema,
    );
    const confirmationUrl = payment.confirmation?.confirmation_url;
    if (!confirmationUrl) throw new OutboundResponseError('yookassa created a payment without a confirmation_url');
    return { providerPaymentId: payment.id, confirmationUrl };
  }

  async getPaymentStatus(providerPaymentId: string): Promise<PaymentStatusReport> {
    const payment = await this.client.call(
      { method: 'GET', path: `/payments/${encodeURIComponent(providerPaymentId)}` },
      paymentSchema,
    );
    const refunded = payment.refunded_amount;
    return {
      status: statusOf(payment.status),
      amount: fromDecimalString(payment.amount.value, payment.amount.currency),
      raw: payment,
      refunded: refunded
        ? fromDecimalString(refunded.value, refunded.currency)
        : { amountMinor: 0, currency: payment.amount.currency },
    };
  }

  async refund(providerPaymentId: string, amount: Money, idempotencyKey: string): Promise<void> {
    const refund = await this.client.call(
      {
        method: 'POST',
        path: '/refunds',
        headers: { 'idempotence-key': idempotencyKey },
        body: { payment_id: providerPaymentId, amount: amountOf(amount) },
      },
      refundSchema,
    );
    if (refund.status === 'canceled') throw new OutboundResponseError(`yookassa canceled refund ${refund.id}`);
  }

  /**
   * YooKassa signs nothing, so authenticity comes from re-reading the payment from the API
   * (parseWebhook never reports a status). The sender allowlist only sheds obvious forgeries early.
   */
  async verifyWebhook(headers: Record<string, string>): Promise<void> {
    if (!this.allowed) return;
    const address = normaliseAddress(headers[REMOTE_ADDRESS_HEADER] ?? '');
    if (!contains(this.allowed, address)) {
      throw new WebhookVerificationError(
        `notification from ${address || 'an unknown address'} is outside YooKassa's networks`,
      );
    }
  }

  parseWebhook(rawBody: string): WebhookNotification {
    const { data: notification, json } = parseNotification(rawBody, notificationSchema, 'a YooKassa notification');
    const { event, object } = notification;
    const providerPaymentId = event.startsWith('refund.') ? object.payment_id : object.id;
    if (!event.startsWith('payment.') && !event.startsWith('refund.')) {
      throw new WebhookParseError(`notification event ${event} is not about a payment`);
    }
    if (!providerPaymentId) throw new WebhookParseError(`${event} notification names no payment`);
    return { eventId: `${event}:${object.id}`, providerPaymentId, status: null, amount: null, raw: json };
  }
}

function statusOf(status: string): PaymentObservationStatus {
  return mapStatus(yookassaStatusMap, status, `yookassa payment status "${status}"`);
}

function amountOf(money: Money) {
  return { value: toDecimalString(money), currency: money.currency };
}

/** "yookassa" stands for the networks YooKassa publishes, "any" for no sender check; else a CIDR list. */
function allowedNetworksOf(value: string): readonly string[] | undefined {
  if (value === 'any') return undefined;
  if (value === 'yookassa') return YOOKASSA_NOTIFICATION_NETWORKS;
  const networks = value.split(',').map((network) => network.trim());
  const bad = networks.find(
    (network) => !/^[0-9a-fA-F:.]+(\/\d{1,3})?$/.test(network) || isIP(network.split('/')[0] ?? '') === 0,
  );
  if (bad !== undefined)
    throw new SettingsError(`YOOKASSA_ALLOWED_NETWORKS: "${bad}" is not an IP address or CIDR network`);
  return networks;
}
