/**
 * The alerts port (docs/alerts.md): every alert raised, each merchant's alert channels, and the
 * digest outbox that carries a window of a merchant's alerts to each of its channels.
 */

export interface AlertRecord {
  id: string;
  /** An AlertKind of the core (packages/core/src/order/types.ts). */
  kind: string;
  /** Null for a platform-level alert (no merchant could be told from it). */
  merchantId: string | null;
  orderId: string | null;
  paymentId: string | null;
  details: Record<string, unknown>;
  createdAt: string;
  acknowledgedAt: string | null;
  acknowledgedBy: string | null;
}

export type AlertChannelKind = 'email' | 'webhook';

export interface AlertChannelRecord {
  id: string;
  merchantId: string;
  kind: AlertChannelKind;
  /** An e-mail address, or the webhook's http(s) URL. */
  target: string;
  /** Webhooks: the master key that sealed the signing secret, and the sealed secret. */
  keyId: string | null;
  sealedSecret: string | null;
  createdAt: string;
  active: boolean;
}

export type AlertDeliveryStatus = 'pending' | 'sent' | 'failed';

export interface AlertDeliveryRecord {
  id: string;
  channelId: string;
  merchantId: string;
  /** The digest holds the merchant's alerts created in [windowStart, windowEnd). */
  windowStart: string;
  windowEnd: string;
  status: AlertDeliveryStatus;
  attempts: number;
  nextAttemptAt: string;
  claimedUntil: string | null;
  lastError: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface AlertFilter {
  /** One merchant's alerts; every alert (the platform's too) when absent. */
  merchantId?: string;
  /** open: not acknowledged yet. */
  state?: 'open' | 'acknowledged';
  kind?: string;
  limit: number;
}

/** How a delivery attempt ended: sent, tried again at `nextAttemptAt`, or given up. */
export type DeliveryOutcome =
  | { status: 'sent' }
  | { status: 'pending'; error: string; nextAttemptAt: string }
  | { status: 'failed'; error: string };

export interface AlertStore {
  /**
   * Records the alert and, in the same transaction, opens a digest window of `windowMs` for each
   * active channel of its merchant that has none open at the alert's creation: the first alert of
   * a burst opens the window, the others fall into it.
   */
  recordAlert(alert: AlertRecord, windowMs: number, newId: () => string): Promise<void>;
  getAlert(id: string): Promise<AlertRecord | null>;
  /** Newest first. */
  listAlerts(filter: AlertFilter): Promise<AlertRecord[]>;
  /** Acknowledges an open alert; an acknowledged one keeps its first acknowledgement. Null when there is no such alert. */
  acknowledgeAlert(id: string, by: string, now: string): Promise<AlertRecord | null>;
  /** A merchant's alerts created in [from, to), oldest first: one digest. */
  alertsInWindow(merchantId: string, from: string, to: string): Promise<AlertRecord[]>;

  insertChannel(channel: AlertChannelRecord): Promise<void>;
  getChannel(id: string): Promise<AlertChannelRecord | null>;
  listChannels(merchantId: string): Promise<AlertChannelRecord[]>;
  /** No more digests open for it; the deliveries already due still go. Null when there is no such channel. */
  deactivateChannel(id: string): Promise<AlertChannelRecord | null>;
  /** Every channel with a sealed secret, of every merchant (`paystate keys rotate`). */
  listSealedChannels(): Promise<AlertChannelRecord[]>;
  /** Re-seals a channel's secret only if it is still sealed under `fromKeyId` (compare-and-set). */
  resealChannel(id: string, fromKeyId: string, sealed: { keyId: string; sealed: string }): Promise<boolean>;

  /** Pending deliveries due at `now`, leased until `leaseUntil` with one more attempt counted. */
  claimDueDeliveries(now: string, leaseUntil: string, limit: number): Promise<AlertDeliveryRecord[]>;
  finishDelivery(id: string, outcome: DeliveryOutcome, now: string): Promise<void>;
  /** One channel's deliveries, newest first (what an operator and the tests read). */
  listDeliveries(channelId: string, limit: number): Promise<AlertDeliveryRecord[]>;
}
