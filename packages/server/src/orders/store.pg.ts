import { and, asc, count, desc, eq, gt, inArray, isNull, lt, lte, or, sql } from 'drizzle-orm';
import { decide, type DecisionDeps, type OrderDecision, type OrderInput, type OrderStatus } from '@paystate/core';
import { devices, effects, orderEvents, orders, webhookInbox } from '../db/schema.pg.js';
import type { PgDb, PgHandle } from '../db/connection.pg.js';
import { auditStatement, lockOrderStatement, transitionStatement } from './statements.pg.js';
import {
  auditRowOf,
  deviceOf,
  effectRowsOf,
  orderColumnsOf,
  orderRecordOf,
  paymentStartClaimable,
  reclaimableBefore,
  storedEffectOf,
} from './rows.js';
import { ConcurrentUpdateError, type DeviceInput, type OrderFilter, type Store } from './store.js';

const MAX_RETRIES = 5;

/** serialization_failure and deadlock_detected: the transaction did nothing and may simply run again. */
const RETRYABLE_SQLSTATES = new Set(['40001', '40P01']);

export interface PgStoreOptions {
  /** Runs once before the first query (migrations); every method waits for it. */
  prepare?: () => Promise<void>;
  close?: () => Promise<void>;
}

/**
 * The Store on PostgreSQL, for several server and poller processes on one database.
 * Transitions lock their order row (SELECT … FOR UPDATE) and keep the version compare-and-set
 * as a second guard; pollers and dispatchers claim work with `FOR UPDATE SKIP LOCKED` and a
 * lease, so concurrent claimers never take the same row and a dead one's rows come back.
 * Nothing inside a transaction waits on the network: `decide` is pure.
 */
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
      .values({ ...input, createdAt: now, updatedAt: now })
      .onConflictDoUpdate({
        target: devices.id,
        set: {
          name: input.name,
          location: input.location,
          logoUrl: input.logoUrl,
          clientInfo: input.clientInfo,
          clientInfoByStatus: input.clientInfoByStatus,
          updatedAt: now,
        },
      })
      .returning();
    return deviceOf(row!);
  }

  async getDevice(id: string) {
    await this.prepared;
    const [row] = await this.db.select().from(devices).where(eq(devices.id, id));
    return row ? deviceOf(row) : null;
  }

  async listDevices() {
    await this.prepared;
    return (await this.db.select().from(devices).orderBy(asc(devices.id))).map(deviceOf);
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

  async insertOrder(created: OrderDecision) {
    await this.prepared;
    await this.db.transaction(async (tx) => {
      await tx.insert(orders).values(orderColumnsOf(created, created.audit.at));
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
    const conditions = [
      filter.status ? eq(orders.status, filter.status) : undefined,
      filter.deviceId ? eq(orders.deviceId, filter.deviceId) : undefined,
      filter.createdBefore ? lt(orders.createdAt, filter.createdBefore) : undefined,
    ];
    const rows = await this.db
      .select()
      .from(orders)
      .where(and(...conditions))
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
    return rows.map((row) => ({
      id: row.id,
      orderId: row.orderId,
      from: row.fromStatus as OrderStatus | null,
      to: row.toStatus as OrderStatus,
      event: row.event as OrderDecision['audit']['event'],
      source: row.source as OrderDecision['audit']['source'],
      at: row.at,
      applied: row.applied,
      payload: row.payload as Record<string, unknown>,
    }));
  }

  async countOrdersByStatus() {
    await this.prepared;
    const rows = await this.db.select({ status: orders.status, n: count() }).from(orders).groupBy(orders.status);
    return Object.fromEntries(rows.map((row) => [row.status, row.n]));
  }

  async applyEvent(orderId: string, input: OrderInput, columns: { confirmationUrl?: string } = {}) {
    await this.prepared;
    for (let attempt = 0; attempt < MAX_RETRIES; attempt++) {
      try {
        return await this.applyOnce(orderId, input, columns);
      } catch (error) {
        if (!(error instanceof ConcurrentUpdateError) && !RETRYABLE_SQLSTATES.has(sqlStateOf(error) ?? '')) throw error;
      }
    }
    throw new ConcurrentUpdateError(`order ${orderId}: gave up after ${MAX_RETRIES} conflicts`);
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
    const rows = await this.db
      .select({ id: orders.id })
      .from(orders)
      .where(and(inArray(orders.status, ['created', 'pending']), lte(orders.expiresAt, now)))
      .limit(limit);
    return rows.map((row) => row.id);
  }

  async stuckOrderIds(since: string, limit: number) {
    await this.prepared;
    const rows = await this.db
      .select({ id: orders.id })
      .from(orders)
      .where(
        and(
          eq(orders.stuckAlerted, false),
          or(
            and(eq(orders.status, 'pending'), lte(orders.paymentStartedAt, since)),
            and(inArray(orders.status, ['paid', 'make_pending']), lte(orders.updatedAt, since)),
          ),
        ),
      )
      .limit(limit);
    return rows.map((row) => row.id);
  }

  async claimDueEffects(workerId: string, now: string, leaseUntil: string, limit: number) {
    await this.prepared;
    const due = this.db
      .select({ id: effects.id })
      .from(effects)
      .where(
        and(
          eq(effects.status, 'pending'),
          lte(effects.nextAttemptAt, now),
          or(isNull(effects.claimedUntil), lt(effects.claimedUntil, now)),
        ),
      )
      .orderBy(asc(effects.nextAttemptAt), asc(effects.id))
      .limit(limit)
      .for('update', { skipLocked: true });
    const rows = await this.db
      .update(effects)
      .set({ claimedBy: workerId, claimedUntil: leaseUntil, attempts: sql`${effects.attempts} + 1`, updatedAt: now })
      .where(inArray(effects.id, due))
      .returning();
    rows.sort((a, b) =>
      a.nextAttemptAt === b.nextAttemptAt ? a.id - b.id : a.nextAttemptAt < b.nextAttemptAt ? -1 : 1,
    );
    return rows.map(storedEffectOf);
  }

  async completeEffect(id: number, now: string) {
    await this.prepared;
    await this.db
      .update(effects)
      .set({ status: 'done', claimedUntil: null, lastError: null, updatedAt: now })
      .where(eq(effects.id, id));
  }

  async retryEffect(id: number, error: string, nextAttemptAt: string, now: string) {
    await this.prepared;
    await this.db
      .update(effects)
      .set({ nextAttemptAt, claimedUntil: null, lastError: error, updatedAt: now })
      .where(eq(effects.id, id));
  }

  async failEffect(id: number, error: string, now: string) {
    await this.prepared;
    await this.db
      .update(effects)
      .set({ status: 'failed', claimedUntil: null, lastError: error, updatedAt: now })
      .where(eq(effects.id, id));
  }

  async cancelEffect(id: number, reason: string, now: string) {
    await this.prepared;
    await this.db
      .update(effects)
      .set({ status: 'cancelled', claimedUntil: null, lastError: reason, updatedAt: now })
      .where(eq(effects.id, id));
  }

  async countPendingEffects() {
    await this.prepared;
    const [row] = await this.db.select({ n: count() }).from(effects).where(eq(effects.status, 'pending'));
    return row?.n ?? 0;
  }

  async recordWebhookDelivery(provider: string, dedupeKey: string, rawBody: string, receivedAt: string) {
    await this.prepared;
    const [inserted] = await this.db
      .insert(webhookInbox)
      .values({ provider, dedupeKey, rawBody, receivedAt })
      .onConflictDoNothing()
      .returning({ id: webhookInbox.id });
    if (inserted) return { id: inserted.id, duplicate: false };
    // A delivery whose processing failed, or was cut off by a crash, is not a duplicate: the
    // provider's retry is our second chance. Taking it over is one conditional update, so two
    // concurrent retries cannot both take it.
    const [reclaimed] = await this.db
      .update(webhookInbox)
      .set({ outcome: 'received', receivedAt, processedAt: null })
      .where(reclaimableDelivery(provider, dedupeKey, receivedAt))
      .returning({ id: webhookInbox.id });
    if (reclaimed) return { id: reclaimed.id, duplicate: false };
    const [existing] = await this.db
      .select({ id: webhookInbox.id })
      .from(webhookInbox)
      .where(and(eq(webhookInbox.provider, provider), eq(webhookInbox.dedupeKey, dedupeKey)));
    return { id: existing!.id, duplicate: true };
  }

  async finishWebhookDelivery(id: number, outcome: string, at: string) {
    await this.prepared;
    await this.db.update(webhookInbox).set({ outcome, processedAt: at }).where(eq(webhookInbox.id, id));
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
    .set({ pollClaimedBy: workerId, pollClaimedUntil: leaseUntil })
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
      .where(
        and(
          eq(orders.status, 'pending'),
          lte(orders.nextCheckAt, now),
          gt(orders.expiresAt, now),
          inArray(orders.provider, [...providers]),
          or(isNull(orders.pollClaimedUntil), lte(orders.pollClaimedUntil, now)),
        ),
      )
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
    .where(
      and(
        lte(orders.recheckAt, now),
        inArray(orders.provider, [...providers]),
        or(isNull(orders.pollClaimedUntil), lte(orders.pollClaimedUntil, now)),
      ),
    )
    .orderBy(asc(orders.recheckAt))
    .limit(limit)
    .for('update', { skipLocked: true });
  return db
    .update(orders)
    .set({ pollClaimedBy: workerId, pollClaimedUntil: leaseUntil })
    .where(inArray(orders.id, due))
    .returning();
}

/** The SQLSTATE of a pg error, also when drizzle wrapped it (DrizzleQueryError keeps it as the cause). */
function sqlStateOf(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
  }
  return undefined;
}

function reclaimableDelivery(provider: string, dedupeKey: string, receivedAt: string) {
  return and(
    eq(webhookInbox.provider, provider),
    eq(webhookInbox.dedupeKey, dedupeKey),
    or(
      eq(webhookInbox.outcome, 'error'),
      and(eq(webhookInbox.outcome, 'received'), lte(webhookInbox.receivedAt, reclaimableBefore(receivedAt))),
    ),
  );
}
