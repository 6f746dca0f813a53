import { and, eq, isNull, lte, or, type Column } from 'drizzle-orm';
import type { AuditEntry, Effect, OrderDecision, OrderStatus } from '@paystate/core';
import type { devices, effects, orderEvents, orders } from '../db/schema.sqlite.js';
import type { Device, OrderRecord, StoredEffect } from './store.js';

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

export function storedEffectOf(row: typeof effects.$inferSelect): StoredEffect {
  return { id: row.id, key: row.key, orderId: row.orderId, effect: row.payload as Effect, attempts: row.attempts };
}

export function deviceOf(row: typeof devices.$inferSelect): Device {
  return { ...row, clientInfoByStatus: row.clientInfoByStatus as Device['clientInfoByStatus'] };
}

/**
 * A delivery still marked received this long after it arrived was cut off (the process died
 * mid-processing): the provider's redelivery takes it over instead of being answered duplicate.
 */
export const WEBHOOK_RECLAIM_AFTER_MS = 60_000;

export function reclaimableBefore(receivedAt: string): string {
  return new Date(Date.parse(receivedAt) - WEBHOOK_RECLAIM_AFTER_MS).toISOString();
}

/** The orders columns both dialects' tables share, for conditions written once. */
interface OrderClaimColumns {
  id: Column;
  status: Column;
  paymentClaimedUntil: Column;
}

/** A `created` order whose payment start nobody holds (or whose holder's lease ran out: it died mid-call). */
export function paymentStartClaimable(table: OrderClaimColumns, orderId: string, now: string) {
  return and(
    eq(table.id, orderId),
    eq(table.status, 'created'),
    or(isNull(table.paymentClaimedUntil), lte(table.paymentClaimedUntil, now)),
  );
}
