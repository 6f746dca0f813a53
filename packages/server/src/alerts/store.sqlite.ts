/**
 * Alerts, alert channels and the digest outbox on SQLite. Invariants: an alert and the digest
 * windows it opens are written in one BEGIN IMMEDIATE transaction, so two alerts of a burst never
 * open two windows of one channel; a delivery is claimed (leased, one more attempt counted) in
 * one BEGIN IMMEDIATE transaction, so two workers never take the same one.
 */
import { and, asc, desc, eq, inArray, isNotNull, isNull } from 'drizzle-orm';
import type { SqliteDb } from '../db/connection.sqlite.js';
import { alertChannels, alertDeliveries, alerts } from '../db/schema.sqlite.js';
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

export class SqliteAlertStore implements AlertStore {
  constructor(private readonly db: SqliteDb) {}

  async recordAlert(alert: AlertRecord, windowMs: number, newId: () => string) {
    this.db.transaction(
      (tx) => {
        tx.insert(alerts).values(alert).run();
        if (alert.merchantId === null) return;
        const channels = tx
          .select()
          .from(alertChannels)
          .where(and(eq(alertChannels.merchantId, alert.merchantId), eq(alertChannels.active, true)))
          .all();
        for (const channel of channels) {
          const open = tx
            .select({ id: alertDeliveries.id })
            .from(alertDeliveries)
            .where(windowOpenAt(alertDeliveries, channel.id, alert.createdAt))
            .get();
          if (!open)
            tx.insert(alertDeliveries)
              .values(newDeliveryRow(channel, newId(), alert.createdAt, windowMs))
              .onConflictDoNothing()
              .run();
        }
      },
      { behavior: 'immediate' },
    );
  }

  async getAlert(id: string) {
    const row = this.db.select().from(alerts).where(eq(alerts.id, id)).get();
    return row ? alertOf(row) : null;
  }

  async listAlerts(filter: AlertFilter) {
    return this.db
      .select()
      .from(alerts)
      .where(alertFilterOf(alerts, filter))
      .orderBy(...newestFirst(alerts))
      .limit(filter.limit)
      .all()
      .map(alertOf);
  }

  async acknowledgeAlert(id: string, by: string, now: string) {
    this.db
      .update(alerts)
      .set({ acknowledgedAt: now, acknowledgedBy: by })
      .where(and(eq(alerts.id, id), isNull(alerts.acknowledgedAt)))
      .run();
    return this.getAlert(id);
  }

  async alertsInWindow(merchantId: string, from: string, to: string) {
    return this.db
      .select()
      .from(alerts)
      .where(inWindow(alerts, merchantId, from, to))
      .orderBy(asc(alerts.createdAt), asc(alerts.id))
      .all()
      .map(alertOf);
  }

  async insertChannel(channel: AlertChannelRecord) {
    this.db.insert(alertChannels).values(channel).run();
  }

  async getChannel(id: string) {
    const row = this.db.select().from(alertChannels).where(eq(alertChannels.id, id)).get();
    return row ? channelOf(row) : null;
  }

  async listChannels(merchantId: string) {
    return this.db
      .select()
      .from(alertChannels)
      .where(eq(alertChannels.merchantId, merchantId))
      .orderBy(asc(alertChannels.createdAt), asc(alertChannels.id))
      .all()
      .map(channelOf);
  }

  async deactivateChannel(id: string) {
    const row = this.db.update(alertChannels).set({ active: false }).where(eq(alertChannels.id, id)).returning().get();
    return row ? channelOf(row) : null;
  }

  async listSealedChannels() {
    return this.db
      .select()
      .from(alertChannels)
      .where(isNotNull(alertChannels.sealedSecret))
      .orderBy(asc(alertChannels.id))
      .all()
      .map(channelOf);
  }

  async resealChannel(id: string, fromKeyId: string, sealed: { keyId: string; sealed: string }) {
    const result = this.db
      .update(alertChannels)
      .set({ keyId: sealed.keyId, sealedSecret: sealed.sealed })
      .where(and(eq(alertChannels.id, id), eq(alertChannels.keyId, fromKeyId)))
      .run();
    return result.changes === 1;
  }

  async claimDueDeliveries(now: string, leaseUntil: string, limit: number) {
    return this.db.transaction(
      (tx) => {
        const due = tx
          .select({ id: alertDeliveries.id })
          .from(alertDeliveries)
          .where(deliveryDue(alertDeliveries, now))
          .orderBy(asc(alertDeliveries.nextAttemptAt), asc(alertDeliveries.id))
          .limit(limit)
          .all()
          .map((row) => row.id);
        if (due.length === 0) return [];
        return tx
          .update(alertDeliveries)
          .set(deliveryClaimOf(alertDeliveries.attempts, leaseUntil, now))
          .where(inArray(alertDeliveries.id, due))
          .returning()
          .all()
          .map(deliveryOf);
      },
      { behavior: 'immediate' },
    );
  }

  async finishDelivery(id: string, outcome: DeliveryOutcome, now: string) {
    this.db.update(alertDeliveries).set(deliveryOutcomeOf(outcome, now)).where(eq(alertDeliveries.id, id)).run();
  }

  async listDeliveries(channelId: string, limit: number) {
    return this.db
      .select()
      .from(alertDeliveries)
      .where(eq(alertDeliveries.channelId, channelId))
      .orderBy(desc(alertDeliveries.windowStart))
      .limit(limit)
      .all()
      .map(deliveryOf);
  }
}
