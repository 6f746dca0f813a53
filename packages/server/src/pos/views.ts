import { expectedMinor, refundableMinor, varianceMinor } from '@paystate/core';
import type { DrawerMovement, DrawerRecord, PaymentMethodRecord, PaymentRecord, RefundRecord } from './store.js';

// The JSON the POS API answers (and `paystate pos … --json` prints): snake_case, amounts in
// minor units with their currency. Expected balance, variance and what is still refundable
// come from the core.

export function methodView(method: PaymentMethodRecord, available: boolean) {
  return {
    provider_code: method.providerCode,
    account_id: method.accountId,
    display_name: method.displayName,
    active: method.active,
    sort_order: method.sortOrder,
    public_config: method.publicConfig,
    /** False when this server has no credentials for the provider: the method is not offered. */
    available,
    created_at: method.createdAt,
    updated_at: method.updatedAt,
  };
}

export function paymentView(payment: PaymentRecord) {
  const captured = payment.status === 'success' || payment.status === 'partially_refunded';
  return {
    payment_id: payment.paymentId,
    merchant_id: payment.merchantId,
    method: payment.methodCode,
    provider_account_id: payment.providerAccountId,
    amount_minor: payment.amount.amountMinor,
    currency: payment.amount.currency,
    status: payment.status,
    refunded_minor: payment.refundedMinor,
    refundable_minor: captured ? refundableMinor(payment) : 0,
    description: payment.description,
    provider_payment_id: payment.providerPaymentId,
    confirmation_url: payment.confirmationUrl,
    failure_reason: payment.failureReason,
    drawer_session_id: payment.drawerSessionId,
    created_at: payment.createdAt,
    updated_at: payment.updatedAt,
  };
}

export function refundView(refund: RefundRecord) {
  return {
    refund_id: refund.refundId,
    payment_id: refund.paymentId,
    amount_minor: refund.amount.amountMinor,
    currency: refund.amount.currency,
    // `sending` is internal (which caller sends it); to clients both are "requested, not settled yet".
    status: refund.status === 'sending' ? 'requested' : refund.status,
    reason: refund.reason,
    last_error: refund.lastError,
    drawer_session_id: refund.drawerSessionId,
    /** Who asked for it: the API key's label (the cashier); null for refunds recorded before it was kept. */
    requested_by: refund.requestedBy,
    created_at: refund.createdAt,
    updated_at: refund.updatedAt,
  };
}

export function drawerView(drawer: DrawerRecord) {
  return {
    session_id: drawer.sessionId,
    merchant_id: drawer.merchantId,
    till_id: drawer.tillId,
    status: drawer.closedAt === null ? ('open' as const) : ('closed' as const),
    currency: drawer.currency,
    opening_minor: drawer.openingMinor,
    cash_in_minor: drawer.cashInMinor,
    cash_out_minor: drawer.cashOutMinor,
    expected_minor: expectedMinor(drawer),
    counted_minor: drawer.countedMinor,
    variance_minor: varianceMinor(drawer),
    opened_at: drawer.openedAt,
    opened_by: drawer.openedBy,
    closed_at: drawer.closedAt,
    closed_by: drawer.closedBy,
    /** The cashier's note on closing; null when none was given (or the session is open). */
    close_note: drawer.closeNote,
  };
}

export function movementView(movement: DrawerMovement) {
  return {
    direction: movement.direction,
    amount_minor: movement.amountMinor,
    payment_id: movement.paymentId,
    refund_id: movement.refundId,
    note: movement.note,
    at: movement.at,
  };
}

export type PaymentView = ReturnType<typeof paymentView>;
export type DrawerView = ReturnType<typeof drawerView>;
