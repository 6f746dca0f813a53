/** The console's records on SQLite: user names unique (an index decides), sessions by their token's digest. */
import { and, asc, desc, eq, inArray, lte, type SQL } from 'drizzle-orm';
import type { SqliteDb } from '../db/connection.sqlite.js';
import { consoleSessions, consoleUsers, effects, orders, paymentRefunds, webhookInbox } from '../db/schema.sqlite.js';
import { deliveryViewOf, effectViewOf, OPEN_REFUND_STATUSES, openRefundOf, userOf } from './rows.js';
import type { ConsoleSessionRecord, ConsoleStore, ConsoleUserRecord, SessionSubjectKind } from './store.js';

const OPEN = ['pending', 'failed'] as const;

export class SqliteConsoleStore implements ConsoleStore {
  constructor(private readonly db: SqliteDb) {}

  async insertUser(user: ConsoleUserRecord) {
    return this.db.insert(consoleUsers).values(user).onConflictDoNothing().run().changes === 1;
  }

  async findUserByName(username: string) {
    const row = this.db.select().from(consoleUsers).where(eq(consoleUsers.username, username)).get();
    return row ? userOf(row) : null;
  }

  async getUser(id: string) {
    const row = this.db.select().from(consoleUsers).where(eq(consoleUsers.id, id)).get();
    return row ? userOf(row) : null;
  }

  async insertSession(session: ConsoleSessionRecord) {
    this.db.insert(consoleSessions).values(session).run();
  }

  async getSession(id: string) {
    const row = this.db.select().from(consoleSessions).where(eq(consoleSessions.id, id)).get();
    return row ? { ...row, subjectKind: row.subjectKind as SessionSubjectKind } : null;
  }

  async deleteSession(id: string) {
    this.db.delete(consoleSessions).where(eq(consoleSessions.id, id)).run();
  }

  async purgeSessions(now: string) {
    return this.db.delete(consoleSessions).where(lte(consoleSessions.expiresAt, now)).run().changes;
  }

  async effectsOf(orderId: string) {
    return this.db
      .select()
      .from(effects)
      .where(eq(effects.orderId, orderId))
      .orderBy(asc(effects.id))
      .all()
      .map(effectViewOf);
  }

  async openEffects(merchantId: string | null, limit: number) {
    return this.db
      .select({ effect: effects })
      .from(effects)
      .innerJoin(orders, eq(orders.id, effects.orderId))
      .where(
        and(inArray(effects.status, [...OPEN]), merchantId === null ? undefined : eq(orders.merchantId, merchantId)),
      )
      .orderBy(asc(effects.id))
      .limit(limit)
      .all()
      .map((row) => effectViewOf(row.effect));
  }

  async retryEffectNow(id: number, merchantId: string | null, now: string) {
    const owned = this.db
      .select({ id: effects.id })
      .from(effects)
      .innerJoin(orders, eq(orders.id, effects.orderId))
      .where(and(eq(effects.id, id), merchantId === null ? undefined : eq(orders.merchantId, merchantId)))
      .get();
    if (!owned) return false;
    const result = this.db
      .update(effects)
      .set({ status: 'pending', nextAttemptAt: now, claimedBy: null, claimedUntil: null, updatedAt: now })
      .where(and(eq(effects.id, id), inArray(effects.status, [...OPEN])))
      .run();
    return result.changes === 1;
  }

  async openRefunds(merchantId: string | null, limit: number) {
    return this.db
      .select()
      .from(paymentRefunds)
      .where(
        and(
          inArray(paymentRefunds.status, [...OPEN_REFUND_STATUSES]),
          merchantId === null ? undefined : eq(paymentRefunds.merchantId, merchantId),
        ),
      )
      .orderBy(asc(paymentRefunds.createdAt))
      .limit(limit)
      .all()
      .map(openRefundOf);
  }

  async deliveries(filter: { provider?: string; outcome?: string; limit: number }) {
    const conditions: SQL[] = [];
    if (filter.provider) conditions.push(eq(webhookInbox.provider, filter.provider));
    if (filter.outcome) conditions.push(eq(webhookInbox.outcome, filter.outcome));
    return this.db
      .select()
      .from(webhookInbox)
      .where(and(...conditions))
      .orderBy(desc(webhookInbox.id))
      .limit(filter.limit)
      .all()
      .map(deliveryViewOf);
  }

  async getDelivery(id: number) {
    const row = this.db.select().from(webhookInbox).where(eq(webhookInbox.id, id)).get();
    return row ? deliveryViewOf(row) : null;
  }
}
