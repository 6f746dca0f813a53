import type { Logger } from 'pino';
import type { Clock } from '@paystate/core';
import { MailDeliveryError, type Mail, type Mailer } from '../notifications/mailer.js';
import type { Keyring } from '../merchants/sealing.js';
import { channelSealingContext } from './service.js';
import { webhookHeaders } from './signature.js';
import type { AlertChannelRecord, AlertDeliveryRecord, AlertRecord, AlertStore, DeliveryOutcome } from './store.js';
import { alertView } from './views.js';

export interface AlertDeliveryOptions {
  store: AlertStore;
  clock: Clock;
  logger: Logger;
  /** E-mail channels send through it; null without SMTP_URL. */
  mailer: Mailer | null;
  keyring: Keyring | null;
  /** ALERT_DELIVERY_ATTEMPTS: after this many failed attempts a digest is given up (failed, logged). */
  attemptsLimit: number;
  /** ALERT_RETRY_BASE_S in ms: the n-th retry waits base * 2^(n-1), at most an hour. */
  retryBaseMs: number;
  /** ALERT_WEBHOOK_TIMEOUT_S in ms: a webhook that does not answer within it is tried again. */
  webhookTimeoutMs: number;
  batchSize?: number;
}

/** An attempt that failed; `transient` ones (5xx, 429, timeouts, network, a busy relay) are tried again. */
class DeliveryFailure extends Error {
  constructor(
    message: string,
    readonly transient: boolean,
  ) {
    super(message);
  }
}

const MAX_BACKOFF_MS = 3_600_000;

/** The JSON body of a webhook digest (the `data` of a Standard Webhooks event). */
export function digestBody(delivery: AlertDeliveryRecord, alerts: readonly AlertRecord[], timestamp: string) {
  return {
    type: 'alerts.digest',
    timestamp,
    data: {
      merchant_id: delivery.merchantId,
      window_start: delivery.windowStart,
      window_end: delivery.windowEnd,
      alerts: alerts.map(alertView),
    },
  };
}

/** The e-mail of a digest: one line per alert, then each alert's details. */
export function digestMail(to: string, delivery: AlertDeliveryRecord, alerts: readonly AlertRecord[]): Mail {
  const kinds = [...new Set(alerts.map((alert) => alert.kind))].join(', ');
  const noun = alerts.length === 1 ? 'alert' : 'alerts';
  return {
    to,
    subject: `paystate: ${alerts.length} ${noun} for ${delivery.merchantId} (${kinds})`,
    text: [
      `${alerts.length} ${noun} for merchant ${delivery.merchantId} between ${delivery.windowStart} and ${delivery.windowEnd}:`,
      '',
      ...alerts.map(
        (alert) =>
          `- ${alert.createdAt} ${alert.kind}` +
          (alert.orderId ? ` order ${alert.orderId}` : '') +
          (alert.paymentId ? ` payment ${alert.paymentId}` : '') +
          ` (alert ${alert.id})`,
      ),
      '',
      'Details:',
      ...alerts.map((alert) => `${alert.id}: ${JSON.stringify(alertView(alert).details)}`),
      '',
      'Acknowledge with POST /v1/admin/alerts/<id>/acknowledge or `paystate alerts ack <id> --by <name>`.',
    ].join('\n'),
  };
}

/**
 * The alert outbox's worker (docs/alerts.md): sends each digest whose window has closed to its
 * channel, by e-mail or as a signed webhook, and retries the transient failures with backoff.
 * Run on the effect dispatcher's timer (orders/dispatcher.ts `sideSteps`), beside and never
 * inside an outbox pass: a slow receiver does not hold back a make command.
 *
 * Invariants: a delivery is sent only under its lease (claimDueDeliveries); a crash after the
 * send but before `finishDelivery` sends it again when the lease ends (at least once; the
 * webhook-id stays the same, so a receiver drops the repeat).
 */
export class AlertDeliveryStep {
  private running: Promise<number> | null = null;

  constructor(private readonly options: AlertDeliveryOptions) {}

  /** Runs a pass now, unless one runs: then that one's promise. */
  kick(): Promise<number> {
    this.running ??= this.run().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  /** Resolves when the running pass (if any) has finished. */
  async settled(): Promise<void> {
    await this.running?.catch(() => undefined);
  }

  private async run(): Promise<number> {
    const { store, clock, logger } = this.options;
    const now = clock.now();
    let due: AlertDeliveryRecord[];
    try {
      due = await store.claimDueDeliveries(
        now.toISOString(),
        new Date(now.getTime() + Math.max(30_000, this.options.webhookTimeoutMs * 4)).toISOString(),
        this.options.batchSize ?? 20,
      );
    } catch (error) {
      logger.error({ err: error }, 'alert deliveries: could not claim');
      return 0;
    }
    for (const delivery of due) await this.deliver(delivery);
    return due.length;
  }

  private async deliver(delivery: AlertDeliveryRecord): Promise<void> {
    const { store, clock, logger } = this.options;
    let outcome: DeliveryOutcome;
    let channelKind = 'unknown';
    try {
      const channel = await store.getChannel(delivery.channelId);
      if (!channel) throw new DeliveryFailure(`channel ${delivery.channelId} is gone`, false);
      channelKind = channel.kind;
      const alerts = await store.alertsInWindow(delivery.merchantId, delivery.windowStart, delivery.windowEnd);
      if (alerts.length > 0) await this.send(channel, delivery, alerts);
      outcome = { status: 'sent' };
    } catch (error) {
      outcome = this.failed(delivery, error);
    }
    try {
      await store.finishDelivery(delivery.id, outcome, clock.now().toISOString());
    } catch (error) {
      logger.error({ err: error, delivery: delivery.id }, 'alert delivery: could not record the outcome');
      return;
    }
    const fields = {
      delivery: delivery.id,
      channel: delivery.channelId,
      kind: channelKind,
      attempts: delivery.attempts,
    };
    if (outcome.status === 'sent') logger.info(fields, 'alert digest sent');
    else if (outcome.status === 'pending')
      logger.warn(
        { ...fields, reason: outcome.error, retryAt: outcome.nextAttemptAt },
        'alert digest failed, will retry',
      );
    else logger.error({ ...fields, reason: outcome.error }, 'alert digest failed for good');
  }

  private failed(delivery: AlertDeliveryRecord, error: unknown): DeliveryOutcome {
    const reason = error instanceof Error ? error.message : String(error);
    const transient = error instanceof DeliveryFailure || error instanceof MailDeliveryError ? error.transient : true;
    if (!transient || delivery.attempts >= this.options.attemptsLimit) return { status: 'failed', error: reason };
    const delay = Math.min(this.options.retryBaseMs * 2 ** (delivery.attempts - 1), MAX_BACKOFF_MS);
    return {
      status: 'pending',
      error: reason,
      nextAttemptAt: new Date(this.options.clock.now().getTime() + delay).toISOString(),
    };
  }

  private async send(
    channel: AlertChannelRecord,
    delivery: AlertDeliveryRecord,
    alerts: readonly AlertRecord[],
  ): Promise<void> {
    if (channel.kind === 'email') {
      if (!this.options.mailer) throw new DeliveryFailure('SMTP_URL is unset: no e-mail can be sent', false);
      await this.options.mailer.send(digestMail(channel.target, delivery, alerts));
      return;
    }
    if (!this.options.keyring || channel.keyId === null || channel.sealedSecret === null)
      throw new DeliveryFailure('PAYSTATE_MASTER_KEY is unset: the webhook secret cannot be opened', false);
    const secret = this.options.keyring.open(channel.keyId, channel.sealedSecret, channelSealingContext(channel));
    const now = this.options.clock.now();
    const body = JSON.stringify(digestBody(delivery, alerts, now.toISOString()));
    // The same webhook-id on every attempt: a receiver de-duplicates on it (Standard Webhooks).
    const headers = webhookHeaders(secret, `msg_${delivery.id}`, Math.floor(now.getTime() / 1000), body);
    let response: Response;
    try {
      response = await fetch(channel.target, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'paystate-alerts', ...headers },
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(this.options.webhookTimeoutMs),
      });
    } catch (error) {
      const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
      throw new DeliveryFailure(
        timedOut
          ? `webhook ${channel.id} did not answer within ${this.options.webhookTimeoutMs} ms`
          : `webhook ${channel.id} could not be reached: ${error instanceof Error ? error.message : String(error)}`,
        true,
      );
    }
    await response.body?.cancel();
    if (response.status >= 200 && response.status < 300) return;
    throw new DeliveryFailure(
      `webhook ${channel.id} answered HTTP ${response.status}`,
      response.status >= 500 || response.status === 429 || response.status === 408,
    );
  }
}
