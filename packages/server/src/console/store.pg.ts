/** The console's records on PostgreSQL: the same invariants as store.sqlite.ts. Every call waits for the schema. */
import { and, asc, desc, eq, inArray, lte, type SQL } from 'drizzle-orm';
import type { PgDb } from '../db/connection.pg.js';
import { preparedPg } from '../db/prepared-pg.js';
import { consoleSessions, consoleUsers, effects, orders, paymentRefunds, webhookInbox } from '../db/schema.pg.js';
import { deliveryViewOf, effectViewOf, OPEN_REFUND_STATUSES, openRefundOf, userOf } from './rows.js';
import type { ConsoleSessionRecord, ConsoleStore, ConsoleUserRecord, SessionSubjectKind } from './store.js';

const OPEN = ['pending', 'failed'] as const;

export class PgConsoleStore implements ConsoleStore {
  private readonly db: () => Promise<PgDb>;

  constructor(pgDb: PgDb, prepared: Promise<void>) {
    this.db = preparedPg(pgDb, prepared);
  }

  async insertUser(user: ConsoleUserRecord) {
    const inserted = await (
      await this.db()
    )
      .insert(consoleUsers)
      .values(user)
      .onConflictDoNothing()
      .returning({ id: consoleUsers.id });
    return inserted.length === 1;
  }

  async findUserByName(username: string) {
    const [row] = await (await this.db()).select().from(consoleUsers).where(eq(consoleUsers.username, username));
    return row ? userOf(row) : null;
  }

  async getUser(id: string) {
    const [row] = await (await this.db()).select().from(consoleUsers).where(eq(consoleUsers.id, id));
    return row ? userOf(row) : null;
  }

  async insertSession(session: ConsoleSessionRecord) {
    await (await this.db()).insert(consoleSessions).values(session);
  }

  async getSession(id: string) {
    const [row] = await (await this.db()).select().from(consoleSessions).where(eq(consoleSessions.id, id));
    return row ? { ...row, subjectKind: row.subjectKind as SessionSubjectKind } : null;
  }

  async deleteSession(id: string) {
    await (await this.db()).delete(consoleSessions).where(eq(consoleSessions.id, id));
  }

  async purgeSessions(now: string) {
    const deleted = await (
      await this.db()
    )
      .delete(consoleSessions)
      .where(lte(consoleSessions.expiresAt, now))
      .returning({ id: consoleSessions.id });
    return deleted.length;
  }

  async effectsOf(orderId: string) {
    const rows = await (
      await this.db()
    )
      .select()
      .from(effects)
      .where(eq(effects.orderId, orderId))
      .orderBy(asc(effects.id));
    return rows.map(effectViewOf);
  }

  async openEffects(merchantId: string | null, limit: number) {
    const rows = await (
      await this.db()
    )
      .select({ effect: effects })
      .from(effects)
      .innerJoin(orders, eq(orders.id, effects.orderId))
      .where(
        and(inArray(effects.status, [...OPEN]), merchantId === null ? undefined : eq(orders.merchantId, merchantId)),
      )
      .orderBy(asc(effects.id))
      .limit(limit);
    return rows.map((row) => effectViewOf(row.effect));
  }

  async retryEffectNow(id: number, merchantId: string | null, now: string) {
    const db = await this.db();
    const [owned] = await db
      .select({ id: effects.id })
      .from(effects)
      .innerJoin(orders, eq(orders.id, effects.orderId))
      .where(and(eq(effects.id, id), merchantId === null ? undefined : eq(orders.merchantId, merchantId)));
    if (!owned) return false;
    const updated = await db
      .update(effects)
      .set({ status: 'pending', nextAttemptAt: now, claimedBy: null, claimedUntil: null, updatedAt: now })
      .where(and(eq(effects.id, id), inArray(effects.status, [...OPEN])))
      .returning({ id: effects.id });
    return updated.length === 1;
  }

  async openRefunds(merchantId: string | null, limit: number) {
    const rows = await (
      await this.db()
    )
      .select()
      .from(paymentRefunds)
      .where(
        and(
          inArray(paymentRefunds.status, [...OPEN_REFUND_STATUSES]),
          merchantId === null ? undefined : eq(paymentRefunds.merchantId, merchantId),
        ),
      )
      .orderBy(asc(paymentRefunds.createdAt))
      .limit(limit);
    return rows.map(openRefundOf);
  }

  async deliveries(filter: { provider?: string; outcome?: string; limit: number }) {
    const conditions: SQL[] = [];
    if (filter.provider) conditions.push(eq(webhookInbox.provider, filter.provider));
    if (filter.outcome) conditions.push(eq(webhookInbox.outcome, filter.outcome));
    const rows = await (
      await this.db()
    )
      .select()
      .from(webhookInbox)
      .where(and(...conditions))
      .orderBy(desc(webhookInbox.id))
      .limit(filter.limit);
    return rows.map(deliveryViewOf);
  }

  async getDelivery(id: number) {
    const [row] = await (await this.db()).select().from(webhookInbox).where(eq(webhookInbox.id, id));
    return row ? deliveryViewOf(row) : null;
  }
}
