/**
 * Alerts, alert channels and the digest outbox on PostgreSQL. Invariants: an alert and the digest
 * windows it opens are written in one transaction that first locks the merchant's active
 * channels (FOR UPDATE), so two alerts of a burst never open two windows of one channel; workers
 * claim due deliveries with FOR UPDATE SKIP LOCKED under a lease. Every call waits for the
 * schema (`prepared`).
 */
import { and, asc, desc, eq, inArray, isNotNull, isNull } from 'drizzle-orm';
import type { PgDb } from '../db/connection.pg.js';
import { isSerializationFailure, retrying } from '../db/retry.js';
import { alertChannels, alertDeliveries, alerts } from '../db/schema.pg.js';
import {
  alertFilterOf,
  alertOf,
  channelOf,
  deliveryClaimOf,
  deliveryDue,
  deliveryOf,
  deliveryOutcomeOf,
  inWindow,
  newDeliveryRow,
  newestFirst,
  windowOpenAt,
} from './rows.js';
import type { AlertChannelRecord, AlertFilter, AlertRecord, AlertStore, DeliveryOutcome } from './store.js';

export class PgAlertStore implements AlertStore {
  constructor(
    private readonly db: PgDb,
    private readonly prepared: Promise<void>,
  ) {
    // A failed migration is reported by the order store's ready(); every call here still awaits it.
    this.prepared.catch(() => undefined);
  }

  async recordAlert(alert: AlertRecord, windowMs: number, newId: () => string) {
    await this.prepared;
    await retrying(
      () =>
        this.db.transaction(async (tx) => {
          await tx.insert(alerts).values(alert);
          if (alert.merchantId === null) return;
          const channels = await tx
            .select()
            .from(alertChannels)
            .where(and(eq(alertChannels.merchantId, alert.merchantId), eq(alertChannels.active, true)))
            .orderBy(asc(alertChannels.id))
            .for('update');
          for (const channel of channels) {
            const [open] = await tx
              .select({ id: alertDeliveries.id })
              .from(alertDeliveries)
              .where(windowOpenAt(alertDeliveries, channel.id, alert.createdAt))
              .limit(1);
            if (!open)
              await tx
                .insert(alertDeliveries)
                .values(newDeliveryRow(channel, newId(), alert.createdAt, windowMs))
                .onConflictDoNothing();
          }
        }),
      isSerializationFailure,
    );
  }

  async getAlert(id: string) {
    await this.prepared;
    const [row] = await this.db.select().from(alerts).where(eq(alerts.id, id));
    return row ? alertOf(row) : null;
  }

  async listAlerts(filter: AlertFilter) {
    await this.prepared;
    const rows = await this.db
      .select()
      .from(alerts)
      .where(alertFilterOf(alerts, filter))
      .orderBy(...newestFirst(alerts))
      .limit(filter.limit);
    return rows.map(alertOf);
  }

  async acknowledgeAlert(id: string, by: string, now: string) {
    await this.prepared;
    await this.db
      .update(alerts)
      .set({ acknowledgedAt: now, acknowledgedBy: by })
      .where(and(eq(alerts.id, id), isNull(alerts.acknowledgedAt)));
    return this.getAlert(id);
  }

  async alertsInWindow(merchantId: string, from: string, to: string) {
    await this.prepared;
    const rows = await this.db
      .select()
      .from(alerts)
      .where(inWindow(alerts, merchantId, from, to))
      .orderBy(asc(alerts.createdAt), asc(alerts.id));
    return rows.map(alertOf);
  }

  async insertChannel(channel: AlertChannelRecord) {
    await this.prepared;
    await this.db.insert(alertChannels).values(channel);
  }

  async getChannel(id: string) {
    await this.prepared;
    const [row] = await this.db.select().from(alertChannels).where(eq(alertChannels.id, id));
    return row ? channelOf(row) : null;
  }

  async listChannels(merchantId: string) {
    await this.prepared;
    const rows = await this.db
      .select()
      .from(alertChannels)
      .where(eq(alertChannels.merchantId, merchantId))
      .orderBy(asc(alertChannels.createdAt), asc(alertChannels.id));
    return rows.map(channelOf);
  }

  async deactivateChannel(id: string) {
    await this.prepared;
    const [row] = await this.db
      .update(alertChannels)
      .set({ active: false })
      .where(eq(alertChannels.id, id))
      .returning();
    return row ? channelOf(row) : null;
  }

  async listSealedChannels() {
    await this.prepared;
    const rows = await this.db
      .select()
      .from(alertChannels)
      .where(isNotNull(alertChannels.sealedSecret))
      .orderBy(asc(alertChannels.id));
    return rows.map(channelOf);
  }

  async resealChannel(id: string, fromKeyId: string, sealed: { keyId: string; sealed: string }) {
    await this.prepared;
    const updated = await this.db
      .update(alertChannels)
      .set({ keyId: sealed.keyId, sealedSecret: sealed.sealed })
      .where(and(eq(alertChannels.id, id), eq(alertChannels.keyId, fromKeyId)))
      .returning({ id: alertChannels.id });
    return updated.length === 1;
  }

  async claimDueDeliveries(now: string, leaseUntil: string, limit: number) {
    await this.prepared;
    const due = this.db
      .select({ id: alertDeliveries.id })
      .from(alertDeliveries)
      .where(deliveryDue(alertDeliveries, now))
      .orderBy(asc(alertDeliveries.nextAttemptAt), asc(alertDeliveries.id))
      .limit(limit)
      .for('update', { skipLocked: true });
    const rows = await this.db
      .update(alertDeliveries)
      .set(deliveryClaimOf(alertDeliveries.attempts, leaseUntil, now))
      .where(inArray(alertDeliveries.id, due))
      .returning();
    rows.sort((a, b) => (a.nextAttemptAt < b.nextAttemptAt ? -1 : a.nextAttemptAt > b.nextAttemptAt ? 1 : 0));
    return rows.map(deliveryOf);
  }

  async finishDelivery(id: string, outcome: DeliveryOutcome, now: string) {
    await this.prepared;
    await this.db.update(alertDeliveries).set(deliveryOutcomeOf(outcome, now)).where(eq(alertDeliveries.id, id));
  }

  async listDeliveries(channelId: string, limit: number) {
    await this.prepared;
    const rows = await this.db
      .select()
      .from(alertDeliveries)
      .where(eq(alertDeliveries.channelId, channelId))
      .orderBy(desc(alertDeliveries.windowStart))
      .limit(limit);
    return rows.map(deliveryOf);
  }
}
