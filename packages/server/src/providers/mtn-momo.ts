import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { z } from 'zod';
import {
  fromDecimalString,
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
import { JsonClient, OutboundHttpError, type JsonCall } from '../outbound/client.js';
import {
  PayerDetailsRequiredError,
  RefundNotSupportedError,
  WebhookParseError,
  parseNotification,
  mapStatus,
} from './errors.js';

/** Every status of a MoMo request-to-pay and the observation it is for the lifecycle. */
export const mtnMomoStatusMap: Readonly<Record<string, PaymentObservationStatus>> = {
  PENDING: 'pending',
  SUCCESSFUL: 'succeeded',
  FAILED: 'canceled',
};

/** UUID v5 namespace of paystate's MoMo reference ids (any fixed UUID; never change it). */
export const MTN_MOMO_REFERENCE_NAMESPACE = '3f1c6a52-8d0e-4b7a-9c2d-5e4f1a0b7c63';

export interface MtnMomoOptions {
  /** e.g. https://sandbox.momodeveloper.mtn.com or the production host. */
  apiUrl: string;
  /** Ocp-Apim-Subscription-Key of the Collection product. */
  subscriptionKey: string;
  /** The API user (a UUID) and its API key, for Basic auth on the token endpoint. */
  apiUser: string;
  apiKey: string;
  /** X-Target-Environment: "sandbox" or the production environment, e.g. "mtnivorycoast". */
  targetEnvironment: string;
  /** paystate's /v1/webhooks/mtn_momo; sent as X-Callback-Url when set. */
  callbackUrl?: string;
  timeoutMs: number;
  logger: Logger;
  /** Decides when the cached access token is due for renewal. */
  clock?: Clock;
  /** Renew the token this many seconds before MoMo says it expires (default 60). */
  tokenRenewBeforeS?: number;
}

const mtnMomoSettings = z.object({
  MTN_MOMO_API_URL: z.url().default('https://sandbox.momodeveloper.mtn.com'),
  MTN_MOMO_SUBSCRIPTION_KEY: optionalText,
  MTN_MOMO_API_USER: optionalText,
  MTN_MOMO_API_KEY: optionalText,
  MTN_MOMO_TARGET_ENVIRONMENT: z.string().trim().min(1).default('sandbox'),
});

export const mtnMomoDescriptor: ProviderDescriptor<typeof mtnMomoSettings> = {
  code: 'mtn_momo',
  settingsSchema: mtnMomoSettings,
  fromSettings: (settings, { timeoutMs, logger, clock, webhookUrl }) =>
    settings.MTN_MOMO_SUBSCRIPTION_KEY && settings.MTN_MOMO_API_USER && settings.MTN_MOMO_API_KEY
      ? new MtnMomoProvider({
          apiUrl: settings.MTN_MOMO_API_URL,
          subscriptionKey: settings.MTN_MOMO_SUBSCRIPTION_KEY,
          apiUser: settings.MTN_MOMO_API_USER,
          apiKey: settings.MTN_MOMO_API_KEY,
          targetEnvironment: settings.MTN_MOMO_TARGET_ENVIRONMENT,
          callbackUrl: webhookUrl,
          timeoutMs,
          logger,
          clock,
        })
      : undefined,
};

/** MoMo collects from a wallet named by its phone number: `payerMsisdn` of the port's input. */
export type MtnMomoPaymentInput = CreatePaymentInput;

/** A request-to-pay cannot be sent without the payer's phone number. */
export class MomoPayerRequiredError extends PayerDetailsRequiredError {
  override readonly name = 'MomoPayerRequiredError';
}

const tokenSchema = z.object({ access_token: z.string().min(1), expires_in: z.coerce.number().positive() }).loose();

const requestToPaySchema = z
  .object({
    amount: z.union([z.string(), z.number()]),
    currency: z.string(),
    status: z.string(),
    externalId: z.string().optional(),
  })
  .loose();

const callbackSchema = z
  .object({
    referenceId: z.string().optional(),
    externalId: z.string().optional(),
    status: z.string().optional(),
  })
  .loose();

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * MTN MoMo Collection API (https://momodeveloper.mtn.com) behind the PaymentProvider port.
 *
 * - The access token (POST /collection/token/) is cached until shortly before it expires and
 *   shared by concurrent calls; a 401 drops it and the call is tried once more with a new one.
 * - The X-Reference-Id of a request-to-pay IS the provider payment id, derived from the
 *   idempotency key (UUID v5): a retried create is the same request, and MoMo's 409 for a
 *   reference it already has means "already created".
 * - There is no page to send the customer to (they approve on their phone), so the
 *   confirmation URL is the order's own status page: the return URL.
 * - Callbacks are unsigned: parseWebhook reports no status and paystate re-reads the payment.
 */
export class MtnMomoProvider implements PaymentProvider {
  readonly code = 'mtn_momo';
  readonly canQueryStatus = true;
  /** No refunds through Collection (refund() refuses before any call), so nothing to read back. */
  readonly refundGuarantees = { readBack: false, idempotencyKey: false };
  private readonly client: JsonClient;
  private readonly clock: Clock;
  private readonly tokens: BearerTokenCache;

  constructor(private readonly options: MtnMomoOptions) {
    this.client = new JsonClient({
      service: 'mtn_momo',
      baseUrl: options.apiUrl,
      timeoutMs: options.timeoutMs,
      logger: options.logger,
      authorization: `Basic ${Buffer.from(`${options.apiUser}:${options.apiKey}`).toString('base64')}`,
    });
    this.clock = options.clock ?? systemClock;
    this.tokens = new BearerTokenCache(() => this.fetchToken(), this.clock, this.options.tokenRenewBeforeS);
  }

  async createPayment(input: MtnMomoPaymentInput, idempotencyKey: string): Promise<CreatedPayment> {
    if (!input.payerMsisdn)
      throw new MomoPayerRequiredError("MTN MoMo needs the payer's phone number (payerMsisdn) to request a payment");
    const referenceId = momoReferenceId(idempotencyKey);
    try {
      await this.authorised(
        {
          method: 'POST',
          path: '/collection/v1_0/requesttopay',
          headers: {
            'x-reference-id': referenceId,
            ...(this.options.callbackUrl ? { 'x-callback-url': this.options.callbackUrl } : {}),
          },
          body: {
            amount: toDecimalString(input.amount),
            currency: input.amount.currency,
            // The callback carries no reference id, only externalId: it is how a callback names the payment.
            externalId: referenceId,
            payer: { partyIdType: 'MSISDN', partyId: input.payerMsisdn },
            payerMessage: input.description.slice(0, 160),
            payeeNote: `order ${input.orderId}`.slice(0, 160),
          },
        },
        z.unknown(),
      );
    } catch (error) {
      // 409: MoMo already holds a request with this reference, i.e. our earlier attempt arrived.
      if (!(error instanceof OutboundHttpError && error.status === 409)) throw error;
    }
    return { providerPaymentId: referenceId, confirmationUrl: input.returnUrl };
  }

  async getPaymentStatus(providerPaymentId: string): Promise<PaymentStatusReport> {
    const result = await this.authorised(
      { method: 'GET', path: `/collection/v1_0/requesttopay/${encodeURIComponent(providerPaymentId)}` },
      requestToPaySchema,
    );
    return {
      status: mtnMomoStatusOf(result.status),
      amount: fromDecimalString(result.amount, result.currency),
      raw: result,
    };
  }

  /**
   * Collection has no refund: MoMo refunds are disbursement transfers (POST
   * /disbursement/v1_0/refund) under the separate Disbursement product with its own
   * subscription key and API user, which paystate does not hold. Refunds are manual.
   */
  async refund(providerPaymentId: string, _amount: Money, _idempotencyKey: string): Promise<void> {
    throw new RefundNotSupportedError(
      'mtn_momo',
      `request-to-pay ${providerPaymentId} can only be refunded through MoMo's Disbursement product, which paystate is not configured for`,
    );
  }

  /** MoMo signs nothing: authenticity comes from re-reading the request-to-pay (parseWebhook reports no status). */
  async verifyWebhook(_headers: Record<string, string>, _rawBody: string): Promise<void> {}

  parseWebhook(rawBody: string): WebhookNotification {
    const { data: callback, json } = parseNotification(rawBody, callbackSchema, 'a MoMo request-to-pay callback');
    const reference = [callback.referenceId, callback.externalId].find((id) => id !== undefined && UUID.test(id));
    if (!reference) throw new WebhookParseError('MoMo callback names no request-to-pay reference');
    return { eventId: null, providerPaymentId: reference.toLowerCase(), status: null, amount: null, raw: json };
  }

  /** A call with the cached bearer token (renewed once on a 401). */
  private authorised<T>(call: JsonCall, schema: z.ZodType<T>): Promise<T> {
    return this.tokens.withToken((token) =>
      this.client.call(
        {
          ...call,
          headers: {
            ...call.headers,
            authorization: `Bearer ${token}`,
            'x-target-environment': this.options.targetEnvironment,
            'ocp-apim-subscription-key': this.options.subscriptionKey,
          },
        },
        schema,
      ),
    );
  }

  private async fetchToken(): Promise<IssuedToken> {
    const answer = await this.client.call(
      {
        method: 'POST',
        path: '/collection/token/',
        headers: { 'ocp-apim-subscription-key': this.options.subscriptionKey },
      },
      tokenSchema,
    );
    return { accessToken: answer.access_token, expiresInS: answer.expires_in };
  }
}

export function mtnMomoStatusOf(status: string): PaymentObservationStatus {
  return mapStatus(mtnMomoStatusMap, status, `mtn_momo request-to-pay status "${status}"`);
}

/** The X-Reference-Id for an idempotency key: a name-based UUID v5, so the same key is the same request. */
export function momoReferenceId(idempotencyKey: string): string {
  return uuidV5(idempotencyKey, MTN_MOMO_REFERENCE_NAMESPACE);
}

/** RFC 9562 UUID version 5: SHA-1 of the namespace bytes and the UTF-8 name. */
export function uuidV5(name: string, namespace: string): string {
  if (!UUID.test(namespace)) throw new Error(`not a UUID: ${namespace}`);
  const bytes = createHash('sha1')
    .update(Buffer.from(namespace.replace(/-/g, ''), 'hex'))
    .update(name, 'utf8')
    .digest()
    .subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x50;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
