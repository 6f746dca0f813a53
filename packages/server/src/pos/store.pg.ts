/**
 * The POS stores on PostgreSQL, for several server processes on one database: payment methods,
 * payments, refunds and the cash drawer, one class implementing every
 * port of PosStore.
 *
 * Invariants:
 * - A payment change locks the payment row (SELECT … FOR UPDATE), then the open drawer session
 *   of the till the cash moves in or out of, always in that order; writes are also
 *   compare-and-set on the version column.
 * - Between the locks and the commit there is only the core's pure decisions: no network I/O.
 * - A transaction that failed with a serialization failure or a deadlock did nothing and is run
 *   again whole (db/retry.ts); a refusal (PosRefusal) rolls back everything it was part of.
 * - Every method waits for `prepare` (the order store's migrations) first.
 * - Conditions, rows and decisions are the SQLite twin's (rows.ts);
 *   only execution differs here.
 */
import { and, asc, desc, eq, inArray } from 'drizzle-orm';
import type { Clock, DrawerSession, Money, PaymentDecision, PaymentInput, PaymentMethod } from '@paystate/core';
import { cashDrawerMovements, cashDrawerSessions, paymentMethods, paymentRefunds, payments } from '../db/schema.pg.js';
import type { PgDb } from '../db/connection.pg.js';
import { isSerializationFailure, retrying } from '../db/retry.js';
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

type Tx = Parameters<Parameters<PgDb['transaction']>[0]>[0];

export interface PgPosStoreOptions {
  /** Runs once before the first query (migrations, or the order store's readiness); every method waits for it. */
  prepare?: () => Promise<void>;
  close?: () => Promise<void>;
}

export class PgPosStore implements PosStore {
  private readonly prepared: Promise<void>;

  constructor(
    private readonly db: PgDb,
    private readonly clock: Clock,
    private readonly options: PgPosStoreOptions = {},
  ) {
    this.prepared = options.prepare ? options.prepare() : Promise.resolve();
    this.prepared.catch(() => undefined);
  }

  ready() {
    return this.prepared;
  }

  private now() {
    return this.clock.now().toISOString();
  }

  /** One transaction, run again on a serialization failure or a deadlock (it did nothing then). */
  private async locked<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    await this.prepared;
    return retrying(() => this.db.transaction(work), isSerializationFailure);
  }

  async createMethod(method: PaymentMethod & { accountId?: string | null }) {
    await this.prepared;
    const now = this.now();
    const [row] = await this.db
      .insert(paymentMethods)
      .values(newMethodRow(method, now))
      .onConflictDoNothing()
      .returning();
    if (!row) throw methodExists(method);
    return methodOf(row);
  }

  async updateMethod(merchantId: string, providerCode: string, patch: PaymentMethodPatch) {
    await this.prepared;
    const [row] = await this.db
      .update(paymentMethods)
      .set({ ...patch, updatedAt: this.now() })
      .where(methodKey(paymentMethods, merchantId, providerCode))
      .returning();
    return row ? methodOf(row) : null;
  }

  async deleteMethod(merchantId: string, providerCode: string) {
    await this.prepared;
    const deleted = await this.db
      .delete(paymentMethods)
      .where(methodKey(paymentMethods, merchantId, providerCode))
      .returning({ id: paymentMethods.id });
    return deleted.length === 1;
  }

  async getMethod(merchantId: string, providerCode: string) {
    await this.prepared;
    const [row] = await this.db
      .select()
      .from(paymentMethods)
      .where(methodKey(paymentMethods, merchantId, providerCode));
    return row ? methodOf(row) : null;
  }

  async listMethods(merchantId: string) {
    await this.prepared;
    const rows = await this.db
      .select()
      .from(paymentMethods)
      .where(eq(paymentMethods.merchantId, merchantId))
      .orderBy(asc(paymentMethods.sortOrder), asc(paymentMethods.providerCode));
    return rows.map(methodOf);
  }

  async insertPayment(
    created: PaymentDecision,
    description: string,
    schedule?: PaymentSchedule,
    providerAccountId: string | null = null,
  ) {
    await this.prepared;
    const [row] = await this.db
      .insert(payments)
      .values(newPaymentRow(created, description, schedule, providerAccountId))
      .returning();
    return paymentOf(row!);
  }

  async claimDuePayments(now: string, leaseUntil: string, methodCodes: readonly string[], limit: number) {
    if (methodCodes.length === 0) return [];
    // SKIP LOCKED: another poller's claim in progress is not waited for, it is simply not due for us.
    return this.locked(async (tx) => {
      const due = await tx
        .select()
        .from(payments)
        .where(paymentCheckDue(payments, now, methodCodes))
        .orderBy(asc(payments.nextCheckAt), asc(payments.id))
        .limit(limit)
        .for('update', { skipLocked: true });
      if (due.length === 0) return [];
      const rows = await tx
        .update(payments)
        .set({ nextCheckAt: leaseUntil })
        .where(
          inArray(
            payments.id,
            due.map((row) => row.id),
          ),
        )
        .returning();
      // UPDATE ... RETURNING has no order: give them back oldest due first, as selected.
      const order = new Map(due.map((row, index) => [row.id, index]));
      return rows.map(paymentOf).sort((a, b) => order.get(a.paymentId)! - order.get(b.paymentId)!);
    });
  }

  async schedulePaymentCheck(
    merchantId: string,
    paymentId: string,
    next: { nextCheckAt: string; failedChecks: number },
  ) {
    await this.prepared;
    await this.db
      .update(payments)
      .set(next)
      .where(openPaymentKey(payments, merchantId, paymentId));
  }

  async findPaymentByProvider(methodCode: string, providerPaymentId: string) {
    await this.prepared;
    const [row] = await this.db
      .select()
      .from(payments)
      .where(and(eq(payments.methodCode, methodCode), eq(payments.providerPaymentId, providerPaymentId)));
    return row ? paymentOf(row) : null;
  }

  async getPayment(merchantId: string, paymentId: string) {
    await this.prepared;
    const [row] = await this.db
      .select()
      .from(payments)
      .where(paymentKey(payments, merchantId, paymentId));
    return row ? paymentOf(row) : null;
  }

  async listPayments(merchantId: string, filter: PaymentFilter) {
    await this.prepared;
    const rows = await this.db
      .select()
      .from(payments)
      .where(paymentFilterOf(payments, merchantId, filter))
      .orderBy(desc(payments.createdAt), desc(payments.id))
      .limit(filter.limit);
    return rows.map(paymentOf);
  }

  async listPaymentsCreated(merchantId: string, from: string, to: string, limit: number) {
    await this.prepared;
    const rows = await this.db
      .select()
      .from(payments)
      .where(createdBetween(payments, merchantId, from, to))
      .orderBy(desc(payments.createdAt), desc(payments.id))
      .limit(limit);
    return rows.map(paymentOf);
  }

  async applyPaymentEvents(
    merchantId: string,
    paymentId: string,
    inputs: readonly PaymentInput[],
    columns: PaymentColumns = {},
  ) {
    return this.locked(async (tx) => {
      const row = await lockPayment(tx, merchantId, paymentId);
      if (!row) return null;
      const { decision, changed } = decideAll(row, inputs, this.clock);
      if (!changed) return { payment: paymentOf(row), changed: false };
      return { payment: await writePayment(tx, row, decision, columns), changed: true };
    });
  }

  async confirmCashPayment(merchantId: string, paymentId: string, tillId: string = MAIN_TILL) {
    return this.locked(async (tx) => {
      const row = await requirePayment(tx, merchantId, paymentId);
      const drawer = await lockOpenDrawer(tx, merchantId, tillId);
      const { decision, session } = planCashConfirmation(row, drawer, this.clock, tillId);
      const now = decision.payment.updatedAt;
      const payment = await writePayment(tx, row, decision, {}, { drawerSessionId: drawer!.id });
      const updated = await writeDrawer(tx, drawer!, session, now);
      await tx
        .insert(cashDrawerMovements)
        .values(newMovementRow(drawer!.id, 'in', row.amountMinor, now, { paymentId }));
      return { payment, drawer: updated };
    });
  }

  async requestRefund(request: RefundRequest) {
    return this.locked(async (tx) => {
      const row = await requirePayment(tx, request.merchantId, request.paymentId);
      // Under the payment's lock: a concurrent request with the same key waits here, then finds this one's row.
      const [earlier] = await tx.select().from(paymentRefunds).where(eq(paymentRefunds.id, request.refundId));
      if (earlier) return repeatedRefundOf(row, earlier, request.amountMinor);
      const tillId = request.tillId ?? MAIN_TILL;
      const drawer = row.methodCode === CASH_METHOD ? await lockOpenDrawer(tx, request.merchantId, tillId) : undefined;
      const { decision, session } = planRefund(row, drawer, request.amountMinor, this.clock, tillId);
      const now = decision.payment.updatedAt;
      const payment = await writePayment(tx, row, decision);
      const [refund] = await tx
        .insert(paymentRefunds)
        .values(newRefundRow(request, row, session ? drawer!.id : null, now))
        .returning();
      if (!session) return { payment, refund: refundOf(refund!), drawer: null, existing: false };
      const updated = await writeDrawer(tx, drawer!, session, now);
      await tx.insert(cashDrawerMovements).values(
        newMovementRow(drawer!.id, 'out', request.amountMinor, now, {
          paymentId: row.id,
          refundId: refund!.id,
          note: request.reason,
        }),
      );
      return { payment, refund: refundOf(refund!), drawer: updated, existing: false };
    });
  }

  async claimPaymentStart(merchantId: string, paymentId: string, now: string, leaseUntil: string) {
    await this.prepared;
    const claimed = await this.db
      .update(payments)
      .set({ startClaimedUntil: leaseUntil })
      .where(paymentStartClaimable(payments, merchantId, paymentId, now))
      .returning({ id: payments.id });
    return claimed.length === 1;
  }

  async releasePaymentStart(merchantId: string, paymentId: string) {
    await this.prepared;
    await this.db
      .update(payments)
      .set({ startClaimedUntil: null })
      .where(paymentKey(payments, merchantId, paymentId));
  }

  async claimRefund(merchantId: string, refundId: string) {
    await this.prepared;
    const now = this.now();
    const [row] = await this.db
      .update(paymentRefunds)
      .set(refundSendingOf(now))
      .where(requestedRefund(paymentRefunds, merchantId, refundId))
      .returning();
    return row ? refundOf(row) : null;
  }

  async finishRefund(merchantId: string, refundId: string, outcome: RefundOutcome) {
    return this.locked(async (tx) => {
      const [refund] = await tx
        .select()
        .from(paymentRefunds)
        .where(refundKey(paymentRefunds, merchantId, refundId));
      if (!refund) throw new PosRefusal('refund_not_found', `no refund ${refundId}`);
      // The payment's lock serialises every change of its refunds; re-read the refund under it.
      const row = await requirePayment(tx, merchantId, refund.paymentId);
      const [current] = await tx.select().from(paymentRefunds).where(eq(paymentRefunds.id, refundId));
      if (current!.status !== 'sending') throw refundNotInFlight(refundId, current!.status);
      let payment = paymentOf(row);
      if (outcome.status === 'failed')
        payment = await writePayment(tx, row, planRefundFailure(row, current!.amountMinor, this.clock));
      const [updated] = await tx
        .update(paymentRefunds)
        .set(refundOutcomeOf(outcome, this.now()))
        .where(eq(paymentRefunds.id, refundId))
        .returning();
      return { payment, refund: refundOf(updated!) };
    });
  }

  async noteRefundError(refundId: string, error: string) {
    await this.prepared;
    await this.db
      .update(paymentRefunds)
      .set({ lastError: error, updatedAt: this.now() })
      .where(sendingRefund(paymentRefunds, refundId));
  }

  async listRefunds(merchantId: string, paymentId: string) {
    await this.prepared;
    const rows = await this.db
      .select()
      .from(paymentRefunds)
      .where(and(eq(paymentRefunds.paymentId, paymentId), eq(paymentRefunds.merchantId, merchantId)))
      .orderBy(asc(paymentRefunds.createdAt), asc(paymentRefunds.id));
    return rows.map(refundOf);
  }

  async refundsOfPayments(merchantId: string, paymentIds: readonly string[]) {
    if (paymentIds.length === 0) return [];
    await this.prepared;
    const rows = await this.db
      .select()
      .from(paymentRefunds)
      .where(and(eq(paymentRefunds.merchantId, merchantId), inArray(paymentRefunds.paymentId, [...paymentIds])))
      .orderBy(asc(paymentRefunds.createdAt), asc(paymentRefunds.id));
    return rows.map(refundOf);
  }

  async salesTotals(merchantId: string, from: string, to: string) {
    await this.prepared;
    return this.db
      .select(totalsColumns(payments.methodCode, payments.currency, payments.amountMinor))
      .from(payments)
      .where(salesOf(payments, merchantId, from, to))
      .groupBy(payments.methodCode, payments.currency);
  }

  async refundTotals(merchantId: string, from: string, to: string) {
    await this.prepared;
    return this.db
      .select(totalsColumns(payments.methodCode, paymentRefunds.currency, paymentRefunds.amountMinor))
      .from(paymentRefunds)
      .innerJoin(payments, and(eq(payments.id, paymentRefunds.paymentId), eq(payments.merchantId, merchantId)))
      .where(refundsOf(paymentRefunds, merchantId, from, to))
      .groupBy(payments.methodCode, paymentRefunds.currency);
  }

  async getRefund(merchantId: string, refundId: string) {
    await this.prepared;
    const [row] = await this.db
      .select()
      .from(paymentRefunds)
      .where(refundKey(paymentRefunds, merchantId, refundId));
    return row ? refundOf(row) : null;
  }

  async paymentsWithUnsettledRefunds(before: string, limit: number) {
    await this.prepared;
    return this.db
      .selectDistinct({ merchantId: paymentRefunds.merchantId, paymentId: paymentRefunds.paymentId })
      .from(paymentRefunds)
      .where(unsettledRefunds(paymentRefunds, before))
      .limit(limit);
  }

  async openDrawer(session: DrawerSession, openedBy: string | null, tillId: string = MAIN_TILL) {
    await this.prepared;
    // The partial unique index (one open session per merchant and till) decides between concurrent opens.
    const [row] = await this.db
      .insert(cashDrawerSessions)
      .values(newDrawerRow(session, openedBy, tillId))
      .onConflictDoNothing()
      .returning();
    if (!row) throw drawerAlreadyOpen(session, tillId);
    return drawerOf(row);
  }

  async getOpenDrawer(merchantId: string, tillId: string = MAIN_TILL) {
    await this.prepared;
    const [row] = await this.db
      .select()
      .from(cashDrawerSessions)
      .where(openDrawerOf(cashDrawerSessions, merchantId, tillId));
    return row ? drawerOf(row) : null;
  }

  async getDrawer(merchantId: string, sessionId: string) {
    await this.prepared;
    const [row] = await this.db
      .select()
      .from(cashDrawerSessions)
      .where(drawerKey(cashDrawerSessions, merchantId, sessionId));
    return row ? drawerOf(row) : null;
  }

  async listDrawers(merchantId: string, limit: number, tillId?: string) {
    await this.prepared;
    const rows = await this.db
      .select()
      .from(cashDrawerSessions)
      .where(drawerListOf(cashDrawerSessions, merchantId, tillId))
      .orderBy(desc(cashDrawerSessions.openedAt), desc(cashDrawerSessions.id))
      .limit(limit);
    return rows.map(drawerOf);
  }

  async recordDrawerCash(
    merchantId: string,
    direction: 'in' | 'out',
    cash: Money,
    note: string | null,
    tillId: string = MAIN_TILL,
  ) {
    return this.locked(async (tx) => {
      const drawer = await requireOpenDrawer(tx, merchantId, tillId);
      const session = drawerCash(drawerSessionOf(drawer), direction, cash);
      const now = this.now();
      const updated = await writeDrawer(tx, drawer, session, now);
      await tx
        .insert(cashDrawerMovements)
        .values(newMovementRow(drawer.id, direction, cash.amountMinor, now, { note }));
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
    return this.locked(async (tx) => {
      const drawer = await requireOpenDrawer(tx, merchantId, tillId);
      const now = this.clock.now();
      const session = drawerClose(drawerSessionOf(drawer), counted, now);
      return writeDrawer(tx, drawer, session, now.toISOString(), { closedBy, closeNote: note });
    });
  }

  async drawerMovements(sessionId: string) {
    await this.prepared;
    const rows = await this.db
      .select()
      .from(cashDrawerMovements)
      .where(eq(cashDrawerMovements.sessionId, sessionId))
      .orderBy(asc(cashDrawerMovements.id));
    return rows.map(movementOf);
  }

  async close() {
    await this.prepared.catch(() => undefined);
    await this.options.close?.();
  }
}

async function lockPayment(tx: Tx, merchantId: string, paymentId: string) {
  const [row] = await tx
    .select()
    .from(payments)
    .where(paymentKey(payments, merchantId, paymentId))
    .for('update');
  return row;
}

async function requirePayment(tx: Tx, merchantId: string, paymentId: string) {
  return foundPayment(await lockPayment(tx, merchantId, paymentId), paymentId);
}

async function lockOpenDrawer(tx: Tx, merchantId: string, tillId: string) {
  const [row] = await tx
    .select()
    .from(cashDrawerSessions)
    .where(openDrawerOf(cashDrawerSessions, merchantId, tillId))
    .for('update');
  return row;
}

async function requireOpenDrawer(tx: Tx, merchantId: string, tillId: string) {
  return foundOpenDrawer(await lockOpenDrawer(tx, merchantId, tillId), merchantId, tillId);
}

async function writePayment(
  tx: Tx,
  row: typeof payments.$inferSelect,
  decision: PaymentDecision,
  columns: PaymentColumns = {},
  extra: { drawerSessionId?: string } = {},
) {
  const [written] = await tx
    .update(payments)
    .set({ ...paymentUpdateOf(row, decision, columns), ...extra })
    .where(sameVersion(payments, row.id, row.version))
    .returning();
  if (!written) throw new Error(`payment ${row.id} changed underneath a locked transaction`);
  return paymentOf(written);
}

async function writeDrawer(
  tx: Tx,
  row: typeof cashDrawerSessions.$inferSelect,
  session: DrawerSession,
  now: string,
  extra: { closedBy?: string | null; closeNote?: string | null } = {},
) {
  const [written] = await tx
    .update(cashDrawerSessions)
    .set({ ...drawerColumnsOf(session, row.version + 1, now), ...extra })
    .where(sameVersion(cashDrawerSessions, row.id, row.version))
    .returning();
  if (!written) throw new Error(`drawer session ${row.id} changed underneath a locked transaction`);
  return drawerOf(written);
}
