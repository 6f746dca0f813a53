import { and, eq } from 'drizzle-orm';
import type { Columns } from '../db/columns.js';
import type { idempotencyKeys } from '../db/schema.sqlite.js';
import type { IdempotencyClaim, IdempotencyClaimRequest, StoredResponse } from './store.js';

// The Idempotency-Key rows and conditions of both dialects' stores (their schemas infer the
// same row types and name their columns alike), written once.

type IdempotencyRow = typeof idempotencyKeys.$inferSelect;
type KeyColumns = Columns<'scope' | 'key' | 'state'>;

/** A fresh in-flight claim: the row whose INSERT decides between concurrent requests. */
export function newKeyRow(claim: IdempotencyClaimRequest): typeof idempotencyKeys.$inferInsert {
  return {
    scope: claim.scope,
    key: claim.key,
    requestHash: claim.requestHash,
    state: 'in_flight',
    lockedUntil: claim.lockedUntil,
    createdAt: claim.now,
    expiresAt: claim.expiresAt,
  };
}

/** What taking over a lapsed key writes: a fresh in-flight claim, its old response forgotten. */
export function keyTakeoverOf(claim: IdempotencyClaimRequest) {
  return {
    requestHash: claim.requestHash,
    state: 'in_flight' as const,
    responseStatus: null,
    responseBody: null,
    responseContentType: null,
    lockedUntil: claim.lockedUntil,
    createdAt: claim.now,
    expiresAt: claim.expiresAt,
  };
}

/** What completing a claim writes: the response to replay. */
export function keyResponseOf(response: StoredResponse) {
  return {
    state: 'done' as const,
    responseStatus: response.status,
    responseBody: response.body,
    responseContentType: response.contentType,
    lockedUntil: null,
  };
}

/** The key of a scope. */
export function scopedKey(table: Omit<KeyColumns, 'state'>, scope: string, key: string) {
  return and(eq(table.scope, scope), eq(table.key, key));
}

/** The key of a scope while its request is still running: only that is completed or released. */
export function inFlightKey(table: KeyColumns, scope: string, key: string) {
  return and(eq(table.scope, scope), eq(table.key, key), eq(table.state, 'in_flight'));
}

/** An expired key, or an in-flight claim whose lock has passed (its request died), may be claimed again. */
export function claimLapsed(row: IdempotencyRow, now: string): boolean {
  return row.expiresAt <= now || (row.state === 'in_flight' && row.lockedUntil !== null && row.lockedUntil <= now);
}

/** A live key: another body is a mismatch, one still running is in flight, a finished one is replayed. */
export function claimOutcomeOf(row: IdempotencyRow, requestHash: string): IdempotencyClaim {
  if (row.requestHash !== requestHash) return { outcome: 'mismatch' };
  if (row.state === 'in_flight' || row.responseStatus === null || row.responseBody === null)
    return { outcome: 'in_flight' };
  return {
    outcome: 'replay',
    response: { status: row.responseStatus, body: row.responseBody, contentType: row.responseContentType },
  };
}
