/**
 * The order Store on PostgreSQL, for several server and poller processes on one database.
 *
 * Invariants:
 * - A transition locks its order row (SELECT … FOR UPDATE) and keeps the version compare-and-set
 *   as a second guard; it writes audit row, order row and outbox effects in one statement
 *   (statements.pg.ts). A lost race, a serialization failure or a deadlock retries it whole.
 * - Nothing inside a transaction waits on the network: between the lock and the commit there
 *   is only `decide`, which is pure.
 * - Pollers and dispatchers claim work with `FOR UPDATE SKIP LOCKED` and a lease, so concurrent
 *   claimers never take the same row and a dead one's rows come back; claims are answered in
 *   the order SQLite gives (RETURNING has none).
 * - Every method waits for `prepare` (the migrations) first.
 * - Conditions and row mapping are the SQLite twin's (rows.ts); only execution differs here.
 */
import { and, asc, count, desc, eq, inArray, lte } from 'drizzle-orm';
import { decide, type DecisionDeps, type OrderDecision, type OrderInput } from '@paystate/core';
import { devices, effects, orderEvents, orders, readinessProbe, webhookInbox } from '../db/schema.pg.js';
import type { PgDb, PgHandle } from '../db/connection.pg.js';
import { isSerializationFailure, MAX_ATTEMPTS, retrying } from '../db/retry.js';
import { auditStatement, lockOrderStatement, transitionStatement } from './statements.pg.js';
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

export interface PgStoreOptions {
  /** Runs once before the first query (migrations); every method waits for it. */
  prepare?: () => Promise<void>;
  close?: () => Promise<void>;
}

export class PgStore implements Store {
  private readonly prepared: Promise<void>;
  private readonly db: PgDb;
  private readonly pool: PgHandle['pool'];

  constructor(
    handle: Pick<PgHandle, 'db' | 'pool'>,
    private readonly deps: DecisionDeps,
    private readonly options: PgStoreOptions = {},
  ) {
    this.db = handle.db;
    this.pool = handle.pool;
    this.prepared = options.prepare ? options.prepare() : Promise.resolve();
    // Reported by ready() and by every call; never an unhandled rejection on its own.
    this.prepared.catch(() => undefined);
  }

  ready(): Promise<void> {
    return this.prepared;
  }

  async upsertDevice(input: DeviceInput) {
    await this.prepared;
    const now = this.deps.clock.now().toISOString();
    const [row] = await this.db
      .insert(devices)
      .values(newDeviceRow(input, now))
      .onConflictDoUpdate({
        target: devices.id,
        set: deviceUpdateOf(input, now),
        setWhere: eq(devices.merchantId, input.merchantId ?? DEFAULT_MERCHANT),
      })
      .returning();
    return row ? deviceOf(row) : null;
  }

  async getDevice(id: string) {
    await this.prepared;
    const [row] = await this.db.select().from(devices).where(eq(devices.id, id));
    return row ? deviceOf(row) : null;
  }

  async listDevices(merchantId?: string) {
    await this.prepared;
    const rows = await this.db
      .select()
      .from(devices)
      .where(merchantId === undefined ? undefined : eq(devices.merchantId, merchantId))
      .orderBy(asc(devices.id));
    return rows.map(deviceOf);
  }

  async deleteDevice(id: string) {
    await this.prepared;
    return this.db.transaction(async (tx) => {
      const [device] = await tx.select({ id: devices.id }).from(devices).where(eq(devices.id, id)).for('update');
      if (!device) return 'not_found' as const;
      const [order] = await tx.select({ id: orders.id }).from(orders).where(eq(orders.deviceId, id)).limit(1);
      if (order) return 'in_use' as const;
      await tx.delete(devices).where(eq(devices.id, id));
      return 'deleted' as const;
    });
  }

  async insertOrder(created: OrderDecision, owner: OrderOwner) {
    await this.prepared;
    await this.db.transaction(async (tx) => {
      await tx.insert(orders).values({ ...orderColumnsOf(created, created.audit.at), ...owner });
      await tx.insert(orderEvents).values(auditRowOf(created.audit));
    });
  }

  async getOrder(id: string) {
    await this.prepared;
    const [row] = await this.db.select().from(orders).where(eq(orders.id, id));
    return row ? orderRecordOf(row) : null;
  }

  async findOrderByPayment(provider: string, providerPaymentId: string) {
    await this.prepared;
    const [row] = await this.db
      .select()
      .from(orders)
      .where(and(eq(orders.provider, provider), eq(orders.providerPaymentId, providerPaymentId)));
    return row ? orderRecordOf(row) : null;
  }

  async listOrders(filter: OrderFilter) {
    await this.prepared;
    const rows = await this.db
      .select()
      .from(orders)
      .where(orderFilterOf(orders, filter))
      .orderBy(desc(orders.createdAt), desc(orders.id))
      .limit(filter.limit);
    return rows.map(orderRecordOf);
  }

  async orderEvents(orderId: string) {
    await this.prepared;
    const rows = await this.db
      .select()
      .from(orderEvents)
      .where(eq(orderEvents.orderId, orderId))
      .orderBy(asc(orderEvents.id));
    return rows.map(auditEntryOf);
  }

  async countOrdersByStatus() {
    await this.prepared;
    const rows = await this.db.select({ status: orders.status, n: count() }).from(orders).groupBy(orders.status);
    return Object.fromEntries(rows.map((row) => [row.status, row.n]));
  }

  async applyEvent(orderId: string, input: OrderInput, columns: { confirmationUrl?: string } = {}) {
    await this.prepared;
    return retrying(
      () => this.applyOnce(orderId, input, columns),
      (error) => error instanceof ConcurrentUpdateError || isSerializationFailure(error),
      () => {
        throw new ConcurrentUpdateError(`order ${orderId}: gave up after ${MAX_ATTEMPTS} conflicts`);
      },
    );
  }

  // The row lock serialises transitions of one order across every process; the version
  // compare-and-set would still refuse a write based on a stale read if the lock were ever lost.
  // Between the lock and the commit there is only `decide`, which is pure: no network I/O.
  private async applyOnce(
    orderId: string,
    input: OrderInput,
    columns: { confirmationUrl?: string },
  ): Promise<OrderDecision | null> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('begin');
      try {
        const { rows } = await client.query<{ snapshot: unknown; version: number }>(lockOrderStatement(orderId));
        const row = rows[0];
        if (!row) {
          await client.query('commit');
          return null;
        }
        const decision = decide(row.snapshot as never, input, this.deps);
        if (!decision.changed) {
          await client.query(auditStatement(auditRowOf(decision.audit)));
        } else {
          const set = { ...orderColumnsOf(decision, decision.audit.at), ...columns };
          const write = transitionStatement(
            orderId,
            row.version,
            auditRowOf(decision.audit),
            set,
            effectRowsOf(decision, decision.audit.at),
          );
          const { rows: written } = await client.query<{ updated: number }>(write);
          if (written[0]?.updated !== 1) throw new ConcurrentUpdateError(`order ${orderId} changed underneath`);
        }
        await client.query('commit');
        return decision;
      } catch (error) {
        await client.query('rollback').catch((rollbackError: unknown) => {
          broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
        });
        throw error;
      }
    } finally {
      // A connection whose rollback failed is in an unknown state: destroy it rather than pool it.
      client.release(broken);
    }
  }

  async claimPaymentStart(orderId: string, now: string, leaseUntil: string) {
    await this.prepared;
    const claimed = await this.db
      .update(orders)
      .set({ paymentClaimedUntil: leaseUntil })
      .where(paymentStartClaimable(orders, orderId, now))
      .returning({ id: orders.id });
    return claimed.length === 1;
  }

  async releasePaymentStart(orderId: string) {
    await this.prepared;
    await this.db.update(orders).set({ paymentClaimedUntil: null }).where(eq(orders.id, orderId));
  }

  async claimDueOrders(workerId: string, now: string, leaseUntil: string, providers: readonly string[], limit: number) {
    if (providers.length === 0) return [];
    await this.prepared;
    const rows = await claimDueOrdersPg(this.db, workerId, now, leaseUntil, providers, limit);
    // RETURNING has no order; the poller checks the oldest due first, as on SQLite.
    rows.sort((a, b) =>
      (a.nextCheckAt ?? '') < (b.nextCheckAt ?? '') ? -1 : (a.nextCheckAt ?? '') > (b.nextCheckAt ?? '') ? 1 : 0,
    );
    return rows.map(orderRecordOf);
  }

  async claimDueRechecks(
    workerId: string,
    now: string,
    leaseUntil: string,
    providers: readonly string[],
    limit: number,
  ) {
    if (providers.length === 0 || limit <= 0) return [];
    await this.prepared;
    const rows = await claimDueRechecksPg(this.db, workerId, now, leaseUntil, providers, limit);
    // RETURNING has no order: earliest re-check first, as on SQLite.
    rows.sort((a, b) => ((a.recheckAt ?? '') < (b.recheckAt ?? '') ? -1 : 1));
    return rows.map(orderRecordOf);
  }

  async expiredOrderIds(now: string, limit: number) {
    await this.prepared;
    const rows = await this.db.select({ id: orders.id }).from(orders).where(expiredOrders(orders, now)).limit(limit);
    return rows.map((row) => row.id);
  }

  async stuckOrderIds(since: string, limit: number) {
    await this.prepared;
    const rows = await this.db.select({ id: orders.id }).from(orders).where(stuckOrders(orders, since)).limit(limit);
    return rows.map((row) => row.id);
  }

  async claimDueEffects(workerId: string, now: string, leaseUntil: string, limit: number) {
    await this.prepared;
    const due = this.db
      .select({ id: effects.id })
      .from(effects)
      .where(effectDue(effects, now))
      .orderBy(asc(effects.nextAttemptAt), asc(effects.id))
      .limit(limit)
      .for('update', { skipLocked: true });
    const rows = await this.db
      .update(effects)
      .set(effectClaimOf(effects.attempts, workerId, leaseUntil, now))
      .where(inArray(effects.id, due))
      .returning();
    rows.sort((a, b) =>
      a.nextAttemptAt === b.nextAttemptAt ? a.id - b.id : a.nextAttemptAt < b.nextAttemptAt ? -1 : 1,
    );
    return rows.map(storedEffectOf);
  }

  async completeEffect(id: number, now: string) {
    await this.prepared;
    await this.db.update(effects).set(effectOutcomes.done(now)).where(eq(effects.id, id));
  }

  async retryEffect(id: number, error: string, nextAttemptAt: string, now: string) {
    await this.prepared;
    await this.db
      .update(effects)
      .set(effectOutcomes.retry(error, nextAttemptAt, now))
      .where(eq(effects.id, id));
  }

  async failEffect(id: number, error: string, now: string) {
    await this.prepared;
    await this.db.update(effects).set(effectOutcomes.failed(error, now)).where(eq(effects.id, id));
  }

  async cancelEffect(id: number, reason: string, now: string) {
    await this.prepared;
    await this.db.update(effects).set(effectOutcomes.cancelled(reason, now)).where(eq(effects.id, id));
  }

  async countPendingEffects() {
    await this.prepared;
    const [row] = await this.db.select({ n: count() }).from(effects).where(eq(effects.status, 'pending'));
    return row?.n ?? 0;
  }

  async hasPendingEffects(orderId: string) {
    await this.prepared;
    const rows = await this.db
      .select({ id: effects.id })
      .from(effects)
      .where(and(eq(effects.orderId, orderId), eq(effects.status, 'pending')))
      .limit(1);
    return rows.length > 0;
  }

  async recordWebhookDelivery(provider: string, dedupeKey: string, rawBody: string, receivedAt: string) {
    await this.prepared;
    const [inserted] = await this.db
      .insert(webhookInbox)
      .values(newDeliveryRow(provider, dedupeKey, rawBody, receivedAt))
      .onConflictDoNothing()
      .returning({ id: webhookInbox.id });
    if (inserted) return { id: inserted.id, duplicate: false };
    // A delivery whose processing failed, or was cut off by a crash, is not a duplicate: the
    // provider's retry is our second chance. Taking it over is one conditional update, so two
    // concurrent retries cannot both take it.
    const [reclaimed] = await this.db
      .update(webhookInbox)
      .set(deliveryReclaimOf(receivedAt))
      .where(reclaimableDelivery(webhookInbox, provider, dedupeKey, receivedAt))
      .returning({ id: webhookInbox.id });
    if (reclaimed) return { id: reclaimed.id, duplicate: false };
    const [existing] = await this.db
      .select({ id: webhookInbox.id })
      .from(webhookInbox)
      .where(deliveryKey(webhookInbox, provider, dedupeKey));
    return { id: existing!.id, duplicate: true };
  }

  async finishWebhookDelivery(id: number, outcome: string, at: string) {
    await this.prepared;
    await this.db.update(webhookInbox).set({ outcome, processedAt: at }).where(eq(webhookInbox.id, id));
  }

  async probeWrite(at: string) {
    await this.prepared;
    await this.db
      .insert(readinessProbe)
      .values({ id: 1, checkedAt: at })
      .onConflictDoUpdate({ target: readinessProbe.id, set: { checkedAt: at } });
  }

  async close() {
    // Let a migration still running finish (or fail) before the pool goes away under it.
    await this.prepared.catch(() => undefined);
    await this.options.close?.();
  }
}

/**
 * The poller's claim on PostgreSQL, one statement: the due orders (from orders_due_idx), oldest
 * due first, locked with SKIP LOCKED so concurrent pollers each take different rows without
 * waiting, are leased to `workerId` until `leaseUntil`. A row another claimer committed in the
 * meantime is re-checked against the WHERE clause before it is locked, so its fresh lease
 * excludes it. Kept apart so a test can read its plan.
 */
export function claimDueOrdersPg(
  db: Pick<PgDb, 'select' | 'update'>,
  workerId: string,
  now: string,
  leaseUntil: string,
  providers: readonly string[],
  limit: number,
) {
  return db
    .update(orders)
    .set(pollLeaseOf(workerId, leaseUntil))
    .where(inArray(orders.id, selectDueOrderIdsPg(db, now, providers, limit)))
    .returning();
}

export function selectDueOrderIdsPg(
  db: Pick<PgDb, 'select'>,
  now: string,
  providers: readonly string[],
  limit: number,
) {
  return (
    db
      .select({ id: orders.id })
      .from(orders)
      .where(checkDue(orders, now, providers))
      // Oldest due first: newest-first let a flood of new orders starve an older one (issue 11 path 8).
      .orderBy(asc(orders.nextCheckAt))
      .limit(limit)
      .for('update', { skipLocked: true })
  );
}

/** The late-money re-check claim (rule 5), like claimDueOrdersPg but from orders_recheck_idx. Kept apart so a test can read its plan. */
export function claimDueRechecksPg(
  db: Pick<PgDb, 'select' | 'update'>,
  workerId: string,
  now: string,
  leaseUntil: string,
  providers: readonly string[],
  limit: number,
) {
  const due = db
    .select({ id: orders.id })
    .from(orders)
    .where(and(lte(orders.recheckAt, now), inArray(orders.provider, [...providers]), pollUnclaimed(orders, now)))
    .orderBy(asc(orders.recheckAt))
    .limit(limit)
    .for('update', { skipLocked: true });
  return db.update(orders).set(pollLeaseOf(workerId, leaseUntil)).where(inArray(orders.id, due)).returning();
}
