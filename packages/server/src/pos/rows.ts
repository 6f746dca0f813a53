import { and, eq, isNull, lte, or, type Column } from 'drizzle-orm';
import {
  DrawerError,
  closeDrawer,
  decidePayment,
  recordCash,
  refundableMinor,
  type Clock,
  type DrawerSession,
  type Money,
  type PaymentDecision,
  type PaymentInput,
  type PersistedPaymentSnapshot,
  type PaymentStatus,
} from '@paystate/core';
import type {
  cashDrawerMovements,
  cashDrawerSessions,
  idempotencyKeys,
  paymentMethods,
  paymentRefunds,
  payments,
} from '../db/schema.sqlite.js';
import {
  CASH_METHOD,
  PosRefusal,
  type DrawerMovement,
  type DrawerRecord,
  type IdempotencyClaim,
  type PaymentColumns,
  type PaymentMethodRecord,
  type PaymentRecord,
  type PaymentSchedule,
  type RefundRecord,
  type RefundStatus,
} from './store.js';

// Row mapping shared by the SQLite and PostgreSQL POS stores (their schemas infer the same row
// types), and the decisions they take inside a transaction: every rule is the core's
// (decidePayment, recordCash); these functions only turn "did not apply" into a refusal.

type PaymentRow = typeof payments.$inferSelect;

/** The statuses the poller still asks the provider about. */
export const OPEN_PAYMENT_STATUSES: readonly PaymentStatus[] = ['pending', 'processing'];
type DrawerRow = typeof cashDrawerSessions.$inferSelect;

export function methodOf(row: typeof paymentMethods.$inferSelect): PaymentMethodRecord {
  return {
    id: row.id,
    merchantId: row.merchantId,
    providerCode: row.providerCode,
    displayName: row.displayName,
    active: row.active,
    sortOrder: row.sortOrder,
    publicConfig: row.publicConfig,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

export function paymentOf(row: PaymentRow): PaymentRecord {
  return {
    paymentId: row.id,
    merchantId: row.merchantId,
    methodCode: row.methodCode,
    amount: { amountMinor: row.amountMinor, currency: row.currency },
    status: row.status as PaymentStatus,
    refundedMinor: row.refundedMinor,
    description: row.description,
    providerPaymentId: row.providerPaymentId,
    confirmationUrl: row.confirmationUrl,
    failureReason: row.failureReason,
    drawerSessionId: row.drawerSessionId,
    nextCheckAt: row.nextCheckAt,
    expiresAt: row.expiresAt,
    failedChecks: row.failedChecks,
    version: row.version,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

/** The projected columns of a decided payment; the snapshot stays the truth. */
export function paymentColumnsOf(decision: PaymentDecision, version: number) {
  const p = decision.payment;
  return {
    // Only a pending or processing payment is checked; every other status clears its next check.
    ...(OPEN_PAYMENT_STATUSES.includes(decision.status) ? {} : { nextCheckAt: null }),
    status: decision.status,
    refundedMinor: p.refundedMinor,
    failureReason: p.failureReason,
    snapshot: decision.snapshot,
    version,
    updatedAt: p.updatedAt,
  };
}

export function newPaymentRow(
  created: PaymentDecision,
  description: string,
  schedule?: PaymentSchedule,
): typeof payments.$inferInsert {
  const p = created.payment;
  return {
    ...(schedule ? { nextCheckAt: schedule.nextCheckAt, expiresAt: schedule.expiresAt } : {}),
    id: p.paymentId,
    merchantId: p.merchantId,
    methodCode: p.methodCode,
    amountMinor: p.amount.amountMinor,
    currency: p.amount.currency,
    description,
    ...paymentColumnsOf(created, 0),
    createdAt: p.updatedAt,
  };
}

export function refundOf(row: typeof paymentRefunds.$inferSelect): RefundRecord {
  return {
    refundId: row.id,
    paymentId: row.paymentId,
    merchantId: row.merchantId,
    amount: { amountMinor: row.amountMinor, currency: row.currency },
    status: row.status as RefundStatus,
    reason: row.reason,
    lastError: row.lastError,
    drawerSessionId: row.drawerSessionId,
    sentAt: row.sentAt,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

/** The refund a retried request names again: the same payment and amount, or the key was reused for another. */
export function existingRefund(
  row: typeof paymentRefunds.$inferSelect,
  paymentId: string,
  amountMinor: number,
): RefundRecord {
  if (row.paymentId !== paymentId || row.amountMinor !== amountMinor) {
    throw new PosRefusal(
      'idempotency_key_reused',
      `this Idempotency-Key already stands for refund ${row.id} of ${row.amountMinor} on payment ${row.paymentId}`,
    );
  }
  return refundOf(row);
}

export function drawerOf(row: DrawerRow): DrawerRecord {
  return {
    sessionId: row.id,
    merchantId: row.merchantId,
    currency: row.currency,
    openedAt: row.openedAt,
    openingMinor: row.openingMinor,
    cashInMinor: row.cashInMinor,
    cashOutMinor: row.cashOutMinor,
    closedAt: row.closedAt,
    countedMinor: row.countedMinor,
    openedBy: row.openedBy,
    closedBy: row.closedBy,
    version: row.version,
    updatedAt: row.updatedAt,
  };
}

export function drawerSessionOf(row: DrawerRow): DrawerSession {
  const { openedBy: _o, closedBy: _c, version: _v, updatedAt: _u, ...session } = drawerOf(row);
  return session;
}

/** The columns a changed session writes. */
export function drawerColumnsOf(session: DrawerSession, version: number, now: string) {
  return {
    cashInMinor: session.cashInMinor,
    cashOutMinor: session.cashOutMinor,
    countedMinor: session.countedMinor,
    closedAt: session.closedAt,
    version,
    updatedAt: now,
  };
}

export function newDrawerRow(session: DrawerSession, openedBy: string | null): typeof cashDrawerSessions.$inferInsert {
  return {
    id: session.sessionId,
    merchantId: session.merchantId,
    currency: session.currency,
    openingMinor: session.openingMinor,
    cashInMinor: session.cashInMinor,
    cashOutMinor: session.cashOutMinor,
    countedMinor: session.countedMinor,
    openedAt: session.openedAt,
    openedBy,
    closedAt: session.closedAt,
    version: 0,
    updatedAt: session.openedAt,
  };
}

export function movementOf(row: typeof cashDrawerMovements.$inferSelect): DrawerMovement {
  return { ...row, direction: row.direction as 'in' | 'out' };
}

/** Applies the inputs in turn; `changed` when at least one applied. */
export function decideAll(
  row: PaymentRow,
  inputs: readonly PaymentInput[],
  clock: Clock,
): { decision: PaymentDecision; changed: boolean } {
  if (inputs.length === 0) throw new Error('decideAll needs at least one input');
  let snapshot: unknown = row.snapshot;
  let changed = false;
  let decision: PaymentDecision | undefined;
  for (const input of inputs) {
    decision = decidePayment(snapshot, input, clock);
    snapshot = decision.snapshot;
    changed ||= decision.changed;
  }
  return { decision: decision!, changed };
}

/** The row update of a payment after a decision, with the provider columns a caller adds. */
export function paymentUpdateOf(row: PaymentRow, decision: PaymentDecision, columns: PaymentColumns = {}) {
  return { ...paymentColumnsOf(decision, row.version + 1), ...columns };
}

/** A cash confirmation: the machine's pending -> processing -> success and the drawer's cash in. */
export function planCashConfirmation(row: PaymentRow, drawer: DrawerRow | undefined, clock: Clock) {
  if (row.methodCode !== CASH_METHOD) {
    throw new PosRefusal('payment_not_cash', `payment ${row.id} is paid with ${row.methodCode}, not cash`);
  }
  const { decision, changed } = decideAll(row, [{ type: 'PROCESS' }, { type: 'SUCCEED' }], clock);
  if (!changed || decision.status !== 'success') {
    throw new PosRefusal(
      'payment_not_confirmable',
      `payment ${row.id} is ${row.status}; only a pending cash payment can be confirmed`,
    );
  }
  if (!drawer) throw new PosRefusal('drawer_not_open', `merchant ${row.merchantId} has no open cash drawer session`);
  const session = drawerCash(drawerSessionOf(drawer), 'in', { amountMinor: row.amountMinor, currency: row.currency });
  return { decision, session };
}

/** A refund: the machine counts it (or refuses one beyond what is refundable); cash also leaves the drawer. */
export function planRefund(row: PaymentRow, drawer: DrawerRow | undefined, amountMinor: number, clock: Clock) {
  const decision = decidePayment(row.snapshot, { type: 'REFUND', amountMinor }, clock);
  if (!decision.changed) {
    if (row.status === 'success' || row.status === 'partially_refunded') {
      const { context } = row.snapshot as PersistedPaymentSnapshot;
      throw new PosRefusal(
        'refund_exceeds_refundable',
        `a refund of ${amountMinor} exceeds what payment ${row.id} can still refund (${refundableMinor(context)} ${row.currency})`,
      );
    }
    throw new PosRefusal(
      'payment_not_refundable',
      `payment ${row.id} is ${row.status}; only a captured payment can be refunded`,
    );
  }
  if (row.methodCode !== CASH_METHOD) return { decision, session: null };
  if (!drawer)
    throw new PosRefusal(
      'drawer_not_open',
      `merchant ${row.merchantId} has no open cash drawer session to pay the refund from`,
    );
  return { decision, session: drawerCash(drawerSessionOf(drawer), 'out', { amountMinor, currency: row.currency }) };
}

/** A refund the provider refused: the machine gets its amount back. */
export function planRefundFailure(row: PaymentRow, amountMinor: number, clock: Clock): PaymentDecision {
  const decision = decidePayment(row.snapshot, { type: 'REFUND_FAILED', amountMinor }, clock);
  if (!decision.changed)
    throw new Error(`payment ${row.id}: a failed refund of ${amountMinor} does not apply to ${row.status}`);
  return decision;
}

export function drawerCash(session: DrawerSession, direction: 'in' | 'out', cash: Money): DrawerSession {
  return refusingDrawerErrors(() => recordCash(session, direction, cash));
}

export function drawerClose(session: DrawerSession, counted: Money, now: Date): DrawerSession {
  return refusingDrawerErrors(() => closeDrawer(session, counted, now));
}

function refusingDrawerErrors<T>(work: () => T): T {
  try {
    return work();
  } catch (error) {
    if (error instanceof DrawerError) throw new PosRefusal('drawer_refused', error.message);
    throw error;
  }
}

type IdempotencyRow = typeof idempotencyKeys.$inferSelect;

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

/** The payments columns both dialects' tables share, for the start lease's condition written once. */
interface PaymentStartColumns {
  id: Column;
  merchantId: Column;
  status: Column;
  providerPaymentId: Column;
  startClaimedUntil: Column;
}

/** A pending payment with no provider payment yet whose start nobody holds (or whose holder's lease ran out). */
export function paymentStartClaimable(table: PaymentStartColumns, merchantId: string, paymentId: string, now: string) {
  return and(
    eq(table.id, paymentId),
    eq(table.merchantId, merchantId),
    eq(table.status, 'pending'),
    isNull(table.providerPaymentId),
    or(isNull(table.startClaimedUntil), lte(table.startClaimedUntil, now)),
  );
}
