import type { DrawerSession, Money, PaymentDecision, PaymentInput, PaymentMethod, PaymentStatus } from '@paystate/core';
import type { StoreLifecycle } from '../db/lifecycle.js';

/** The code of the method that needs no provider: a cashier takes the money into the drawer. */
export const CASH_METHOD = 'cash';

/** The till of a merchant that names none: a single-till set-up has only this one (the column's default). */
export const MAIN_TILL = 'main';

/** "merchant m1 has no open cash drawer session", naming the till unless it is the main one. */
export function noOpenDrawerMessage(merchantId: string, tillId: string = MAIN_TILL): string {
  return `merchant ${merchantId} has no open cash drawer session${onTill(tillId)}`;
}

/** " on till bar"; nothing for the main till, so single-till set-ups read as before tills. */
export function onTill(tillId: string): string {
  return tillId === MAIN_TILL ? '' : ` on till ${tillId}`;
}

export interface PaymentMethodRecord extends PaymentMethod {
  id: string;
  /** The merchant's provider account payments through this method use; null for the environment account. */
  accountId: string | null;
  createdAt: string;
  updatedAt: string;
}

export type PaymentMethodPatch = Partial<
  Pick<PaymentMethod, 'displayName' | 'active' | 'sortOrder' | 'publicConfig'> & { accountId: string | null }
>;

export interface PaymentRecord {
  paymentId: string;
  merchantId: string;
  methodCode: string;
  /** The provider account the payment was started with; checks and refunds use the same one. */
  providerAccountId: string | null;
  amount: Money;
  status: PaymentStatus;
  refundedMinor: number;
  description: string;
  providerPaymentId: string | null;
  confirmationUrl: string | null;
  failureReason: string | null;
  drawerSessionId: string | null;
  /** Provider payments only: when the poller asks next (null once settled), the lifetime, unanswered checks in a row. */
  nextCheckAt: string | null;
  expiresAt: string | null;
  failedChecks: number;
  version: number;
  createdAt: string;
  updatedAt: string;
}

/** A provider payment's place in the poller's schedule. */
export interface PaymentSchedule {
  nextCheckAt: string;
  expiresAt: string;
}

/**
 * requested: written, never sent; sending: claimed by exactly one caller, which sent it (its
 * outcome is unknown until settled, by the answer or by reading the provider back); review:
 * unknown and unreadable, an operator decides (its amount stays counted as refunded).
 */
export type RefundStatus = 'requested' | 'sending' | 'succeeded' | 'failed' | 'review';

export type RefundOutcome =
  { status: 'succeeded' } | { status: 'failed'; error: string } | { status: 'review'; error: string };

export interface RefundRecord {
  refundId: string;
  paymentId: string;
  merchantId: string;
  amount: Money;
  status: RefundStatus;
  reason: string | null;
  lastError: string | null;
  drawerSessionId: string | null;
  /** Who asked for it (the API key's label, or the operator ADMIN_TOKEN or the CLI named); null before it was recorded. */
  requestedBy: string | null;
  sentAt: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface DrawerRecord extends DrawerSession {
  /** The till this session is of; a merchant has at most one open session per till. */
  tillId: string;
  openedBy: string | null;
  closedBy: string | null;
  /** What the cashier noted on closing (a variance explained); null when none was given. */
  closeNote: string | null;
  version: number;
  updatedAt: string;
}

export interface DrawerMovement {
  id: number;
  sessionId: string;
  direction: 'in' | 'out';
  amountMinor: number;
  paymentId: string | null;
  refundId: string | null;
  note: string | null;
  at: string;
}

export interface PaymentFilter {
  status?: PaymentStatus;
  createdBefore?: string;
  limit: number;
}

export interface PaymentColumns {
  providerPaymentId?: string;
  confirmationUrl?: string;
}

export interface RefundRequest {
  merchantId: string;
  paymentId: string;
  refundId: string;
  amountMinor: number;
  reason: string | null;
  /** A cash refund: the till the cash comes out of (its open session); MAIN_TILL when absent. Ignored for providers. */
  tillId?: string;
  /** Who asks for it (recorded as requested_by). */
  requestedBy?: string | null;
}

/** Why the POS refused an operation; the HTTP layer turns the code into a status. */
export type PosRefusalCode =
  | 'method_exists'
  | 'payment_not_found'
  | 'refund_not_found'
  | 'payment_not_cash'
  | 'payment_not_confirmable'
  | 'payment_not_refundable'
  | 'refund_exceeds_refundable'
  | 'refund_not_requested'
  | 'idempotency_key_reused'
  | 'drawer_not_open'
  | 'drawer_already_open'
  | 'drawer_refused';

export class PosRefusal extends Error {
  override readonly name = 'PosRefusal';
  constructor(
    readonly code: PosRefusalCode,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Persistence of the restaurant POS, beside the order Store, on the same database, split by
 * concern so that a consumer depends on what it uses; one adapter per dialect (store.sqlite.ts,
 * store.pg.ts) implements them all as `PosStore`. Payment changes load the stored Payment machine
 * snapshot, decide with the core (decidePayment, the drawer functions) and write everything that
 * belongs together in one transaction (SQLite BEGIN IMMEDIATE, PostgreSQL SELECT … FOR UPDATE);
 * no network I/O happens inside one. Refusals throw PosRefusal and write nothing.
 */

/** A merchant's payment methods, one per provider. */
export interface PaymentMethodStore {
  /** Throws PosRefusal('method_exists') when the merchant already has a method of that provider. */
  createMethod(method: PaymentMethod & { accountId?: string | null }): Promise<PaymentMethodRecord>;
  updateMethod(
    merchantId: string,
    providerCode: string,
    patch: PaymentMethodPatch,
  ): Promise<PaymentMethodRecord | null>;
  deleteMethod(merchantId: string, providerCode: string): Promise<boolean>;
  getMethod(merchantId: string, providerCode: string): Promise<PaymentMethodRecord | null>;
  listMethods(merchantId: string): Promise<PaymentMethodRecord[]>;
}

/** POS payments: their machine, their provider start lease and the poller's schedule. */
export interface PosPaymentStore {
  /** A provider payment comes with its schedule (the poller checks it); cash has none. */
  insertPayment(
    created: PaymentDecision,
    description: string,
    schedule?: PaymentSchedule,
    providerAccountId?: string | null,
  ): Promise<PaymentRecord>;
  /**
   * Provider payments still open (pending, processing) of these methods whose check is due,
   * oldest due first; each is leased by moving its next check to `leaseUntil` (compare-and-set),
   * so two pollers never check one payment in the same cycle.
   */
  claimDuePayments(
    now: string,
    leaseUntil: string,
    methodCodes: readonly string[],
    limit: number,
  ): Promise<PaymentRecord[]>;
  /** The next check of a payment still open, and its unanswered checks in a row; a settled payment is left alone. */
  schedulePaymentCheck(
    merchantId: string,
    paymentId: string,
    next: { nextCheckAt: string; failedChecks: number },
  ): Promise<void>;
  getPayment(merchantId: string, paymentId: string): Promise<PaymentRecord | null>;
  /** The POS payment a provider notification is about, if it is one. */
  findPaymentByProvider(methodCode: string, providerPaymentId: string): Promise<PaymentRecord | null>;
  listPayments(merchantId: string, filter: PaymentFilter): Promise<PaymentRecord[]>;
  /** Payments created in [from, to) (ISO instants), newest first, at most `limit` (the console's list of a day). */
  listPaymentsCreated(merchantId: string, from: string, to: string, limit: number): Promise<PaymentRecord[]>;
  /** Applies the events in order in one transaction; `changed` is false when none applied. Null: no such payment. */
  applyPaymentEvents(
    merchantId: string,
    paymentId: string,
    inputs: readonly PaymentInput[],
    columns?: PaymentColumns,
  ): Promise<{ payment: PaymentRecord; changed: boolean } | null>;
  /**
   * A cashier took the cash: pending -> processing -> success, and the amount into the till's
   * open session (MAIN_TILL when none is named), together.
   */
  confirmCashPayment(
    merchantId: string,
    paymentId: string,
    tillId?: string,
  ): Promise<{ payment: PaymentRecord; drawer: DrawerRecord }>;
  /**
   * Leases the provider start of a `pending` payment that has no provider payment yet to one
   * caller until `leaseUntil`: a single provider payment per POS payment. False: another caller
   * holds it, or it was started already.
   */
  claimPaymentStart(merchantId: string, paymentId: string, now: string, leaseUntil: string): Promise<boolean>;
  /** Gives the lease back after a provider call that created nothing for certain. */
  releasePaymentStart(merchantId: string, paymentId: string): Promise<void>;
}

/** Refunds as money movements: recorded and counted first, sent by exactly one caller, settled. */
export interface PosRefundStore {
  /**
   * Records a refund and counts it on the payment before any provider is called (the machine
   * refuses one beyond captured minus refunded). A cash refund is final at once and takes the
   * cash out of the open session of the request's till in the same transaction; any other stays
   * `requested`.
   *
   * The same refund id again (a retried request with its Idempotency-Key) writes nothing and
   * answers the existing refund with `existing: true`; the id on another payment or amount is
   * refused (idempotency_key_reused).
   */
  requestRefund(
    request: RefundRequest,
  ): Promise<{ payment: PaymentRecord; refund: RefundRecord; drawer: DrawerRecord | null; existing: boolean }>;
  /**
   * requested -> sending, compare-and-set, committed before the provider is called: exactly one
   * caller gets the refund back and may send it; everyone else gets null.
   */
  claimRefund(merchantId: string, refundId: string): Promise<RefundRecord | null>;
  /** sending -> succeeded, -> failed (the machine gets the amount back, REFUND_FAILED) or -> review (it stays counted). */
  finishRefund(
    merchantId: string,
    refundId: string,
    outcome: RefundOutcome,
  ): Promise<{ payment: PaymentRecord; refund: RefundRecord }>;
  /** A refund whose outcome is unknown (timeout) stays sending; the error is kept for the operator. */
  noteRefundError(refundId: string, error: string): Promise<void>;
  listRefunds(merchantId: string, paymentId: string): Promise<RefundRecord[]>;
  /** The refunds of these payments of the merchant, oldest first (one read for a list of payments). */
  refundsOfPayments(merchantId: string, paymentIds: readonly string[]): Promise<RefundRecord[]>;
  getRefund(merchantId: string, refundId: string): Promise<RefundRecord | null>;
  /**
   * Payments with a refund nobody settled: `sending` since before `before` (its sender died or
   * lost the answer) or `requested` since before it (a crash between recording and claiming).
   */
  paymentsWithUnsettledRefunds(before: string, limit: number): Promise<{ merchantId: string; paymentId: string }[]>;
}

/**
 * The cash drawer: each of a merchant's tills (by till id) has at most one open session, and
 * every movement of cash in or out of it. An operation that names no till is about MAIN_TILL.
 */
export interface DrawerStore {
  /** Throws PosRefusal('drawer_already_open') when the merchant has an open session on that till. */
  openDrawer(session: DrawerSession, openedBy: string | null, tillId?: string): Promise<DrawerRecord>;
  getOpenDrawer(merchantId: string, tillId?: string): Promise<DrawerRecord | null>;
  getDrawer(merchantId: string, sessionId: string): Promise<DrawerRecord | null>;
  /** Newest first; every till's, or one till's. */
  listDrawers(merchantId: string, limit: number, tillId?: string): Promise<DrawerRecord[]>;
  /** Cash the cashier puts in or takes out by hand (float, pay-outs), into the till's open session. */
  recordDrawerCash(
    merchantId: string,
    direction: 'in' | 'out',
    cash: Money,
    note: string | null,
    tillId?: string,
  ): Promise<DrawerRecord>;
  /** Closes the till's open session with the counted cash and, optionally, the cashier's note. */
  closeDrawer(
    merchantId: string,
    counted: Money,
    closedBy: string | null,
    tillId?: string,
    note?: string | null,
  ): Promise<DrawerRecord>;
  drawerMovements(sessionId: string): Promise<DrawerMovement[]>;
}

/**
 * Sums of a merchant's money by method and currency over [from, to), counted by the database:
 * `totalMinor` is the exact sum as a decimal integer string (never a float), for BigInt.
 */
export interface PosTotals {
  methodCode: string;
  currency: string;
  count: number;
  totalMinor: string;
}

/** The daily report's reads (docs/pos.md, daily report). */
export interface PosReportStore {
  /** Captured sales (success, partially_refunded, refunded) created in [from, to). */
  salesTotals(merchantId: string, from: string, to: string): Promise<PosTotals[]>;
  /** Succeeded refunds recorded in [from, to), under their payment's method (whatever day it was sold). */
  refundTotals(merchantId: string, from: string, to: string): Promise<PosTotals[]>;
}

/** The payment statuses whose amount was captured: what a report counts as sold. */
export const CAPTURED_STATUSES = [
  'success',
  'partially_refunded',
  'refunded',
] as const satisfies readonly PaymentStatus[];

/** Everything the POS persists, on one database. */
export type PosStore = StoreLifecycle &
  PaymentMethodStore &
  PosPaymentStore &
  PosRefundStore &
  DrawerStore &
  PosReportStore;
