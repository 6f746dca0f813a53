/**
 * The POS stores on SQLite: payment methods, payments, refunds and the cash drawer, one class
 * implementing every port of PosStore.
 *
 * Invariants:
 * - Every read-then-write is one BEGIN IMMEDIATE transaction (better-sqlite3 transactions are
 *   synchronous, so nothing can await the network inside one); inside it a plain read is
 *   already a locked read.
 * - Writes of a payment or a drawer session are also compare-and-set on their version column.
 * - A refusal (PosRefusal) is thrown before anything is written, and rolls back what was.
 * - Conditions, rows and decisions are the PostgreSQL twin's (rows.ts);
 *   only execution differs here.
 */
import { and, asc, desc, eq, inArray } from 'drizzle-orm';
import {
  type Clock,
  type DrawerSession,
  type Money,
  type PaymentDecision,
  type PaymentInput,
  type PaymentMethod,
} from '@paystate/core';
import {
  cashDrawerMovements,
  cashDrawerSessions,
  paymentMethods,
  paymentRefunds,
  payments,
} from '../db/schema.sqlite.js';
import type { SqliteDb } from '../db/connection.sqlite.js';
import {
  createdBetween,
  decideAll,
  drawerAlreadyOpen,
  drawerCash,
  drawerClose,
  drawerColumnsOf,
  drawerKey,
  drawerListOf,
  drawerOf,
  drawerSessionOf,
  foundOpenDrawer,
  foundPayment,
  methodExists,
  methodKey,
  methodOf,
  movementOf,
  newDrawerRow,
  newMethodRow,
  newMovementRow,
  newPaymentRow,
  newRefundRow,
  openDrawerOf,
  openPaymentKey,
  paymentCheckDue,
  paymentFilterOf,
  paymentKey,
  paymentOf,
  paymentStartClaimable,
  paymentUpdateOf,
  refundsOf,
  salesOf,
  totalsColumns,
  planCashConfirmation,
  planRefund,
  planRefundFailure,
  repeatedRefundOf,
  refundKey,
  refundNotInFlight,
  refundOf,
  refundOutcomeOf,
  refundSendingOf,
  requestedRefund,
  sameVersion,
  sendingRefund,
  unsettledRefunds,
} from './rows.js';
import {
  CASH_METHOD,
  MAIN_TILL,
  PosRefusal,
  type PaymentColumns,
  type PaymentFilter,
  type PaymentMethodPatch,
  type PaymentSchedule,
  type PosStore,
  type RefundOutcome,
  type RefundRequest,
} from './store.js';

type Tx = Parameters<Parameters<SqliteDb['transaction']>[0]>[0];

export class SqlitePosStore implements PosStore {
  constructor(
    private readonly db: SqliteDb,
    private readonly clock: Clock,
    private readonly closeDb: () => void = () => undefined,
  ) {}

  async ready() {}

  private now() {
    return this.clock.now().toISOString();
  }

  private immediate<T>(work: (tx: Tx) => T): T {
    return this.db.transaction(work, { behavior: 'immediate' });
  }

  async createMethod(method: PaymentMethod & { accountId?: string | null }) {
    const now = this.now();
    const row = this.db
      .insert(paymentMethods)
      .values(newMethodRow(method, now))
      .onConflictDoNothing()
      .returning()
      .get();
    if (!row) throw methodExists(method);
    return methodOf(row);
  }

  async updateMethod(merchantId: string, providerCode: string, patch: PaymentMethodPatch) {
    const row = this.db
      .update(paymentMethods)
      .set({ ...patch, updatedAt: this.now() })
      .where(methodKey(paymentMethods, merchantId, providerCode))
      .returning()
      .get();
    return row ? methodOf(row) : null;
  }

  async deleteMethod(merchantId: string, providerCode: string) {
    const result = this.db
      .delete(paymentMethods)
      .where(methodKey(paymentMethods, merchantId, providerCode))
      .run();
    return result.changes === 1;
  }

  async getMethod(merchantId: string, providerCode: string) {
    const row = this.db
      .select()
      .from(paymentMethods)
      .where(methodKey(paymentMethods, merchantId, providerCode))
      .get();
    return row ? methodOf(row) : null;
  }

  async listMethods(merchantId: string) {
    return this.db
      .select()
      .from(paymentMethods)
      .where(eq(paymentMethods.merchantId, merchantId))
      .orderBy(asc(paymentMethods.sortOrder), asc(paymentMethods.providerCode))
      .all()
      .map(methodOf);
  }

  async insertPayment(
    created: PaymentDecision,
    description: string,
    schedule?: PaymentSchedule,
    providerAccountId: string | null = null,
  ) {
    return paymentOf(
      this.db
        .insert(payments)
        .values(newPaymentRow(created, description, schedule, providerAccountId))
        .returning()
        .get(),
    );
  }

  async claimDuePayments(now: string, leaseUntil: string, methodCodes: readonly string[], limit: number) {
    if (methodCodes.length === 0) return [];
    return this.immediate((tx) => {
      const due = tx
        .select()
        .from(payments)
        .where(paymentCheckDue(payments, now, methodCodes))
        .orderBy(asc(payments.nextCheckAt), asc(payments.id))
        .limit(limit)
        .all();
      return due.map((row) =>
        paymentOf(
          tx.update(payments).set({ nextCheckAt: leaseUntil }).where(eq(payments.id, row.id)).returning().get()!,
        ),
      );
    });
  }

  async schedulePaymentCheck(
    merchantId: string,
    paymentId: string,
    next: { nextCheckAt: string; failedChecks: number },
  ) {
    this.db
      .update(payments)
      .set(next)
      .where(openPaymentKey(payments, merchantId, paymentId))
      .run();
  }

  async findPaymentByProvider(methodCode: string, providerPaymentId: string) {
    const row = this.db
      .select()
      .from(payments)
      .where(and(eq(payments.methodCode, methodCode), eq(payments.providerPaymentId, providerPaymentId)))
      .get();
    return row ? paymentOf(row) : null;
  }

  async getPayment(merchantId: string, paymentId: string) {
    const row = this.db
      .select()
      .from(payments)
      .where(paymentKey(payments, merchantId, paymentId))
      .get();
    return row ? paymentOf(row) : null;
  }

  async listPayments(merchantId: string, filter: PaymentFilter) {
    return this.db
      .select()
      .from(payments)
      .where(paymentFilterOf(payments, merchantId, filter))
      .orderBy(desc(payments.createdAt), desc(payments.id))
      .limit(filter.limit)
      .all()
      .map(paymentOf);
  }

  async listPaymentsCreated(merchantId: string, from: string, to: string, limit: number) {
    return this.db
      .select()
      .from(payments)
      .where(createdBetween(payments, merchantId, from, to))
      .orderBy(desc(payments.createdAt), desc(payments.id))
      .limit(limit)
      .all()
      .map(paymentOf);
  }

  async applyPaymentEvents(
    merchantId: string,
    paymentId: string,
    inputs: readonly PaymentInput[],
    columns: PaymentColumns = {},
  ) {
    return this.immediate((tx) => {
      const row = lockPayment(tx, merchantId, paymentId);
      if (!row) return null;
      const { decision, changed } = decideAll(row, inputs, this.clock);
      if (!changed) return { payment: paymentOf(row), changed: false };
      return { payment: writePayment(tx, row, decision, columns), changed: true };
    });
  }

  async confirmCashPayment(merchantId: string, paymentId: string, tillId: string = MAIN_TILL) {
    return this.immediate((tx) => {
      const row = requirePayment(tx, merchantId, paymentId);
      const drawer = openDrawerRow(tx, merchantId, tillId);
      const { decision, session } = planCashConfirmation(row, drawer, this.clock, tillId);
      const now = decision.payment.updatedAt;
      const payment = writePayment(tx, row, decision, {}, { drawerSessionId: drawer!.id });
      const updated = writeDrawer(tx, drawer!, session, now);
      tx.insert(cashDrawerMovements)
        .values(newMovementRow(drawer!.id, 'in', row.amountMinor, now, { paymentId }))
        .run();
      return { payment, drawer: updated };
    });
  }

  async requestRefund(request: RefundRequest) {
    return this.immediate((tx) => {
      const row = requirePayment(tx, request.merchantId, request.paymentId);
      const earlier = tx.select().from(paymentRefunds).where(eq(paymentRefunds.id, request.refundId)).get();
      if (earlier) return repeatedRefundOf(row, earlier, request.amountMinor);
      const tillId = request.tillId ?? MAIN_TILL;
      const drawer = row.methodCode === CASH_METHOD ? openDrawerRow(tx, request.merchantId, tillId) : undefined;
      const { decision, session } = planRefund(row, drawer, request.amountMinor, this.clock, tillId);
      const now = decision.payment.updatedAt;
      const payment = writePayment(tx, row, decision);
      const refund = tx
        .insert(paymentRefunds)
        .values(newRefundRow(request, row, session ? drawer!.id : null, now))
        .returning()
        .get();
      if (!session) return { payment, refund: refundOf(refund), drawer: null, existing: false };
      const updated = writeDrawer(tx, drawer!, session, now);
      tx.insert(cashDrawerMovements)
        .values(
          newMovementRow(drawer!.id, 'out', request.amountMinor, now, {
            paymentId: row.id,
            refundId: refund.id,
            note: request.reason,
          }),
        )
        .run();
      return { payment, refund: refundOf(refund), drawer: updated, existing: false };
    });
  }

  async claimPaymentStart(merchantId: string, paymentId: string, now: string, leaseUntil: string) {
    const claimed = this.db
      .update(payments)
      .set({ startClaimedUntil: leaseUntil })
      .where(paymentStartClaimable(payments, merchantId, paymentId, now))
      .run();
    return claimed.changes === 1;
  }

  async releasePaymentStart(merchantId: string, paymentId: string) {
    this.db
      .update(payments)
      .set({ startClaimedUntil: null })
      .where(paymentKey(payments, merchantId, paymentId))
      .run();
  }

  async claimRefund(merchantId: string, refundId: string) {
    const now = this.now();
    const row = this.db
      .update(paymentRefunds)
      .set(refundSendingOf(now))
      .where(requestedRefund(paymentRefunds, merchantId, refundId))
      .returning()
      .get();
    return row ? refundOf(row) : null;
  }

  async finishRefund(merchantId: string, refundId: string, outcome: RefundOutcome) {
    return this.immediate((tx) => {
      const refund = tx
        .select()
        .from(paymentRefunds)
        .where(refundKey(paymentRefunds, merchantId, refundId))
        .get();
      if (!refund) throw new PosRefusal('refund_not_found', `no refund ${refundId}`);
      const row = requirePayment(tx, merchantId, refund.paymentId);
      if (refund.status !== 'sending') throw refundNotInFlight(refundId, refund.status);
      const now = this.now();
      let payment = paymentOf(row);
      if (outcome.status === 'failed')
        payment = writePayment(tx, row, planRefundFailure(row, refund.amountMinor, this.clock));
      const updated = tx
        .update(paymentRefunds)
        .set(refundOutcomeOf(outcome, now))
        .where(eq(paymentRefunds.id, refundId))
        .returning()
        .get();
      return { payment, refund: refundOf(updated) };
    });
  }

  async noteRefundError(refundId: string, error: string) {
    this.db
      .update(paymentRefunds)
      .set({ lastError: error, updatedAt: this.now() })
      .where(sendingRefund(paymentRefunds, refundId))
      .run();
  }

  async listRefunds(merchantId: string, paymentId: string) {
    return this.db
      .select()
      .from(paymentRefunds)
      .where(and(eq(paymentRefunds.paymentId, paymentId), eq(paymentRefunds.merchantId, merchantId)))
      .orderBy(asc(paymentRefunds.createdAt), asc(paymentRefunds.id))
      .all()
      .map(refundOf);
  }

  async refundsOfPayments(merchantId: string, paymentIds: readonly string[]) {
    if (paymentIds.length === 0) return [];
    return this.db
      .select()
      .from(paymentRefunds)
      .where(and(eq(paymentRefunds.merchantId, merchantId), inArray(paymentRefunds.paymentId, [...paymentIds])))
      .orderBy(asc(paymentRefunds.createdAt), asc(paymentRefunds.id))
      .all()
      .map(refundOf);
  }

  async salesTotals(merchantId: string, from: string, to: string) {
    return this.db
      .select(totalsColumns(payments.methodCode, payments.currency, payments.amountMinor))
      .from(payments)
      .where(salesOf(payments, merchantId, from, to))
      .groupBy(payments.methodCode, payments.currency)
      .all();
  }

  async refundTotals(merchantId: string, from: string, to: string) {
    return this.db
      .select(totalsColumns(payments.methodCode, paymentRefunds.currency, paymentRefunds.amountMinor))
      .from(paymentRefunds)
      .innerJoin(payments, and(eq(payments.id, paymentRefunds.paymentId), eq(payments.merchantId, merchantId)))
      .where(refundsOf(paymentRefunds, merchantId, from, to))
      .groupBy(payments.methodCode, paymentRefunds.currency)
      .all();
  }

  async getRefund(merchantId: string, refundId: string) {
    const row = this.db
      .select()
      .from(paymentRefunds)
      .where(refundKey(paymentRefunds, merchantId, refundId))
      .get();
    return row ? refundOf(row) : null;
  }

  async paymentsWithUnsettledRefunds(before: string, limit: number) {
    return this.db
      .selectDistinct({ merchantId: paymentRefunds.merchantId, paymentId: paymentRefunds.paymentId })
      .from(paymentRefunds)
      .where(unsettledRefunds(paymentRefunds, before))
      .limit(limit)
      .all();
  }

  async openDrawer(session: DrawerSession, openedBy: string | null, tillId: string = MAIN_TILL) {
    // The partial unique index (one open session per merchant and till) refuses a second one.
    const row = this.db
      .insert(cashDrawerSessions)
      .values(newDrawerRow(session, openedBy, tillId))
      .onConflictDoNothing()
      .returning()
      .get();
    if (!row) throw drawerAlreadyOpen(session, tillId);
    return drawerOf(row);
  }

  async getOpenDrawer(merchantId: string, tillId: string = MAIN_TILL) {
    const row = openDrawerRow(this.db, merchantId, tillId);
    return row ? drawerOf(row) : null;
  }

  async getDrawer(merchantId: string, sessionId: string) {
    const row = this.db
      .select()
      .from(cashDrawerSessions)
      .where(drawerKey(cashDrawerSessions, merchantId, sessionId))
      .get();
    return row ? drawerOf(row) : null;
  }

  async listDrawers(merchantId: string, limit: number, tillId?: string) {
    return this.db
      .select()
      .from(cashDrawerSessions)
      .where(drawerListOf(cashDrawerSessions, merchantId, tillId))
      .orderBy(desc(cashDrawerSessions.openedAt), desc(cashDrawerSessions.id))
      .limit(limit)
      .all()
      .map(drawerOf);
  }

  async recordDrawerCash(
    merchantId: string,
    direction: 'in' | 'out',
    cash: Money,
    note: string | null,
    tillId: string = MAIN_TILL,
  ) {
    return this.immediate((tx) => {
      const drawer = requireOpenDrawer(tx, merchantId, tillId);
      const session = drawerCash(drawerSessionOf(drawer), direction, cash);
      const now = this.now();
      const updated = writeDrawer(tx, drawer, session, now);
      tx.insert(cashDrawerMovements)
        .values(newMovementRow(drawer.id, direction, cash.amountMinor, now, { note }))
        .run();
      return updated;
    });
  }

  async closeDrawer(
    merchantId: string,
    counted: Money,
    closedBy: string | null,
    tillId: string = MAIN_TILL,
    note: string | null = null,
  ) {
    return this.immediate((tx) => {
      const drawer = requireOpenDrawer(tx, merchantId, tillId);
      const now = this.clock.now();
      const session = drawerClose(drawerSessionOf(drawer), counted, now);
      return writeDrawer(tx, drawer, session, now.toISOString(), { closedBy, closeNote: note });
    });
  }

  async drawerMovements(sessionId: string) {
    return this.db
      .select()
      .from(cashDrawerMovements)
      .where(eq(cashDrawerMovements.sessionId, sessionId))
      .orderBy(asc(cashDrawerMovements.id))
      .all()
      .map(movementOf);
  }

  async close() {
    this.closeDb();
  }
}

// Inside BEGIN IMMEDIATE the database is ours until commit: a plain read is already a locked read.
function lockPayment(tx: Tx, merchantId: string, paymentId: string) {
  return tx
    .select()
    .from(payments)
    .where(paymentKey(payments, merchantId, paymentId))
    .get();
}

function requirePayment(tx: Tx, merchantId: string, paymentId: string) {
  return foundPayment(lockPayment(tx, merchantId, paymentId), paymentId);
}

function openDrawerRow(db: Pick<SqliteDb, 'select'>, merchantId: string, tillId: string) {
  return db
    .select()
    .from(cashDrawerSessions)
    .where(openDrawerOf(cashDrawerSessions, merchantId, tillId))
    .get();
}

function requireOpenDrawer(tx: Tx, merchantId: string, tillId: string) {
  return foundOpenDrawer(openDrawerRow(tx, merchantId, tillId), merchantId, tillId);
}

function writePayment(
  tx: Tx,
  row: typeof payments.$inferSelect,
  decision: PaymentDecision,
  columns: PaymentColumns = {},
  extra: { drawerSessionId?: string } = {},
) {
  const written = tx
    .update(payments)
    .set({ ...paymentUpdateOf(row, decision, columns), ...extra })
    .where(sameVersion(payments, row.id, row.version))
    .returning()
    .get();
  if (!written) throw new Error(`payment ${row.id} changed underneath a write transaction`);
  return paymentOf(written);
}

function writeDrawer(
  tx: Tx,
  row: typeof cashDrawerSessions.$inferSelect,
  session: DrawerSession,
  now: string,
  extra: { closedBy?: string | null; closeNote?: string | null } = {},
) {
  const written = tx
    .update(cashDrawerSessions)
    .set({ ...drawerColumnsOf(session, row.version + 1, now), ...extra })
    .where(sameVersion(cashDrawerSessions, row.id, row.version))
    .returning()
    .get();
  if (!written) throw new Error(`drawer session ${row.id} changed underneath a write transaction`);
  return drawerOf(written);
}
