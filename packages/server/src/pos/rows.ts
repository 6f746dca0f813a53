import { randomUUID } from 'node:crypto';
import { and, eq, gte, inArray, isNull, lt, lte, or, sql, type Column } from 'drizzle-orm';
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
  type PaymentMethod,
  type PersistedPaymentSnapshot,
  type PaymentStatus,
} from '@paystate/core';
import type { Columns } from '../db/columns.js';
import type {
  cashDrawerMovements,
  cashDrawerSessions,
  paymentMethods,
  paymentRefunds,
  payments,
} from '../db/schema.sqlite.js';
import {
  CAPTURED_STATUSES,
  CASH_METHOD,
  noOpenDrawerMessage,
  onTill,
  PosRefusal,
  type DrawerMovement,
  type DrawerRecord,
  type PaymentColumns,
  type PaymentFilter,
  type PaymentMethodRecord,
  type PaymentRecord,
  type PaymentSchedule,
  type RefundOutcome,
  type RefundRecord,
  type RefundRequest,
  type RefundStatus,
} from './store.js';

// Row mapping and conditions shared by the SQLite and PostgreSQL POS stores (their schemas
// infer the same row types and name their columns alike), and the decisions they take inside a
// transaction: every rule is the core's (decidePayment, recordCash); these functions only turn
// "did not apply" into a refusal. The twins differ only in how they run a statement.

type PaymentRow = typeof payments.$inferSelect;

/** The statuses the poller still asks the provider about. */
export const OPEN_PAYMENT_STATUSES: readonly PaymentStatus[] = ['pending', 'processing'];
type DrawerRow = typeof cashDrawerSessions.$inferSelect;

export function newMethodRow(
  method: PaymentMethod & { accountId?: string | null },
  now: string,
): typeof paymentMethods.$inferInsert {
  return { id: randomUUID(), ...method, createdAt: now, updatedAt: now };
}

/** The refusal of a second method of one provider (the unique index found it). */
export function methodExists(method: PaymentMethod): PosRefusal {
  return new PosRefusal(
    'method_exists',
    `merchant ${method.merchantId} already has a ${method.providerCode} payment method`,
  );
}

/** A merchant's method of one provider. */
export function methodKey(table: Columns<'merchantId' | 'providerCode'>, merchantId: string, providerCode: string) {
  return and(eq(table.merchantId, merchantId), eq(table.providerCode, providerCode));
}

export function methodOf(row: typeof paymentMethods.$inferSelect): PaymentMethodRecord {
  return {
    id: row.id,
    merchantId: row.merchantId,
    providerCode: row.providerCode,
    accountId: row.accountId,
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
    providerAccountId: row.providerAccountId,
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
  providerAccountId: string | null = null,
): typeof payments.$inferInsert {
  const p = created.payment;
  return {
    providerAccountId,
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

/** A merchant's payment: the id alone never reaches another merchant's. */
export function paymentKey(table: Columns<'id' | 'merchantId'>, merchantId: string, paymentId: string) {
  return and(eq(table.id, paymentId), eq(table.merchantId, merchantId));
}

/** A merchant's payment while it is still open: only then is its check rescheduled. */
export function openPaymentKey(table: Columns<'id' | 'merchantId' | 'status'>, merchantId: string, paymentId: string) {
  return and(
    eq(table.id, paymentId),
    eq(table.merchantId, merchantId),
    inArray(table.status, [...OPEN_PAYMENT_STATUSES]),
  );
}

/** Open provider payments of these methods whose check is due. */
export function paymentCheckDue(
  table: Columns<'nextCheckAt' | 'methodCode' | 'status'>,
  now: string,
  methodCodes: readonly string[],
) {
  return and(
    lte(table.nextCheckAt, now),
    inArray(table.methodCode, [...methodCodes]),
    inArray(table.status, [...OPEN_PAYMENT_STATUSES]),
  );
}

/** The payment list's filter, within one merchant; absent criteria match every payment. */
export function paymentFilterOf(
  table: Columns<'merchantId' | 'status' | 'createdAt'>,
  merchantId: string,
  filter: PaymentFilter,
) {
  return and(
    eq(table.merchantId, merchantId),
    filter.status ? eq(table.status, filter.status) : undefined,
    filter.createdBefore ? lt(table.createdAt, filter.createdBefore) : undefined,
  );
}

/** The payment a change is about, or the refusal that it does not exist. */
export function foundPayment<Row>(row: Row | undefined, paymentId: string): Row {
  if (!row) throw new PosRefusal('payment_not_found', `no payment with id ${paymentId}`);
  return row;
}

/** The row of a version compare-and-set: written only if nobody wrote it since it was read. */
export function sameVersion(table: Columns<'id' | 'version'>, id: string, version: number) {
  return and(eq(table.id, id), eq(table.version, version));
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
    requestedBy: row.requestedBy,
    sentAt: row.sentAt,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

/**
 * The answer to a retried refund request that names its refund again: the refund as it stands
 * if it is of the same payment and amount, else refused (the key was reused for another).
 */
export function repeatedRefundOf(
  payment: PaymentRow,
  earlier: typeof paymentRefunds.$inferSelect,
  amountMinor: number,
) {
  if (earlier.paymentId !== payment.id || earlier.amountMinor !== amountMinor) {
    throw new PosRefusal(
      'idempotency_key_reused',
      `this Idempotency-Key already stands for refund ${earlier.id} of ${earlier.amountMinor} on payment ${earlier.paymentId}`,
    );
  }
  return { payment: paymentOf(payment), refund: refundOf(earlier), drawer: null, existing: true };
}

/** A refund's row as recorded; `drawerSessionId` is the session a cash refund is paid from. */
export function newRefundRow(
  request: RefundRequest,
  payment: PaymentRow,
  drawerSessionId: string | null,
  now: string,
): typeof paymentRefunds.$inferInsert {
  return {
    id: request.refundId,
    paymentId: payment.id,
    merchantId: payment.merchantId,
    amountMinor: request.amountMinor,
    currency: payment.currency,
    // Cash leaves the drawer in this very transaction: nothing is left to confirm.
    status: drawerSessionId ? 'succeeded' : 'requested',
    reason: request.reason,
    drawerSessionId,
    requestedBy: request.requestedBy ?? null,
    createdAt: now,
    updatedAt: now,
  };
}

/** A merchant's refund. */
export function refundKey(table: Columns<'id' | 'merchantId'>, merchantId: string, refundId: string) {
  return and(eq(table.id, refundId), eq(table.merchantId, merchantId));
}

/** A merchant's refund while it is `requested`: the compare-and-set that lets one caller send it. */
export function requestedRefund(table: Columns<'id' | 'merchantId' | 'status'>, merchantId: string, refundId: string) {
  return and(eq(table.id, refundId), eq(table.merchantId, merchantId), eq(table.status, 'requested'));
}

/** What claiming a refund for sending writes; `sentAt` starts its read-back grace. */
export function refundSendingOf(now: string) {
  return { status: 'sending' as const, sentAt: now, updatedAt: now };
}

/** What settling a refund writes. */
export function refundOutcomeOf(outcome: RefundOutcome, now: string) {
  return { status: outcome.status, lastError: outcome.status === 'succeeded' ? null : outcome.error, updatedAt: now };
}

/** The refusal to settle a refund that is not in flight. */
export function refundNotInFlight(refundId: string, status: string): PosRefusal {
  return new PosRefusal('refund_not_requested', `refund ${refundId} is ${status}, not in flight`);
}

/** A refund still in flight: only its sender's errors are noted on it. */
export function sendingRefund(table: Columns<'id' | 'status'>, refundId: string) {
  return and(eq(table.id, refundId), eq(table.status, 'sending'));
}

/** A refund left in flight by its sender, or recorded and never claimed, before `before`. */
export function unsettledRefunds(table: Columns<'status' | 'sentAt' | 'createdAt'>, before: string) {
  return or(
    and(eq(table.status, 'sending'), lte(table.sentAt, before)),
    and(eq(table.status, 'requested'), lte(table.createdAt, before)),
  );
}

export function drawerOf(row: DrawerRow): DrawerRecord {
  return {
    sessionId: row.id,
    merchantId: row.merchantId,
    tillId: row.tillId,
    currency: row.currency,
    openedAt: row.openedAt,
    openingMinor: row.openingMinor,
    cashInMinor: row.cashInMinor,
    cashOutMinor: row.cashOutMinor,
    closedAt: row.closedAt,
    countedMinor: row.countedMinor,
    openedBy: row.openedBy,
    closedBy: row.closedBy,
    closeNote: row.closeNote,
    version: row.version,
    updatedAt: row.updatedAt,
  };
}

export function drawerSessionOf(row: DrawerRow): DrawerSession {
  const {
    tillId: _t,
    openedBy: _o,
    closedBy: _c,
    closeNote: _n,
    version: _v,
    updatedAt: _u,
    ...session
  } = drawerOf(row);
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

export function newDrawerRow(
  session: DrawerSession,
  openedBy: string | null,
  tillId: string,
): typeof cashDrawerSessions.$inferInsert {
  return {
    id: session.sessionId,
    merchantId: session.merchantId,
    tillId,
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

/** A movement of cash in or out of a session, by a payment, a refund, or the cashier's hand (neither). */
export function newMovementRow(
  sessionId: string,
  direction: 'in' | 'out',
  amountMinor: number,
  at: string,
  cause: { paymentId?: string; refundId?: string; note?: string | null } = {},
): typeof cashDrawerMovements.$inferInsert {
  return {
    sessionId,
    direction,
    amountMinor,
    paymentId: cause.paymentId ?? null,
    refundId: cause.refundId ?? null,
    note: cause.note ?? null,
    at,
  };
}

/** A till's session still open (the partial unique index allows one per merchant and till). */
export function openDrawerOf(table: Columns<'merchantId' | 'tillId' | 'closedAt'>, merchantId: string, tillId: string) {
  return and(eq(table.merchantId, merchantId), eq(table.tillId, tillId), isNull(table.closedAt));
}

/** A merchant's sessions, of every till or of one. */
export function drawerListOf(table: Columns<'merchantId' | 'tillId'>, merchantId: string, tillId?: string) {
  return and(eq(table.merchantId, merchantId), tillId === undefined ? undefined : eq(table.tillId, tillId));
}

/** A merchant's session by id. */
export function drawerKey(table: Columns<'id' | 'merchantId'>, merchantId: string, sessionId: string) {
  return and(eq(table.id, sessionId), eq(table.merchantId, merchantId));
}

/** The open session a cash change needs, or the refusal that the till has none. */
export function foundOpenDrawer<Row>(row: Row | undefined, merchantId: string, tillId: string): Row {
  if (!row) throw new PosRefusal('drawer_not_open', noOpenDrawerMessage(merchantId, tillId));
  return row;
}

/** The refusal of a second open session on one till (the partial unique index found it). */
export function drawerAlreadyOpen(session: DrawerSession, tillId: string): PosRefusal {
  return new PosRefusal(
    'drawer_already_open',
    `merchant ${session.merchantId} already has an open cash drawer session${onTill(tillId)}`,
  );
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

/** A cash confirmation: the machine's pending -> processing -> success and the cash into the till's session. */
export function planCashConfirmation(row: PaymentRow, drawer: DrawerRow | undefined, clock: Clock, tillId: string) {
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
  if (!drawer) throw new PosRefusal('drawer_not_open', noOpenDrawerMessage(row.merchantId, tillId));
  const session = drawerCash(drawerSessionOf(drawer), 'in', { amountMinor: row.amountMinor, currency: row.currency });
  return { decision, session };
}

/** A refund: the machine counts it (or refuses one beyond what is refundable); cash also leaves the till's session. */
export function planRefund(
  row: PaymentRow,
  drawer: DrawerRow | undefined,
  amountMinor: number,
  clock: Clock,
  tillId: string,
) {
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
    throw new PosRefusal('drawer_not_open', `${noOpenDrawerMessage(row.merchantId, tillId)} to pay the refund from`);
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

/** A pending payment with no provider payment yet whose start nobody holds (or whose holder's lease ran out). */
export function paymentStartClaimable(
  table: Columns<'id' | 'merchantId' | 'status' | 'providerPaymentId' | 'startClaimedUntil'>,
  merchantId: string,
  paymentId: string,
  now: string,
) {
  return and(
    eq(table.id, paymentId),
    eq(table.merchantId, merchantId),
    eq(table.status, 'pending'),
    isNull(table.providerPaymentId),
    or(isNull(table.startClaimedUntil), lte(table.startClaimedUntil, now)),
  );
}

/** A merchant's rows created in [from, to). */
export function createdBetween(
  table: Columns<'merchantId' | 'createdAt'>,
  merchantId: string,
  from: string,
  to: string,
) {
  return and(eq(table.merchantId, merchantId), gte(table.createdAt, from), lt(table.createdAt, to));
}

/** Captured sales of a merchant created in [from, to): what the daily report counts. */
export function salesOf(
  table: Columns<'merchantId' | 'createdAt' | 'status'>,
  merchantId: string,
  from: string,
  to: string,
) {
  return and(createdBetween(table, merchantId, from, to), inArray(table.status, [...CAPTURED_STATUSES]));
}

/** Succeeded refunds of a merchant recorded in [from, to). */
export function refundsOf(
  table: Columns<'merchantId' | 'createdAt' | 'status'>,
  merchantId: string,
  from: string,
  to: string,
) {
  return and(createdBetween(table, merchantId, from, to), eq(table.status, 'succeeded'));
}

/**
 * The aggregate columns of a report row, the same SQL in both dialects: the count as an integer,
 * the sum cast to text so that no driver turns it into a float.
 */
export function totalsColumns(method: Column, currency: Column, amount: Column) {
  return {
    methodCode: sql<string>`${method}`.mapWith(String),
    currency: sql<string>`${currency}`.mapWith(String),
    count: sql<number>`cast(count(*) as integer)`.mapWith(Number),
    totalMinor: sql<string>`cast(coalesce(sum(${amount}), 0) as text)`.mapWith(String),
  };
}
