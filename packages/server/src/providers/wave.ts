import { createHmac, timingSafeEqual } from 'node:crypto';
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
import { optionalText, SettingsError } from '../app/env.js';
import { JsonClient, OutboundResponseError } from '../outbound/client.js';
import type { ProviderDescriptor } from './descriptor.js';
import {
  RefundNotSupportedError,
  WebhookParseError,
  WebhookVerificationError,
  parseNotification,
  mapStatus,
} from './errors.js';

/**
 * A Wave checkout session has two statuses: `checkout_status` (open, complete, expired) and
 * `payment_status` (processing, cancelled, succeeded). The table is keyed on both as
 * "checkout/payment". A failed attempt leaves the session open (the customer may try again
 * until it expires), so `open/cancelled` is still pending. Combinations Wave never produces
 * (complete without a succeeded payment, a succeeded payment on an expired session) are not
 * in the table: they are refused as unknown, never guessed.
 */
export const waveStatusMap: Readonly<Record<string, PaymentObservationStatus>> = {
  'open/processing': 'pending',
  'open/cancelled': 'pending',
  'complete/succeeded': 'succeeded',
  'expired/processing': 'canceled',
  'expired/cancelled': 'canceled',
};

/** The header Wave signs its webhooks in: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t><raw body>">[,v1=…]`. */
export const WAVE_SIGNATURE_HEADER = 'wave-signature';
/** A signature older than this is a replay (docs/architecture.md section 8). */
export const WAVE_REPLAY_WINDOW_S = 300;
/** A timestamp this far ahead of our clock is still accepted (clock drift); beyond it, refused. */
export const WAVE_FUTURE_SKEW_S = 30;

export interface WaveOptions {
  /** Base URL without the /v1 prefix, e.g. https://api.wave.com. */
  apiUrl: string;
  apiKey: string;
  /** The signing secret of the webhook registered in Wave's business portal. */
  webhookSecret: string;
  timeoutMs: number;
  logger: Logger;
  /** Judges the signature timestamp; a test clock makes replays and drift testable. */
  clock?: Clock;
}

const waveSettings = z.object({
  WAVE_API_URL: z.url().default('https://api.wave.com'),
  WAVE_API_KEY: optionalText,
  /** The signing secret of the webhook registered in Wave's business portal; required with WAVE_API_KEY. */
  WAVE_WEBHOOK_SECRET: optionalText,
});

/** Configured by an API key; its webhook secret must come with it (see fromSettings). */
export const waveDescriptor: ProviderDescriptor<typeof waveSettings> = {
  code: 'wave',
  settingsSchema: waveSettings,
  fromSettings(settings, { timeoutMs, logger, clock }) {
    if (!settings.WAVE_API_KEY) return undefined;
    // Without the secret no webhook could be verified, so a half-configured Wave fails at start-up, not per webhook.
    if (!settings.WAVE_WEBHOOK_SECRET) {
      throw new SettingsError(
        'WAVE_WEBHOOK_SECRET is required with WAVE_API_KEY: Wave webhooks are accepted only when signed',
      );
    }
    return new WaveProvider({
      apiUrl: settings.WAVE_API_URL,
      apiKey: settings.WAVE_API_KEY,
      webhookSecret: settings.WAVE_WEBHOOK_SECRET,
      timeoutMs,
      logger,
      clock,
    });
  },
};

const sessionSchema = z
  .object({
    id: z.string().min(1),
    amount: z.string(),
    currency: z.string(),
    checkout_status: z.string(),
    payment_status: z.string(),
    client_reference: z.string().nullable().optional(),
    wave_launch_url: z.string().optional(),
  })
  .loose();

type WaveSession = z.infer<typeof sessionSchema>;

const eventSchema = z.object({
  id: z.string().min(1),
  type: z.string(),
  data: sessionSchema,
});

const SESSION_EVENTS = new Set(['checkout.session.completed', 'checkout.session.payment_failed']);

/** Wave Checkout API (https://docs.wave.com/checkout) behind the PaymentProvider port. */
export class WaveProvider implements PaymentProvider {
  readonly code = 'wave';
  readonly canQueryStatus = true;
  /** A checkout session does not report its refund; the refund call takes an idempotency-key. */
  readonly refundGuarantees = { readBack: false, idempotencyKey: true };
  private readonly client: JsonClient;
  private readonly clock: Clock;
  private readonly secret: Buffer;

  constructor(options: WaveOptions) {
    if (!options.webhookSecret)
      throw new Error('Wave needs its webhook signing secret: unsigned webhooks are never accepted');
    this.client = new JsonClient({
      service: 'wave',
      baseUrl: options.apiUrl,
      timeoutMs: options.timeoutMs,
      logger: options.logger,
      authorization: `Bearer ${options.apiKey}`,
    });
    this.clock = options.clock ?? systemClock;
    this.secret = Buffer.from(options.webhookSecret, 'utf8');
  }

  /** The customer pays in the Wave app: the confirmation URL is the session's wave_launch_url. */
  async createPayment(input: CreatePaymentInput, idempotencyKey: string): Promise<CreatedPayment> {
    const session = await this.client.call(
      {
        method: 'POST',
        path: '/v1/checkout/sessions',
        headers: { 'idempotency-key': idempotencyKey },
        body: {
          amount: toDecimalString(input.amount),
          currency: input.amount.currency,
          success_url: input.returnUrl,
          error_url: input.returnUrl,
          client_reference: input.orderId,
        },
      },
      sessionSchema,
    );
    if (!session.wave_launch_url)
      throw new OutboundResponseError('wave created a checkout session without a wave_launch_url');
    return { providerPaymentId: session.id, confirmationUrl: session.wave_launch_url };
  }

  async getPaymentStatus(providerPaymentId: string): Promise<PaymentStatusReport> {
    const session = await this.session(providerPaymentId);
    const status = waveStatusOf(session.checkout_status, session.payment_status);
    // An expired session can no longer be paid: its lifetime ran out, nobody refused it.
    return {
      status,
      amount: amountOf(session),
      raw: session,
      expired: status === 'canceled' && session.checkout_status === 'expired',
    };
  }

  /**
   * Wave refunds a whole checkout session and takes no amount, so only a full refund is sent;
   * a partial one is refused before any call (RefundNotSupportedError, final).
   */
  async refund(providerPaymentId: string, amount: Money, idempotencyKey: string): Promise<void> {
    const session = await this.session(providerPaymentId);
    const paid = amountOf(session);
    if (paid.currency !== amount.currency || paid.amountMinor !== amount.amountMinor) {
      throw new RefundNotSupportedError(
        'wave',
        `Wave refunds whole checkout sessions only (${toDecimalString(paid)} ${paid.currency}), not ${toDecimalString(amount)} ${amount.currency}`,
      );
    }
    await this.client.call(
      {
        method: 'POST',
        path: `/v1/checkout/sessions/${encodeURIComponent(providerPaymentId)}/refund`,
        headers: { 'idempotency-key': idempotencyKey },
      },
      z.unknown(),
    );
  }

  /**
   * Checks `Wave-Signature` over the raw bytes: one of its v1 values must be the HMAC-SHA256 of
   * "<t><raw body>" under the webhook secret (compared in constant time after a length check),
   * and t must be within the replay window and not ahead of our clock beyond a small skew.
   */
  async verifyWebhook(headers: Record<string, string>, rawBody: string): Promise<void> {
    const header = headerOf(headers, WAVE_SIGNATURE_HEADER);
    if (!header) throw new WebhookVerificationError('Wave-Signature header is missing');
    const { timestamp, signatures } = parseSignatureHeader(header);
    const expected = Buffer.from(signWave(this.secret, timestamp, rawBody), 'utf8');
    const matches = signatures.some((candidate) => {
      const given = Buffer.from(candidate.toLowerCase(), 'utf8');
      return given.length === expected.length && timingSafeEqual(given, expected);
    });
    if (!matches) throw new WebhookVerificationError('Wave-Signature does not match the body');
    const ageS = this.clock.now().getTime() / 1000 - Number(timestamp);
    if (ageS > WAVE_REPLAY_WINDOW_S) {
      throw new WebhookVerificationError(
        `Wave-Signature is ${Math.floor(ageS)} s old, beyond the ${WAVE_REPLAY_WINDOW_S} s replay window`,
      );
    }
    if (-ageS > WAVE_FUTURE_SKEW_S) {
      throw new WebhookVerificationError(`Wave-Signature is dated ${Math.ceil(-ageS)} s in the future`);
    }
  }

  /** The event is signed, so its session's status and amount are trusted as they stand. */
  parseWebhook(rawBody: string): WebhookNotification {
    const { data: event, json } = parseNotification(rawBody, eventSchema, 'a Wave checkout session event');
    const { id, type, data } = event;
    if (!SESSION_EVENTS.has(type))
      throw new WebhookParseError(`Wave event ${type} is not about a checkout session payment`);
    let status: PaymentObservationStatus;
    let amount: Money;
    try {
      status = waveStatusOf(data.checkout_status, data.payment_status);
      amount = amountOf(data);
    } catch (error) {
      throw new WebhookParseError(`Wave event ${id}: ${error instanceof Error ? error.message : String(error)}`);
    }
    return { eventId: id, providerPaymentId: data.id, status, amount, raw: json };
  }

  private session(providerPaymentId: string): Promise<WaveSession> {
    return this.client.call(
      { method: 'GET', path: `/v1/checkout/sessions/${encodeURIComponent(providerPaymentId)}` },
      sessionSchema,
    );
  }
}

export function waveStatusOf(checkoutStatus: string, paymentStatus: string): PaymentObservationStatus {
  return mapStatus(
    waveStatusMap,
    `${checkoutStatus}/${paymentStatus}`,
    `wave checkout_status "${checkoutStatus}" with payment_status "${paymentStatus}"`,
  );
}

/** The hex HMAC-SHA256 Wave puts in v1: over the timestamp immediately followed by the raw body. */
export function signWave(secret: string | Buffer, timestamp: string | number, rawBody: string): string {
  return createHmac('sha256', secret).update(`${timestamp}${rawBody}`, 'utf8').digest('hex');
}

function parseSignatureHeader(header: string): { timestamp: string; signatures: string[] } {
  const timestamps: string[] = [];
  const signatures: string[] = [];
  for (const part of header.split(',')) {
    const separator = part.indexOf('=');
    if (separator < 0) continue;
    const key = part.slice(0, separator).trim();
    const value = part.slice(separator + 1).trim();
    if (key === 't') timestamps.push(value);
    else if (key === 'v1' && value !== '') signatures.push(value);
  }
  const [timestamp] = timestamps;
  if (timestamps.length !== 1 || timestamp === undefined || !/^\d{1,12}$/.test(timestamp)) {
    throw new WebhookVerificationError('Wave-Signature needs exactly one numeric t= timestamp');
  }
  if (signatures.length === 0) throw new WebhookVerificationError('Wave-Signature carries no v1 signature');
  return { timestamp, signatures };
}

function headerOf(headers: Record<string, string>, name: string): string | undefined {
  const found = Object.entries(headers).find(([key]) => key.toLowerCase() === name);
  return found?.[1];
}

function amountOf(session: Pick<WaveSession, 'amount' | 'currency'>): Money {
  return fromDecimalString(session.amount, session.currency);
}
