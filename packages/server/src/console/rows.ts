import type { consoleUsers, effects, paymentRefunds, webhookInbox } from '../db/schema.sqlite.js';
import type { Scope } from '../merchants/scopes.js';
import type { ConsoleUserRecord, DeliveryView, EffectView, OpenRefundView } from './store.js';

// Both dialects infer the same row types (tests/server/db/schema-parity.test.ts): one mapping serves both.

export function userOf(row: typeof consoleUsers.$inferSelect): ConsoleUserRecord {
  return { ...row, scope: row.scope as Scope };
}

export function effectViewOf(row: typeof effects.$inferSelect): EffectView {
  return {
    id: row.id,
    orderId: row.orderId,
    kind: row.kind,
    status: row.status,
    attempts: row.attempts,
    nextAttemptAt: row.nextAttemptAt,
    lastError: row.lastError,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

export function deliveryViewOf(row: typeof webhookInbox.$inferSelect): DeliveryView {
  return {
    id: row.id,
    provider: row.provider,
    outcome: row.outcome,
    receivedAt: row.receivedAt,
    processedAt: row.processedAt,
    rawBody: row.rawBody,
  };
}

/** Refunds still open: their outcome unknown, or waiting for a person. */
export const OPEN_REFUND_STATUSES = ['requested', 'sending', 'review'] as const;

export function openRefundOf(row: typeof paymentRefunds.$inferSelect): OpenRefundView {
  return {
    refundId: row.id,
    paymentId: row.paymentId,
    merchantId: row.merchantId,
    amountMinor: row.amountMinor,
    currency: row.currency,
    status: row.status,
    lastError: row.lastError,
    createdAt: row.createdAt,
  };
}
