import { and, desc, eq, gt, gte, isNotNull, isNull, lt, lte, or, sql, type Column, type SQL } from 'drizzle-orm';
import type { Columns } from '../db/columns.js';
import type { alertChannels, alertDeliveries, alerts } from '../db/schema.sqlite.js';
import type {
  AlertChannelKind,
  AlertChannelRecord,
  AlertDeliveryRecord,
  AlertDeliveryStatus,
  AlertFilter,
  AlertRecord,
  DeliveryOutcome,
} from './store.js';

// The alert rows and conditions of both dialects' stores (their schemas infer the same row
// types, tests/server/db/schema-parity.test.ts), written once.

export function alertOf(row: typeof alerts.$inferSelect): AlertRecord {
  return row;
}

export function channelOf(row: typeof alertChannels.$inferSelect): AlertChannelRecord {
  return { ...row, kind: row.kind as AlertChannelKind };
}

export function deliveryOf(row: typeof alertDeliveries.$inferSelect): AlertDeliveryRecord {
  return { ...row, status: row.status as AlertDeliveryStatus };
}

/** The conditions of GET /v1/admin/alerts. */
export function alertFilterOf(
  table: Columns<'merchantId' | 'kind' | 'acknowledgedAt'>,
  filter: AlertFilter,
): SQL | undefined {
  return and(
    filter.merchantId === undefined ? undefined : eq(table.merchantId, filter.merchantId),
    filter.kind === undefined ? undefined : eq(table.kind, filter.kind),
    filter.state === 'open' ? isNull(table.acknowledgedAt) : undefined,
    filter.state === 'acknowledged' ? isNotNull(table.acknowledgedAt) : undefined,
  );
}

export const newestFirst = (table: Columns<'createdAt' | 'id'>) => [desc(table.createdAt), desc(table.id)];

/** A merchant's alerts of one digest window. */
export function inWindow(table: Columns<'merchantId' | 'createdAt'>, merchantId: string, from: string, to: string) {
  return and(eq(table.merchantId, merchantId), gte(table.createdAt, from), lt(table.createdAt, to));
}

/** A channel's window that an alert created `at` falls into. */
export function windowOpenAt(table: Columns<'channelId' | 'windowStart' | 'windowEnd'>, channelId: string, at: string) {
  return and(eq(table.channelId, channelId), lte(table.windowStart, at), gt(table.windowEnd, at));
}

/** The digest an alert created `at` opens on a channel: sent when the window closes. */
export function newDeliveryRow(
  channel: Pick<AlertChannelRecord, 'id' | 'merchantId'>,
  id: string,
  at: string,
  windowMs: number,
): typeof alertDeliveries.$inferInsert {
  const windowEnd = new Date(new Date(at).getTime() + windowMs).toISOString();
  return {
    id,
    channelId: channel.id,
    merchantId: channel.merchantId,
    windowStart: at,
    windowEnd,
    status: 'pending',
    attempts: 0,
    nextAttemptAt: windowEnd,
    createdAt: at,
    updatedAt: at,
  };
}

/** A delivery a worker may take: pending, due, and not leased to another (or its lease ran out). */
export function deliveryDue(table: Columns<'status' | 'nextAttemptAt' | 'claimedUntil'>, now: string) {
  return and(
    eq(table.status, 'pending'),
    lte(table.nextAttemptAt, now),
    or(isNull(table.claimedUntil), lt(table.claimedUntil, now)),
  );
}

export function deliveryClaimOf(attempts: Column, leaseUntil: string, now: string) {
  return { claimedUntil: leaseUntil, attempts: sql<number>`${attempts} + 1`, updatedAt: now };
}

/** What an attempt's outcome writes; every outcome ends the lease it ran under. */
export function deliveryOutcomeOf(outcome: DeliveryOutcome, now: string) {
  switch (outcome.status) {
    case 'sent':
      return { status: 'sent' as const, claimedUntil: null, lastError: null, updatedAt: now };
    case 'pending':
      return {
        status: 'pending' as const,
        claimedUntil: null,
        lastError: outcome.error,
        nextAttemptAt: outcome.nextAttemptAt,
        updatedAt: now,
      };
    case 'failed':
      return { status: 'failed' as const, claimedUntil: null, lastError: outcome.error, updatedAt: now };
  }
}
