import { and, eq, gt, gte, inArray, isNull, lt, lte, or, sql, type Column } from 'drizzle-orm';
import type { AuditEntry, Effect, OrderDecision, OrderStatus } from '@paystate/core';
import type { Columns } from '../db/columns.js';
import type { devices, effects, orderEvents, orders, webhookInbox } from '../db/schema.sqlite.js';
import type { AuditRow, Device, DeviceInput, OrderFilter, OrderRecord, StoredEffect } from './store.js';

// Row mapping and conditions shared by the SQLite and PostgreSQL order stores: their schemas
// infer the same row types and name their columns alike, so each is written once here and the
// twins differ only in how they run a statement (synchronously, or awaited and locked).

type OrderRow = typeof orders.$inferSelect;

/** The projected columns the poller and the admin API query by; the snapshot stays the truth. */
export function orderColumnsOf(decision: OrderDecision, now: string): typeof orders.$inferInsert {
  const o = decision.order;
  return {
    id: o.orderId,
    deviceId: o.deviceId,
    productId: o.productId,
    productName: o.productName,
    size: o.size,
    priceMinor: o.price.amountMinor,
    currency: o.price.currency,
    provider: o.provider,
    providerPaymentId: o.providerPaymentId,
    status: decision.status,
    createdAt: o.createdAt,
    expiresAt: o.expiresAt,
    paymentStartedAt: o.paymentStartedAt,
    nextCheckAt: o.nextCheckAt,
    recheckAt: o.recheckAt,
    lastCheckAt: o.lastCheckAt,
    checkAttempts: o.checkAttempts,
    stuckAlerted: o.stuckAlerted,
    // Every transition sets a new due time (or leaves pending), so it ends the current check's lease.
    pollClaimedBy: null,
    pollClaimedUntil: null,
    // ...and any `pay` call's lease: the attempt it guarded is recorded (or the order moved on).
    paymentClaimedUntil: null,
    failedPresentationDesc: o.failedPresentationDesc,
    snapshot: decision.snapshot,
    version: decision.snapshot.revision,
    updatedAt: now,
  };
}

export function orderRecordOf(row: OrderRow): OrderRecord {
  const snapshot = row.snapshot as OrderDecision['snapshot'];
  return {
    status: row.status as OrderStatus,
    order: snapshot.state.context,
    version: row.version,
    confirmationUrl: row.confirmationUrl,
    updatedAt: row.updatedAt,
    merchantId: row.merchantId,
    providerAccountId: row.providerAccountId,
  };
}

export function auditRowOf(audit: AuditEntry): typeof orderEvents.$inferInsert {
  return {
    orderId: audit.orderId,
    fromStatus: audit.from,
    toStatus: audit.to,
    event: audit.event,
    source: audit.source,
    applied: audit.applied,
    at: audit.at,
    payload: audit.payload,
  };
}

export function effectRowsOf(decision: OrderDecision, now: string): Array<typeof effects.$inferInsert> {
  return decision.effects.map(({ key, effect }) => ({
    key,
    orderId: decision.order.orderId,
    kind: effect.type,
    payload: effect,
    nextAttemptAt: now,
    createdAt: now,
    updatedAt: now,
  }));
}

/** A stored audit row as the admin API reads it. */
export function auditEntryOf(row: typeof orderEvents.$inferSelect): AuditRow {
  return {
    id: row.id,
    orderId: row.orderId,
    from: row.fromStatus as OrderStatus | null,
    to: row.toStatus as OrderStatus,
    event: row.event as OrderDecision['audit']['event'],
    source: row.source as OrderDecision['audit']['source'],
    at: row.at,
    applied: row.applied,
    payload: row.payload as Record<string, unknown>,
  };
}

export function storedEffectOf(row: typeof effects.$inferSelect): StoredEffect {
  return { id: row.id, key: row.key, orderId: row.orderId, effect: row.payload as Effect, attempts: row.attempts };
}

export function deviceOf(row: typeof devices.$inferSelect): Device {
  return { ...row, clientInfoByStatus: row.clientInfoByStatus as Device['clientInfoByStatus'] };
}

export function newDeviceRow(input: DeviceInput, now: string): typeof devices.$inferInsert {
  return { ...input, createdAt: now, updatedAt: now };
}

/** What an upsert of a known device overwrites: everything but its id and creation time. */
export function deviceUpdateOf(input: DeviceInput, now: string) {
  return {
    name: input.name,
    location: input.location,
    logoUrl: input.logoUrl,
    clientInfo: input.clientInfo,
    clientInfoByStatus: input.clientInfoByStatus,
    updatedAt: now,
  };
}

/** The admin list's filter; absent criteria match every order. */
export function orderFilterOf(
  table: Columns<'merchantId' | 'status' | 'deviceId' | 'provider' | 'providerPaymentId' | 'createdAt'>,
  filter: OrderFilter,
) {
  return and(
    filter.merchantId ? eq(table.merchantId, filter.merchantId) : undefined,
    filter.status ? eq(table.status, filter.status) : undefined,
    filter.deviceId ? eq(table.deviceId, filter.deviceId) : undefined,
    filter.provider ? eq(table.provider, filter.provider) : undefined,
    filter.providerPaymentId ? eq(table.providerPaymentId, filter.providerPaymentId) : undefined,
    filter.createdBefore ? lt(table.createdAt, filter.createdBefore) : undefined,
    filter.createdAtOrAfter ? gte(table.createdAt, filter.createdAtOrAfter) : undefined,
  );
}

/** Orders still waiting for money whose expiry has passed. */
export function expiredOrders(table: Columns<'status' | 'expiresAt'>, now: string) {
  return and(inArray(table.status, ['created', 'pending']), lte(table.expiresAt, now));
}

/** Orders pending, or paid without a make outcome, since before `since`, not yet reported. */
export function stuckOrders(
  table: Columns<'stuckAlerted' | 'status' | 'paymentStartedAt' | 'updatedAt'>,
  since: string,
) {
  return and(
    eq(table.stuckAlerted, false),
    or(
      and(eq(table.status, 'pending'), lte(table.paymentStartedAt, since)),
      and(inArray(table.status, ['paid', 'make_pending']), lte(table.updatedAt, since)),
    ),
  );
}

/** No poller holds the order, or its holder's lease ran out (it died mid-check). */
export function pollUnclaimed(table: Columns<'pollClaimedUntil'>, now: string) {
  return or(isNull(table.pollClaimedUntil), lte(table.pollClaimedUntil, now));
}

/** Pending orders of these providers whose check is due, not expired, not held by a poller (orders_due_idx). */
export function checkDue(
  table: Columns<'status' | 'nextCheckAt' | 'expiresAt' | 'provider' | 'pollClaimedUntil'>,
  now: string,
  providers: readonly string[],
) {
  return and(
    eq(table.status, 'pending'),
    lte(table.nextCheckAt, now),
    gt(table.expiresAt, now),
    inArray(table.provider, [...providers]),
    pollUnclaimed(table, now),
  );
}

/** A poller's lease on the orders it claimed. */
export function pollLeaseOf(workerId: string, leaseUntil: string) {
  return { pollClaimedBy: workerId, pollClaimedUntil: leaseUntil };
}

/** Pending effects whose attempt is due and whose last claim (if any) has run out. */
export function effectDue(table: Columns<'status' | 'nextAttemptAt' | 'claimedUntil'>, now: string) {
  return and(
    eq(table.status, 'pending'),
    lte(table.nextAttemptAt, now),
    or(isNull(table.claimedUntil), lt(table.claimedUntil, now)),
  );
}

/** A dispatcher's claim on an effect: leased to it, one more attempt counted. */
export function effectClaimOf(attempts: Column, workerId: string, leaseUntil: string, now: string) {
  return { claimedBy: workerId, claimedUntil: leaseUntil, attempts: sql<number>`${attempts} + 1`, updatedAt: now };
}

/** The columns an effect's outcome writes; every outcome ends the claim it ran under. */
export const effectOutcomes = {
  done: (now: string) => ({ status: 'done', claimedUntil: null, lastError: null, updatedAt: now }),
  retry: (error: string, nextAttemptAt: string, now: string) => ({
    nextAttemptAt,
    claimedUntil: null,
    lastError: error,
    updatedAt: now,
  }),
  failed: (error: string, now: string) => ({ status: 'failed', claimedUntil: null, lastError: error, updatedAt: now }),
  cancelled: (reason: string, now: string) => ({
    status: 'cancelled',
    claimedUntil: null,
    lastError: reason,
    updatedAt: now,
  }),
} satisfies Record<string, (...args: never[]) => Partial<typeof effects.$inferInsert>>;

/**
 * A delivery still marked received this long after it arrived was cut off (the process died
 * mid-processing): the provider's redelivery takes it over instead of being answered duplicate.
 */
export const WEBHOOK_RECLAIM_AFTER_MS = 60_000;

export function reclaimableBefore(receivedAt: string): string {
  return new Date(Date.parse(receivedAt) - WEBHOOK_RECLAIM_AFTER_MS).toISOString();
}

type InboxColumns = Columns<'provider' | 'dedupeKey' | 'outcome' | 'receivedAt'>;

export function newDeliveryRow(
  provider: string,
  dedupeKey: string,
  rawBody: string,
  receivedAt: string,
): typeof webhookInbox.$inferInsert {
  return { provider, dedupeKey, rawBody, receivedAt };
}

/** The one delivery a provider's key names. */
export function deliveryKey(table: Columns<'provider' | 'dedupeKey'>, provider: string, dedupeKey: string) {
  return and(eq(table.provider, provider), eq(table.dedupeKey, dedupeKey));
}

/** A delivery whose processing failed, or was cut off by a crash: the provider's retry takes it over. */
export function reclaimableDelivery(table: InboxColumns, provider: string, dedupeKey: string, receivedAt: string) {
  return and(
    eq(table.provider, provider),
    eq(table.dedupeKey, dedupeKey),
    or(
      eq(table.outcome, 'error'),
      and(eq(table.outcome, 'received'), lte(table.receivedAt, reclaimableBefore(receivedAt))),
    ),
  );
}

/** What taking a delivery over writes: received again, now, not processed. */
export function deliveryReclaimOf(receivedAt: string) {
  return { outcome: 'received', receivedAt, processedAt: null };
}

/** A `created` order whose payment start nobody holds (or whose holder's lease ran out: it died mid-call). */
export function paymentStartClaimable(
  table: Columns<'id' | 'status' | 'paymentClaimedUntil'>,
  orderId: string,
  now: string,
) {
  return and(
    eq(table.id, orderId),
    eq(table.status, 'created'),
    or(isNull(table.paymentClaimedUntil), lte(table.paymentClaimedUntil, now)),
  );
}
