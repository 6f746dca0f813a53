import type { OrderContext } from '@paystate/core';
import { snakeCaseKeys } from '../snake-case.js';
import type { Ticket } from '../tickets/store.js';
import type { AuditRow, OrderRecord } from './store.js';

// The JSON the operator's order routes answer (and `paystate orders list|show --json` prints):
// snake_case, like every answer of the API (docs/architecture.md section 4, JSON convention).

/** The order as the machine keeps it, field by field. */
export function orderFieldsView(order: OrderContext) {
  return {
    order_id: order.orderId,
    device_id: order.deviceId,
    product_id: order.productId,
    product_name: order.productName,
    size: order.size,
    price: { amount_minor: order.price.amountMinor, currency: order.price.currency },
    provider: order.provider,
    customer_email: order.customerEmail ?? null,
    created_at: order.createdAt,
    expires_at: order.expiresAt,
    payment_started_at: order.paymentStartedAt,
    next_check_at: order.nextCheckAt,
    last_check_at: order.lastCheckAt,
    check_attempts: order.checkAttempts,
    failed_checks: order.failedChecks,
    failure_reason: order.failureReason,
    failed_presentation_desc: order.failedPresentationDesc,
    provider_payment_id: order.providerPaymentId,
    stuck_alerted: order.stuckAlerted,
    recheck_at: order.recheckAt,
    late_checks: order.lateChecks,
    no_money_since: order.noMoneySince,
  };
}

/** One row of `GET /v1/admin/orders`: the status beside the order's fields. */
export function orderListView(record: Pick<OrderRecord, 'status' | 'version' | 'merchantId' | 'order'>) {
  return {
    status: record.status,
    version: record.version,
    merchant_id: record.merchantId,
    ...orderFieldsView(record.order),
  };
}

/** One audit row; its payload (the event as the machine got it) with snake_case keys too. */
export function auditEventView(row: AuditRow) {
  return {
    id: row.id,
    order_id: row.orderId,
    from: row.from,
    to: row.to,
    event: row.event,
    source: row.source,
    at: row.at,
    applied: row.applied,
    payload: snakeCaseKeys(row.payload) as Record<string, unknown>,
  };
}

export function ticketView(ticket: Ticket) {
  return {
    id: ticket.id,
    order_id: ticket.orderId,
    event_id: ticket.eventId,
    ticket_type: ticket.ticketType,
    holder_email: ticket.holderEmail,
    issued_at: ticket.issuedAt,
    mailed_at: ticket.mailedAt,
  };
}

/** `GET /v1/admin/orders/:id`: the order, its audit trail and, for ticket sales, its ticket. */
export function orderDetailView(record: OrderRecord, events: AuditRow[], ticket: Ticket | null) {
  return {
    status: record.status,
    version: record.version,
    merchant_id: record.merchantId,
    order: orderFieldsView(record.order),
    events: events.map(auditEventView),
    ticket: ticket === null ? null : ticketView(ticket),
  };
}

export type OrderListView = ReturnType<typeof orderListView>;
export type OrderDetailView = ReturnType<typeof orderDetailView>;
