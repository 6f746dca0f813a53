import { z } from 'zod';
import { moneySchema, type Money } from '../money.js';

export const orderStatuses = [
  'created',
  'pending',
  'paid',
  'make_pending',
  'successful',
  'manual_make',
  'make_failed',
  'not_paid',
  'failed',
  'expired',
  'requires_manual_review',
  'refunded',
] as const;

export type OrderStatus = (typeof orderStatuses)[number];

export const terminalStatuses: readonly OrderStatus[] = [
  'successful',
  'manual_make',
  'make_failed',
  'not_paid',
  'failed',
  'expired',
  'requires_manual_review',
  'refunded',
];

export function isTerminal(status: OrderStatus): boolean {
  return terminalStatuses.includes(status);
}

export const orderStatusSchema = z.enum(orderStatuses);

export const failureReasonSchema = z.enum([
  /** Only on orders failed before rule 3 changed: an unanswered check no longer fails an order. */
  'check_attempts_exhausted',
  'waiting_for_capture',
  'make_rejected',
  'device_failed',
]);

/** Why an order failed, so the user-facing text can say something useful. */
export type FailureReason = z.infer<typeof failureReasonSchema>;

const instant = z.iso.datetime();

/** The order as the machine keeps it; also the shape checked when a stored snapshot is restored. */
export const orderContextSchema = z.object({
  orderId: z.string().min(1),
  deviceId: z.string().min(1),
  productId: z.string().min(1),
  productName: z.string(),
  size: z.string(),
  price: moneySchema,
  provider: z.string().min(1),
  customerEmail: z.email().optional(),
  createdAt: instant,
  expiresAt: instant,
  paymentStartedAt: instant.nullable(),
  nextCheckAt: instant.nullable(),
  lastCheckAt: instant.nullable(),
  /** Every status check made by the poller, answered or not. */
  checkAttempts: z.number().int().nonnegative(),
  /** Checks in a row that got no answer; rule 3 backs off and alerts on this count, never fails. */
  failedChecks: z.number().int().nonnegative(),
  failureReason: failureReasonSchema.nullable(),
  failedPresentationDesc: z.string().nullable(),
  providerPaymentId: z.string().nullable(),
  stuckAlerted: z.boolean(),
  /**
   * Rule 5's late-money re-checks of an order that ended without money: when the next is due,
   * how many were made, and when the order ended (the window counts from there). Defaults let
   * snapshots written before these fields existed restore unchanged.
   */
  recheckAt: instant.nullable().default(null),
  lateChecks: z.number().int().nonnegative().default(0),
  noMoneySince: instant.nullable().default(null),
});

export type OrderContext = z.infer<typeof orderContextSchema>;

export type PaymentObservationStatus = 'pending' | 'succeeded' | 'canceled' | 'waiting_for_capture';

export type ObservationSource = 'poll' | 'webhook' | 'operator';

/** What the outside world tells an order; `decide` stamps each with the clock's `now`. */
export type OrderInput =
  | { type: 'PAYMENT_INITIATED'; providerPaymentId: string }
  | {
      type: 'PAYMENT_OBSERVED';
      source: ObservationSource;
      status: PaymentObservationStatus;
      amount: Money;
      /** An operator's "verify now": who asked and why, for the audit row. */
      operator?: string;
      note?: string;
    }
  | { type: 'CHECK_FAILED'; reason: string }
  | { type: 'EXPIRY_DUE' }
  | { type: 'STUCK_DETECTED' }
  | { type: 'MAKE_ACCEPTED' }
  | { type: 'MAKE_REJECTED'; reason: string }
  | { type: 'DEVICE_REPORTED'; result: 'made' | 'failed' }
  | { type: 'REFUND_FAILED'; reason: string }
  | { type: 'OPERATOR_MARK_MADE'; operator: string; note?: string }
  | { type: 'OPERATOR_REFUND'; operator: string; note?: string }
  | { type: 'OPERATOR_RESOLVE'; operator: string; note?: string };

export type OrderEvent = OrderInput & { now: string };

export type OrderEventType = OrderInput['type'];

export const operatorEventTypes = ['OPERATOR_MARK_MADE', 'OPERATOR_REFUND', 'OPERATOR_RESOLVE'] as const;

export type AlertKind =
  | 'amount_mismatch'
  | 'manual_make'
  | 'make_failed'
  /** Kept for orders failed under the old rule 3; no longer raised. */
  | 'check_attempts_exhausted'
  /** PAYMENT_ATTEMPTS_LIMIT checks in a row got no answer; the order stays pending and is still checked. */
  | 'provider_unreachable'
  | 'refund_failed'
  /** A refund whose outcome is unknown and cannot be read back from the provider: an operator must look. */
  | 'refund_review'
  | 'waiting_for_capture'
  | 'stuck'
  /** A merchant's OAuth-connected provider account could not be renewed: it stops working when its token expires. */
  | 'provider_account_renewal_failed';

export type CustomerNotice =
  | 'successful'
  | 'not_paid'
  | 'failed'
  | 'expired'
  | 'make_failed'
  | 'refunded'
  /** The payment came too late for the machine: staff make the order by hand. */
  | 'manual_make';

/** Work the core asks adapters to do after the transition is committed. */
export type Effect =
  | {
      type: 'MAKE_COMMAND';
      deviceId: string;
      orderId: string;
      productId: string;
      size: string;
      price: Money;
    }
  | { type: 'ALERT'; kind: AlertKind; orderId: string; details: Record<string, unknown> }
  | { type: 'NOTIFY_CUSTOMER'; kind: CustomerNotice; orderId: string }
  | { type: 'REFUND'; orderId: string; providerPaymentId: string | null; amount: Money };

export interface NewOrder {
  orderId: string;
  deviceId: string;
  productId: string;
  productName: string;
  size: string;
  price: Money;
  provider: string;
  /** Where confirmations go (ticket sales); orders at a machine have none. */
  customerEmail?: string;
}
