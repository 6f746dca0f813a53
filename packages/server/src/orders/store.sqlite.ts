/**
 * The order Store on SQLite (the embedded default: one process owns the database file).
 *
 * Invariants:
 * - Every read-then-write is one BEGIN IMMEDIATE transaction: better-sqlite3 transactions are
 *   synchronous, so nothing awaits the network inside one, and a deferred one would fail with
 *   SQLITE_BUSY at its first write.
 * - A transition writes the snapshot, projected columns, audit row and outbox effects together,
 *   compare-and-set on the order's version; a lost race retries from a fresh load (db/retry.ts).
 * - Claims (poller, dispatcher, payment start) are leases: selected and leased in one
 *   transaction, so two claimers never take one row, and a dead claimer's rows come back.
 * - Conditions and row mapping are the PostgreSQL twin's (rows.ts); only execution differs here.
 */
import { and, asc, count, desc, eq, inArray, lte, sql } from 'drizzle-orm';
import { decide, type DecisionDeps, type OrderDecision, type OrderInput } from '@paystate/core';
import { devices, effects, orderEvents, orders, readinessProbe, webhookInbox } from '../db/schema.sqlite.js';
import type { SqliteDb } from '../db/connection.sqlite.js';
import { MAX_ATTEMPTS, retrying } from '../db/retry.js';
import {
  auditEntryOf,
  auditRowOf,
  checkDue,
  deliveryKey,
  deliveryReclaimOf,
  deviceOf,
  deviceUpdateOf,
  effectClaimOf,
  effectDue,
  effectOutcomes,
  effectRowsOf,
  expiredOrders,
  newDeliveryRow,
  newDeviceRow,
  orderColumnsOf,
  orderFilterOf,
  orderRecordOf,
  paymentStartClaimable,
  pollLeaseOf,
  pollUnclaimed,
  reclaimableDelivery,
  storedEffectOf,
  stuckOrders,
} from './rows.js';
import {
  ConcurrentUpdateError,
  DEFAULT_MERCHANT,
  type DeviceInput,
  type OrderFilter,
  type OrderOwner,
  type Store,
} from './store.js';

export class SqliteStore implements Store {
  constructor(
    private readonly db: SqliteDb,
    private readonly deps: DecisionDeps,
    private readonly closeDb: () => void = () => undefined,
  ) {}

  /** Opened and migrated synchronously in openStore: nothing to wait for. */
  async ready() {}

  async upsertDevice(input: DeviceInput) {
    const now = this.deps.clock.now().toISOString();
    const row = this.db
      .insert(devices)
      .values(newDeviceRow(input, now))
      .onConflictDoUpdate({
        target: devices.id,
        set: deviceUpdateOf(input, now),
        setWhere: eq(devices.merchantId, input.merchantId ?? DEFAULT_MERCHANT),
      })
      .returning()
      .get();
    return row ? deviceOf(row) : null;
  }

  async getDevice(id: string) {
    const row = this.db.select().from(devices).where(eq(devices.id, id)).get();
    return row ? deviceOf(row) : null;
  }

  async listDevices(merchantId?: string) {
    return this.db
      .select()
      .from(devices)
      .where(merchantId === undefined ? undefined : eq(devices.merchantId, merchantId))
      .orderBy(asc(devices.id))
      .all()
      .map(deviceOf);
  }

  async deleteDevice(id: string) {
    return this.db.transaction(
      (tx) => {
        if (!tx.select({ id: devices.id }).from(devices).where(eq(devices.id, id)).get()) return 'not_found' as const;
        if (tx.select({ id: orders.id }).from(orders).where(eq(orders.deviceId, id)).limit(1).get())
          return 'in_use' as const;
        tx.delete(devices).where(eq(devices.id, id)).run();
        return 'deleted' as const;
      },
      { behavior: 'immediate' },
    );
  }

  async insertOrder(created: OrderDecision, owner: OrderOwner) {
    this.db.transaction(
      (tx) => {
        tx.insert(orders)
          .values({ ...orderColumnsOf(created, created.audit.at), ...owner })
          .run();
        tx.insert(orderEvents).values(auditRowOf(created.audit)).run();
      },
      { behavior: 'immediate' },
    );
  }

  async getOrder(id: string) {
    const row = this.db.select().from(orders).where(eq(orders.id, id)).get();
    return row ? orderRecordOf(row) : null;
  }

  async findOrderByPayment(provider: string, providerPaymentId: string) {
    const row = this.db
      .select()
      .from(orders)
      .where(and(eq(orders.provider, provider), eq(orders.providerPaymentId, providerPaymentId)))
      .get();
    return row ? orderRecordOf(row) : null;
  }

  async listOrders(filter: OrderFilter) {
    return this.db
      .select()
      .from(orders)
      .where(orderFilterOf(orders, filter))
      .orderBy(desc(orders.createdAt), desc(orders.id))
      .limit(filter.limit)
      .all()
      .map(orderRecordOf);
  }

  async orderEvents(orderId: string) {
    return this.db
      .select()
      .from(orderEvents)
      .where(eq(orderEvents.orderId, orderId))
      .orderBy(asc(orderEvents.id))
      .all()
      .map(auditEntryOf);
  }

  async countOrdersByStatus() {
    const rows = this.db.select({ status: orders.status, n: count() }).from(orders).groupBy(orders.status).all();
    return Object.fromEntries(rows.map((row) => [row.status, row.n]));
  }

  async applyEvent(orderId: string, input: OrderInput, columns: { confirmationUrl?: string } = {}) {
    return retrying(
      () => this.applyOnce(orderId, input, columns),
      (error) => error instanceof ConcurrentUpdateError,
      () => {
        throw new ConcurrentUpdateError(`order ${orderId}: gave up after ${MAX_ATTEMPTS} version conflicts`);
      },
    );
  }

  // BEGIN IMMEDIATE: a deferred transaction that reads then writes fails with SQLITE_BUSY at once.
  private applyOnce(orderId: string, input: OrderInput, columns: { confirmationUrl?: string }) {
    return this.db.transaction(
      (tx) => {
        const row = tx.select().from(orders).where(eq(orders.id, orderId)).get();
        if (!row) return null;
        const decision = decide(row.snapshot as never, input, this.deps);
        tx.insert(orderEvents).values(auditRowOf(decision.audit)).run();
        if (!decision.changed) return decision;
        const written = tx
          .update(orders)
          .set({ ...orderColumnsOf(decision, decision.audit.at), ...columns })
          .where(and(eq(orders.id, orderId), eq(orders.version, row.version)))
          .run();
        if (written.changes !== 1) throw new ConcurrentUpdateError(`order ${orderId} changed underneath`);
        const effectRows = effectRowsOf(decision, decision.audit.at);
        if (effectRows.length > 0)
          tx.insert(effects).values(effectRows).onConflictDoNothing({ target: effects.key }).run();
        return decision;
      },
      { behavior: 'immediate' },
    );
  }

  async claimPaymentStart(orderId: string, now: string, leaseUntil: string) {
    const claimed = this.db
      .update(orders)
      .set({ paymentClaimedUntil: leaseUntil })
      .where(paymentStartClaimable(orders, orderId, now))
      .run();
    return claimed.changes === 1;
  }

  async releasePaymentStart(orderId: string) {
    this.db.update(orders).set({ paymentClaimedUntil: null }).where(eq(orders.id, orderId)).run();
  }

  async claimDueOrders(workerId: string, now: string, leaseUntil: string, providers: readonly string[], limit: number) {
    if (providers.length === 0) return [];
    return this.leaseToPoller(workerId, leaseUntil, (tx) => selectDueOrders(tx, now, providers, limit).all());
  }

  async claimDueRechecks(
    workerId: string,
    now: string,
    leaseUntil: string,
    providers: readonly string[],
    limit: number,
  ) {
    if (providers.length === 0 || limit <= 0) return [];
    return this.leaseToPoller(workerId, leaseUntil, (tx) => selectDueRechecks(tx, now, providers, limit).all());
  }

  /** Selects and leases in one BEGIN IMMEDIATE, so two pollers never claim one order. */
  private leaseToPoller(
    workerId: string,
    leaseUntil: string,
    select: (tx: Pick<SqliteDb, 'select'>) => (typeof orders.$inferSelect)[],
  ) {
    return this.db.transaction(
      (tx) => {
        const due = select(tx);
        if (due.length === 0) return [];
        tx.update(orders)
          .set(pollLeaseOf(workerId, leaseUntil))
          .where(
            inArray(
              orders.id,
              due.map((row) => row.id),
            ),
          )
          .run();
        return due.map(orderRecordOf);
      },
      { behavior: 'immediate' },
    );
  }

  async expiredOrderIds(now: string, limit: number) {
    return this.db
      .select({ id: orders.id })
      .from(orders)
      .where(expiredOrders(orders, now))
      .limit(limit)
      .all()
      .map((row) => row.id);
  }

  async stuckOrderIds(since: string, limit: number) {
    return this.db
      .select({ id: orders.id })
      .from(orders)
      .where(stuckOrders(orders, since))
      .limit(limit)
      .all()
      .map((row) => row.id);
  }

  async claimDueEffects(workerId: string, now: string, leaseUntil: string, limit: number) {
    return this.db.transaction(
      (tx) => {
        const due = tx
          .select({ id: effects.id })
          .from(effects)
          .where(effectDue(effects, now))
          .orderBy(asc(effects.nextAttemptAt), asc(effects.id))
          .limit(limit)
          .all()
          .map((row) => row.id);
        if (due.length === 0) return [];
        return tx
          .update(effects)
          .set(effectClaimOf(effects.attempts, workerId, leaseUntil, now))
          .where(inArray(effects.id, due))
          .returning()
          .all()
          .map(storedEffectOf);
      },
      { behavior: 'immediate' },
    );
  }

  async completeEffect(id: number, now: string) {
    this.db.update(effects).set(effectOutcomes.done(now)).where(eq(effects.id, id)).run();
  }

  async retryEffect(id: number, error: string, nextAttemptAt: string, now: string) {
    this.db
      .update(effects)
      .set(effectOutcomes.retry(error, nextAttemptAt, now))
      .where(eq(effects.id, id))
      .run();
  }

  async failEffect(id: number, error: string, now: string) {
    this.db.update(effects).set(effectOutcomes.failed(error, now)).where(eq(effects.id, id)).run();
  }

  async cancelEffect(id: number, reason: string, now: string) {
    this.db.update(effects).set(effectOutcomes.cancelled(reason, now)).where(eq(effects.id, id)).run();
  }

  async countPendingEffects() {
    return this.db.select({ n: count() }).from(effects).where(eq(effects.status, 'pending')).get()?.n ?? 0;
  }

  async hasPendingEffects(orderId: string) {
    const row = this.db
      .select({ id: effects.id })
      .from(effects)
      .where(and(eq(effects.orderId, orderId), eq(effects.status, 'pending')))
      .limit(1)
      .get();
    return row !== undefined;
  }

  async recordWebhookDelivery(provider: string, dedupeKey: string, rawBody: string, receivedAt: string) {
    const inserted = this.db
      .insert(webhookInbox)
      .values(newDeliveryRow(provider, dedupeKey, rawBody, receivedAt))
      .onConflictDoNothing()
      .returning({ id: webhookInbox.id })
      .get();
    if (inserted) return { id: inserted.id, duplicate: false };
    // A delivery whose processing failed, or was cut off by a crash, is not a duplicate: the
    // provider's retry is our second chance. Taking it over is one conditional update, so two
    // concurrent retries cannot both take it.
    const reclaimed = this.db
      .update(webhookInbox)
      .set(deliveryReclaimOf(receivedAt))
      .where(reclaimableDelivery(webhookInbox, provider, dedupeKey, receivedAt))
      .returning({ id: webhookInbox.id })
      .get();
    if (reclaimed) return { id: reclaimed.id, duplicate: false };
    const existing = this.db
      .select({ id: webhookInbox.id })
      .from(webhookInbox)
      .where(deliveryKey(webhookInbox, provider, dedupeKey))
      .get();
    return { id: existing!.id, duplicate: true };
  }

  async finishWebhookDelivery(id: number, outcome: string, at: string) {
    this.db.update(webhookInbox).set({ outcome, processedAt: at }).where(eq(webhookInbox.id, id)).run();
  }

  async probeWrite(at: string) {
    this.db
      .insert(readinessProbe)
      .values({ id: 1, checkedAt: at })
      .onConflictDoUpdate({ target: readinessProbe.id, set: { checkedAt: at } })
      .run();
  }

  async close() {
    this.closeDb();
  }
}

/** The poller's query, kept apart so a test can read its plan: it must use orders_due_idx. */
export function selectDueOrders(
  db: Pick<SqliteDb, 'select'>,
  now: string,
  providers: readonly string[],
  limit: number,
) {
  return (
    db
      .select()
      .from(orders)
      .where(checkDue(orders, now, providers))
      // Oldest due first: newest-first let a flood of new orders starve an older one (issue 11 path 8).
      .orderBy(asc(orders.nextCheckAt))
      .limit(limit)
  );
}

/**
 * Late-money re-checks due (rule 5), from orders_recheck_idx; only no-money endings ever have a
 * recheck_at. The unary `+` keeps SQLite off the provider index, which would read every order of
 * the provider (a test reads the plan).
 */
export function selectDueRechecks(
  db: Pick<SqliteDb, 'select'>,
  now: string,
  providers: readonly string[],
  limit: number,
) {
  return db
    .select()
    .from(orders)
    .where(
      and(
        lte(orders.recheckAt, now),
        inArray(sql<string>`+${orders.provider}`, [...providers]),
        pollUnclaimed(orders, now),
      ),
    )
    .orderBy(asc(orders.recheckAt))
    .limit(limit);
}
