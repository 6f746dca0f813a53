import { randomUUID } from 'node:crypto';
import type { AlertKind, Clock } from '@paystate/core';
import { notFound, PaystateError } from '../errors.js';
import type { Keyring } from '../merchants/sealing.js';
import type { OrderStore } from '../orders/store.js';
import { newWebhookSecret } from './signature.js';
import type { AlertChannelKind, AlertChannelRecord, AlertFilter, AlertRecord, AlertStore } from './store.js';

export interface AlertServiceDeps {
  store: AlertStore;
  /** An alert that names only its order belongs to the order's merchant. */
  orders: Pick<OrderStore, 'getOrder'>;
  clock: Clock;
  /** Seals webhook signing secrets (PAYSTATE_MASTER_KEY); null: no webhook channel can be made or used. */
  keyring: Keyring | null;
  /** ALERT_DIGEST_WINDOW_S in ms: the alerts of one merchant within it go out as one digest per channel. */
  windowMs: number;
  /** E-mail channels need SMTP_URL. */
  mailConfigured: boolean;
}

/** The row's identity, authenticated with its sealed secret: a value copied to another row does not open. */
export const channelSealingContext = (channel: Pick<AlertChannelRecord, 'id' | 'merchantId'>) =>
  `alert-channel:${channel.id}:${channel.merchantId}`;

const text = (value: unknown): string | null => (typeof value === 'string' && value !== '' ? value : null);

/** Alerts as data (docs/alerts.md): recorded, listed, acknowledged; each merchant's channels. */
export class AlertService {
  constructor(private readonly deps: AlertServiceDeps) {}

  /**
   * Records an alert raised anywhere. Its merchant is `details.merchantId`, else the merchant of
   * the order it names; neither: a platform-level alert.
   */
  async record(kind: AlertKind, details: Record<string, unknown>): Promise<AlertRecord> {
    const orderId = text(details.orderId);
    let merchantId = text(details.merchantId);
    if (merchantId === null && orderId !== null)
      merchantId = (await this.deps.orders.getOrder(orderId))?.merchantId ?? null;
    const alert: AlertRecord = {
      id: randomUUID(),
      kind,
      merchantId,
      orderId,
      paymentId: text(details.paymentId),
      details,
      createdAt: this.deps.clock.now().toISOString(),
      acknowledgedAt: null,
      acknowledgedBy: null,
    };
    await this.deps.store.recordAlert(alert, this.deps.windowMs, randomUUID);
    return alert;
  }

  list(filter: AlertFilter): Promise<AlertRecord[]> {
    return this.deps.store.listAlerts(filter);
  }

  async get(id: string): Promise<AlertRecord> {
    const alert = await this.deps.store.getAlert(id);
    if (!alert) throw notFound('alert', id);
    return alert;
  }

  /** The first acknowledgement stays: acknowledging again answers the alert as it is. */
  async acknowledge(id: string, by: string): Promise<AlertRecord> {
    const alert = await this.deps.store.acknowledgeAlert(id, by, this.deps.clock.now().toISOString());
    if (!alert) throw notFound('alert', id);
    return alert;
  }

  listChannels(merchantId: string): Promise<AlertChannelRecord[]> {
    return this.deps.store.listChannels(merchantId);
  }

  /** A new channel; a webhook's signing secret is answered here once (whsec_…) and kept only sealed. */
  async addChannel(
    merchantId: string,
    kind: AlertChannelKind,
    target: string,
  ): Promise<{ channel: AlertChannelRecord; secret: string | null }> {
    const identity = { id: randomUUID(), merchantId };
    let sealed: { keyId: string; sealed: string } | null = null;
    let secret: string | null = null;
    if (kind === 'webhook') {
      secret = newWebhookSecret();
      sealed = this.requireKeyring().seal(secret, channelSealingContext(identity));
    } else if (!this.deps.mailConfigured) {
      throw new PaystateError(
        'unavailable',
        'mail_not_configured',
        'SMTP_URL is unset: e-mail alert channels send through it (docs/alerts.md)',
      );
    }
    const channel: AlertChannelRecord = {
      ...identity,
      kind,
      target,
      keyId: sealed?.keyId ?? null,
      sealedSecret: sealed?.sealed ?? null,
      createdAt: this.deps.clock.now().toISOString(),
      active: true,
    };
    await this.deps.store.insertChannel(channel);
    return { channel, secret };
  }

  /** A merchant's channel, or 404 as if another merchant's did not exist. */
  async channelOf(merchantId: string, id: string): Promise<AlertChannelRecord> {
    const channel = await this.deps.store.getChannel(id);
    if (!channel || channel.merchantId !== merchantId) throw notFound('alert_channel', id);
    return channel;
  }

  async removeChannel(merchantId: string, id: string): Promise<AlertChannelRecord> {
    await this.channelOf(merchantId, id);
    return (await this.deps.store.deactivateChannel(id))!;
  }

  /** A channel's latest digests, newest first. */
  deliveries(channelId: string, limit: number) {
    return this.deps.store.listDeliveries(channelId, limit);
  }

  /** Re-seals every webhook secret not yet under the current master key (`paystate keys rotate`). */
  async rotate(): Promise<{ resealed: number; alreadyCurrent: number; skipped: number }> {
    const keyring = this.requireKeyring();
    const report = { resealed: 0, alreadyCurrent: 0, skipped: 0 };
    for (const channel of await this.deps.store.listSealedChannels()) {
      if (channel.keyId === null || channel.sealedSecret === null) continue;
      if (channel.keyId === keyring.currentKeyId) {
        report.alreadyCurrent += 1;
        continue;
      }
      const context = channelSealingContext(channel);
      const resealed = keyring.seal(keyring.open(channel.keyId, channel.sealedSecret, context), context);
      if (await this.deps.store.resealChannel(channel.id, channel.keyId, resealed)) report.resealed += 1;
      else report.skipped += 1;
    }
    return report;
  }

  private requireKeyring(): Keyring {
    if (!this.deps.keyring)
      throw new PaystateError(
        'unavailable',
        'master_key_missing',
        'PAYSTATE_MASTER_KEY is unset: webhook signing secrets are sealed with it (docs/alerts.md)',
      );
    return this.deps.keyring;
  }
}
