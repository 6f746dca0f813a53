import { randomUUID } from 'node:crypto';
import { and, asc, desc, eq, inArray, isNull, lt, lte, or } from 'drizzle-orm';
import type { Clock, DrawerSession, Money, PaymentDecision, PaymentInput, PaymentMethod } from '@paystate/core';
import {
  cashDrawerMovements,
  cashDrawerSessions,
  idempotencyKeys,
  paymentMethods,
  paymentRefunds,
  payments,
} from '../db/schema.pg.js';
import type { PgDb } from '../db/connection.pg.js';
import {
  claimLapsed,
  claimOutcomeOf,
  decideAll,
  drawerCash,
  drawerClose,
  drawerColumnsOf,
  drawerOf,
  drawerSessionOf,
  existingRefund,
  methodOf,
  OPEN_PAYMENT_STATUSES,
  movementOf,
  newDrawerRow,
  newPaymentRow,
  paymentOf,
  paymentStartClaimable,
  paymentUpdateOf,
  planCashConfirmation,
  planRefund,
  planRefundFailure,
  refundOf,
} from './rows.js';
import {
  CASH_METHOD,
  PosRefusal,
  type IdempotencyClaim,
  type IdempotencyClaimRequest,
  type PaymentColumns,
  type PaymentFilter,
  type PaymentMethodPatch,
  type PaymentSchedule,
  type PosStore,
  type RefundOutcome,
  type RefundRequest,
  type StoredResponse,
} from './store.js';

type Tx = Parameters<Parameters<PgDb['transaction']>[0]>[0];

const MAX_RETRIES = 5;
/** serialization_failure and deadlock_detected: the transaction did nothing and may simply run again. */
const RETRYABLE_SQLSTATES = new Set(['40001', '40P01']);

export interface PgPosStoreOptions {
  /** Runs once before the first query (migrations, or the order store's readiness); every method waits for it. */
  prepare?: () => Promise<void>;
  close?: () => Promise<void>;
}

/**
 * The POS on PostgreSQL, for several server processes on one database. A payment change locks
 * the payment row (SELECT … FOR UPDATE), then the merchant's open drawer session when cash
 * moves, always in that order; writes are also compare-and-set on the version column. Between
 * the locks and the commit there is only the core's pure decisions: no network I/O.
 */
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
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.db.transaction(work);
      } catch (error) {
        if (attempt >= MAX_RETRIES || !RETRYABLE_SQLSTATES.has(sqlStateOf(error) ?? '')) throw error;
      }
    }
  }

  async createMethod(method: PaymentMethod) {
    await this.prepared;
    const now = this.now();
    const [row] = await this.db
      .insert(paymentMethods)
      .values({ id: randomUUID(), ...method, createdAt: now, updatedAt: now })
      .onConflictDoNothing()
      .returning();
    if (!row)
      throw new PosRefusal(
        'method_exists',
        `merchant ${method.merchantId} already has a ${method.providerCode} payment method`,
      );
    return methodOf(row);
  }

  async updateMethod(merchantId: string, providerCode: string, patch: PaymentMethodPatch) {
    await this.prepared;
    const [row] = await this.db
      .update(paymentMethods)
      .set({ ...patch, updatedAt: this.now() })
      .where(and(eq(paymentMethods.merchantId, merchantId), eq(paymentMethods.providerCode, providerCode)))
      .returning();
    return row ? methodOf(row) : null;
  }

  async deleteMethod(merchantId: string, providerCode: string) {
    await this.prepared;
    const deleted = await this.db
      .delete(paymentMethods)
      .where(and(eq(paymentMethods.merchantId, merchantId), eq(paymentMethods.providerCode, providerCode)))
      .returning({ id: paymentMethods.id });
    return deleted.length === 1;
  }

  async getMethod(merchantId: string, providerCode: string) {
    await this.prepared;
    const [row] = await this.db
      .select()
      .from(paymentMethods)
      .where(and(eq(paymentMethods.merchantId, merchantId), eq(paymentMethods.providerCode, providerCode)));
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

  async insertPayment(created: PaymentDecision, description: string, schedule?: PaymentSchedule) {
    await this.prepared;
    const [row] = await this.db
      .insert(payments)
      .values(newPaymentRow(created, description, schedule))
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
        .where(
          and(
            lte(payments.nextCheckAt, now),
            inArray(payments.methodCode, [...methodCodes]),
            inArray(payments.status, [...OPEN_PAYMENT_STATUSES]),
          ),
        )
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
      .where(
        and(
          eq(payments.id, paymentId),
          eq(payments.merchantId, merchantId),
          inArray(payments.status, [...OPEN_PAYMENT_STATUSES]),
        ),
      );
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
      .where(and(eq(payments.id, paymentId), eq(payments.merchantId, merchantId)));
    return row ? paymentOf(row) : null;
  }

  async listPayments(merchantId: string, filter: PaymentFilter) {
    await this.prepared;
    const rows = await this.db
      .select()
      .from(payments)
      .where(
        and(
          eq(payments.merchantId, merchantId),
          filter.status ? eq(payments.status, filter.status) : undefined,
          filter.createdBefore ? lt(payments.createdAt, filter.createdBefore) : undefined,
        ),
      )
      .orderBy(desc(payments.createdAt), desc(payments.id))
      .limit(filter.limit);
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

  async confirmCashPayment(merchantId: string, paymentId: string) {
    return this.locked(async (tx) => {
      const row = await requirePayment(tx, merchantId, paymentId);
      const drawer = await lockOpenDrawer(tx, merchantId);
      const { decision, session } = planCashConfirmation(row, drawer, this.clock);
      const now = decision.payment.updatedAt;
      const payment = await writePayment(tx, row, decision, {}, { drawerSessionId: drawer!.id });
      const updated = await writeDrawer(tx, drawer!, session, now);
      await tx.insert(cashDrawerMovements).values({
        sessionId: drawer!.id,
        direction: 'in',
        amountMinor: row.amountMinor,
        paymentId,
        refundId: null,
        note: null,
        at: now,
      });
      return { payment, drawer: updated };
    });
  }

  async requestRefund(request: RefundRequest) {
    return this.locked(async (tx) => {
      const row = await requirePayment(tx, request.merchantId, request.paymentId);
      // Under the payment's lock: a concurrent request with the same key waits here, then finds this one's row.
      const [earlier] = await tx.select().from(paymentRefunds).where(eq(paymentRefunds.id, request.refundId));
      if (earlier)
        return {
          payment: paymentOf(row),
          refund: existingRefund(earlier, row.id, request.amountMinor),
          drawer: null,
          existing: true,
        };
      const drawer = row.methodCode === CASH_METHOD ? await lockOpenDrawer(tx, request.merchantId) : undefined;
      const { decision, session } = planRefund(row, drawer, request.amountMinor, this.clock);
      const now = decision.payment.updatedAt;
      const payment = await writePayment(tx, row, decision);
      const [refund] = await tx
        .insert(paymentRefunds)
        .values({
          id: request.refundId,
          paymentId: row.id,
          merchantId: row.merchantId,
          amountMinor: request.amountMinor,
          currency: row.currency,
          // Cash leaves the drawer in this very transaction: nothing is left to confirm.
          status: session ? 'succeeded' : 'requested',
          reason: request.reason,
          drawerSessionId: session ? drawer!.id : null,
          createdAt: now,
          updatedAt: now,
        })
        .returning();
      if (!session) return { payment, refund: refundOf(refund!), drawer: null, existing: false };
      const updated = await writeDrawer(tx, drawer!, session, now);
      await tx.insert(cashDrawerMovements).values({
        sessionId: drawer!.id,
        direction: 'out',
        amountMinor: request.amountMinor,
        paymentId: row.id,
        refundId: refund!.id,
        note: request.reason,
        at: now,
      });
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
      .where(and(eq(payments.id, paymentId), eq(payments.merchantId, merchantId)));
  }

  async claimRefund(merchantId: string, refundId: string) {
    await this.prepared;
    const now = this.now();
    const [row] = await this.db
      .update(paymentRefunds)
      .set({ status: 'sending', sentAt: now, updatedAt: now })
      .where(
        and(
          eq(paymentRefunds.id, refundId),
          eq(paymentRefunds.merchantId, merchantId),
          eq(paymentRefunds.status, 'requested'),
        ),
      )
      .returning();
    return row ? refundOf(row) : null;
  }

  async finishRefund(merchantId: string, refundId: string, outcome: RefundOutcome) {
    return this.locked(async (tx) => {
      const [refund] = await tx
        .select()
        .from(paymentRefunds)
        .where(and(eq(paymentRefunds.id, refundId), eq(paymentRefunds.merchantId, merchantId)));
      if (!refund) throw new PosRefusal('refund_not_found', `no refund ${refundId}`);
      // The payment's lock serialises every change of its refunds; re-read the refund under it.
      const row = await requirePayment(tx, merchantId, refund.paymentId);
      const [current] = await tx.select().from(paymentRefunds).where(eq(paymentRefunds.id, refundId));
      if (current!.status !== 'sending') {
        throw new PosRefusal('refund_not_requested', `refund ${refundId} is ${current!.status}, not in flight`);
      }
      let payment = paymentOf(row);
      if (outcome.status === 'failed')
        payment = await writePayment(tx, row, planRefundFailure(row, current!.amountMinor, this.clock));
      const [updated] = await tx
        .update(paymentRefunds)
        .set({
          status: outcome.status,
          lastError: outcome.status === 'succeeded' ? null : outcome.error,
          updatedAt: this.now(),
        })
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
      .where(and(eq(paymentRefunds.id, refundId), eq(paymentRefunds.status, 'sending')));
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

  async getRefund(merchantId: string, refundId: string) {
    await this.prepared;
    const [row] = await this.db
      .select()
      .from(paymentRefunds)
      .where(and(eq(paymentRefunds.id, refundId), eq(paymentRefunds.merchantId, merchantId)));
    return row ? refundOf(row) : null;
  }

  async paymentsWithUnsettledRefunds(before: string, limit: number) {
    await this.prepared;
    return this.db
      .selectDistinct({ merchantId: paymentRefunds.merchantId, paymentId: paymentRefunds.paymentId })
      .from(paymentRefunds)
      .where(UNSETTLED(before))
      .limit(limit);
  }

  async openDrawer(session: DrawerSession, openedBy: string | null) {
    await this.prepared;
    // The partial unique index (one open session per merchant) decides between concurrent opens.
    const [row] = await this.db
      .insert(cashDrawerSessions)
      .values(newDrawerRow(session, openedBy))
      .onConflictDoNothing()
      .returning();
    if (!row)
      throw new PosRefusal(
        'drawer_already_open',
        `merchant ${session.merchantId} already has an open cash drawer session`,
      );
    return drawerOf(row);
  }

  async getOpenDrawer(merchantId: string) {
    await this.prepared;
    const [row] = await this.db
      .select()
      .from(cashDrawerSessions)
      .where(and(eq(cashDrawerSessions.merchantId, merchantId), isNull(cashDrawerSessions.closedAt)));
    return row ? drawerOf(row) : null;
  }

  async getDrawer(merchantId: string, sessionId: string) {
    await this.prepared;
    const [row] = await this.db
      .select()
      .from(cashDrawerSessions)
      .where(and(eq(cashDrawerSessions.id, sessionId), eq(cashDrawerSessions.merchantId, merchantId)));
    return row ? drawerOf(row) : null;
  }

  async listDrawers(merchantId: string, limit: number) {
    await this.prepared;
    const rows = await this.db
      .select()
      .from(cashDrawerSessions)
      .where(eq(cashDrawerSessions.merchantId, merchantId))
      .orderBy(desc(cashDrawerSessions.openedAt), desc(cashDrawerSessions.id))
      .limit(limit);
    return rows.map(drawerOf);
  }

  async recordDrawerCash(merchantId: string, direction: 'in' | 'out', cash: Money, note: string | null) {
    return this.locked(async (tx) => {
      const drawer = await requireOpenDrawer(tx, merchantId);
      const session = drawerCash(drawerSessionOf(drawer), direction, cash);
      const now = this.now();
      const updated = await writeDrawer(tx, drawer, session, now);
      await tx.insert(cashDrawerMovements).values({
        sessionId: drawer.id,
        direction,
        amountMinor: cash.amountMinor,
        paymentId: null,
        refundId: null,
        note,
        at: now,
      });
      return updated;
    });
  }

  async closeDrawer(merchantId: string, counted: Money, closedBy: string | null) {
    return this.locked(async (tx) => {
      const drawer = await requireOpenDrawer(tx, merchantId);
      const now = this.clock.now();
      const session = drawerClose(drawerSessionOf(drawer), counted, now);
      return writeDrawer(tx, drawer, session, now.toISOString(), { closedBy });
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

  async claimIdempotencyKey(claim: IdempotencyClaimRequest): Promise<IdempotencyClaim> {
    await this.prepared;
    for (let attempt = 0; attempt < MAX_RETRIES; attempt++) {
      // The INSERT is the claim: of two concurrent requests with one key, the unique index lets one in.
      const [inserted] = await this.db
        .insert(idempotencyKeys)
        .values({
          merchantId: claim.scope,
          key: claim.key,
          requestHash: claim.requestHash,
          state: 'in_flight',
          lockedUntil: claim.lockedUntil,
          createdAt: claim.now,
          expiresAt: claim.expiresAt,
        })
        .onConflictDoNothing()
        .returning({ id: idempotencyKeys.id });
      if (inserted) return { outcome: 'claimed' };
      const outcome = await this.locked(async (tx): Promise<IdempotencyClaim | null> => {
        const [row] = await tx
          .select()
          .from(idempotencyKeys)
          .where(and(eq(idempotencyKeys.merchantId, claim.scope), eq(idempotencyKeys.key, claim.key)))
          .for('update');
        // Released between our INSERT and this read: claim again.
        if (!row) return null;
        if (!claimLapsed(row, claim.now)) return claimOutcomeOf(row, claim.requestHash);
        await tx
          .update(idempotencyKeys)
          .set({
            requestHash: claim.requestHash,
            state: 'in_flight',
            responseStatus: null,
            responseBody: null,
            responseContentType: null,
            lockedUntil: claim.lockedUntil,
            createdAt: claim.now,
            expiresAt: claim.expiresAt,
          })
          .where(eq(idempotencyKeys.id, row.id));
        return { outcome: 'claimed' };
      });
      if (outcome) return outcome;
    }
    return { outcome: 'in_flight' };
  }

  async completeIdempotencyKey(scope: string, key: string, response: StoredResponse) {
    await this.prepared;
    await this.db
      .update(idempotencyKeys)
      .set({
        state: 'done',
        responseStatus: response.status,
        responseBody: response.body,
        responseContentType: response.contentType,
        lockedUntil: null,
      })
      .where(
        and(
          eq(idempotencyKeys.merchantId, scope),
          eq(idempotencyKeys.key, key),
          eq(idempotencyKeys.state, 'in_flight'),
        ),
      );
  }

  async releaseIdempotencyKey(scope: string, key: string) {
    await this.prepared;
    await this.db
      .delete(idempotencyKeys)
      .where(
        and(
          eq(idempotencyKeys.merchantId, scope),
          eq(idempotencyKeys.key, key),
          eq(idempotencyKeys.state, 'in_flight'),
        ),
      );
  }

  async purgeIdempotencyKeys(now: string) {
    await this.prepared;
    const deleted = await this.db
      .delete(idempotencyKeys)
      .where(lte(idempotencyKeys.expiresAt, now))
      .returning({ id: idempotencyKeys.id });
    return deleted.length;
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
    .where(and(eq(payments.id, paymentId), eq(payments.merchantId, merchantId)))
    .for('update');
  return row;
}

async function requirePayment(tx: Tx, merchantId: string, paymentId: string) {
  const row = await lockPayment(tx, merchantId, paymentId);
  if (!row) throw new PosRefusal('payment_not_found', `no payment with id ${paymentId}`);
  return row;
}

async function lockOpenDrawer(tx: Tx, merchantId: string) {
  const [row] = await tx
    .select()
    .from(cashDrawerSessions)
    .where(and(eq(cashDrawerSessions.merchantId, merchantId), isNull(cashDrawerSessions.closedAt)))
    .for('update');
  return row;
}

async function requireOpenDrawer(tx: Tx, merchantId: string) {
  const row = await lockOpenDrawer(tx, merchantId);
  if (!row) throw new PosRefusal('drawer_not_open', `merchant ${merchantId} has no open cash drawer session`);
  return row;
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
    .where(and(eq(payments.id, row.id), eq(payments.version, row.version)))
    .returning();
  if (!written) throw new Error(`payment ${row.id} changed underneath a locked transaction`);
  return paymentOf(written);
}

async function writeDrawer(
  tx: Tx,
  row: typeof cashDrawerSessions.$inferSelect,
  session: DrawerSession,
  now: string,
  extra: { closedBy?: string | null } = {},
) {
  const [written] = await tx
    .update(cashDrawerSessions)
    .set({ ...drawerColumnsOf(session, row.version + 1, now), ...extra })
    .where(and(eq(cashDrawerSessions.id, row.id), eq(cashDrawerSessions.version, row.version)))
    .returning();
  if (!written) throw new Error(`drawer session ${row.id} changed underneath a locked transaction`);
  return drawerOf(written);
}

/** The SQLSTATE of a pg error, also when drizzle wrapped it (DrizzleQueryError keeps it as the cause). */
function sqlStateOf(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
  }
  return undefined;
}

/** A refund left in flight by its sender, or recorded and never claimed, before `before`. */
const UNSETTLED = (before: string) =>
  or(
    and(eq(paymentRefunds.status, 'sending'), lte(paymentRefunds.sentAt, before)),
    and(eq(paymentRefunds.status, 'requested'), lte(paymentRefunds.createdAt, before)),
  );
