import { assign, setup } from 'xstate';
import type { Money } from '../money.js';

export const paymentStatuses = [
  'pending',
  'processing',
  'success',
  'failed',
  'expired',
  'partially_refunded',
  'refunded',
  /** The provider reports another amount or currency: nothing is captured here until an operator looks. */
  'requires_manual_review',
] as const;

export type PaymentStatus = (typeof paymentStatuses)[number];

export interface PaymentContext {
  paymentId: string;
  merchantId: string;
  methodCode: string;
  amount: Money;
  refundedMinor: number;
  failureReason: string | null;
  updatedAt: string;
}

export type PaymentInput =
  | { type: 'PROCESS' }
  | { type: 'SUCCEED' }
  | { type: 'FAIL'; reason: string }
  | { type: 'EXPIRE' }
  /** The provider's answer cannot be taken as it is (another amount or currency). */
  | { type: 'REVIEW'; reason: string }
  | { type: 'REFUND'; amountMinor: number }
  /**
   * The provider finally refused a refund that was recorded (and counted) before it was sent:
   * its amount is refundable again. Never more than has been counted as refunded.
   */
  | { type: 'REFUND_FAILED'; amountMinor: number };

export type PaymentEvent = PaymentInput & { now: string };

/** What can still be refunded: never more than was captured, minus earlier refunds. */
export function refundableMinor(context: PaymentContext): number {
  return context.amount.amountMinor - context.refundedMinor;
}

const refundAmount = (event: PaymentEvent): number => (event.type === 'REFUND' ? event.amountMinor : 0);
const failedRefundAmount = (event: PaymentEvent): number => (event.type === 'REFUND_FAILED' ? event.amountMinor : 0);

/**
 * The restaurant POS payment: pending -> processing -> success | failed | expired |
 * requires_manual_review, then refunds. EXPIRE comes from the poller once the payment's lifetime
 * is over and the provider, asked once more, still has no money (or closed it by expiry).
 */
export const paymentMachine = setup({
  types: {
    context: {} as PaymentContext,
    events: {} as PaymentEvent,
    input: {} as Omit<PaymentContext, 'refundedMinor' | 'failureReason' | 'updatedAt'> & { now: string },
  },
  guards: {
    refundsEverything: ({ context, event }) => {
      const amount = refundAmount(event);
      return Number.isSafeInteger(amount) && amount > 0 && amount === refundableMinor(context);
    },
    refundsPart: ({ context, event }) => {
      const amount = refundAmount(event);
      return Number.isSafeInteger(amount) && amount > 0 && amount < refundableMinor(context);
    },
    releasesEverything: ({ context, event }) => {
      const amount = failedRefundAmount(event);
      return Number.isSafeInteger(amount) && amount > 0 && amount === context.refundedMinor;
    },
    releasesPart: ({ context, event }) => {
      const amount = failedRefundAmount(event);
      return Number.isSafeInteger(amount) && amount > 0 && amount < context.refundedMinor;
    },
  },
  actions: {
    touch: assign(({ event }) => ({ updatedAt: event.now })),
    recordRefund: assign(({ context, event }) => ({ refundedMinor: context.refundedMinor + refundAmount(event) })),
    releaseRefund: assign(({ context, event }) => ({
      refundedMinor: context.refundedMinor - failedRefundAmount(event),
    })),
    recordFailure: assign(({ event }) => ({
      failureReason: event.type === 'FAIL' || event.type === 'REVIEW' ? event.reason : null,
    })),
  },
}).createMachine({
  id: 'payment',
  initial: 'pending',
  context: ({ input }) => {
    const { now, ...fields } = input;
    return { ...fields, refundedMinor: 0, failureReason: null, updatedAt: now };
  },
  states: {
    pending: {
      on: {
        PROCESS: { target: 'processing', actions: 'touch' },
        FAIL: { target: 'failed', actions: ['touch', 'recordFailure'] },
        EXPIRE: { target: 'expired', actions: 'touch' },
        REVIEW: { target: 'requires_manual_review', actions: ['touch', 'recordFailure'] },
      },
    },
    processing: {
      on: {
        SUCCEED: { target: 'success', actions: 'touch' },
        FAIL: { target: 'failed', actions: ['touch', 'recordFailure'] },
        EXPIRE: { target: 'expired', actions: 'touch' },
        REVIEW: { target: 'requires_manual_review', actions: ['touch', 'recordFailure'] },
      },
    },
    success: {
      on: {
        REFUND: [
          { guard: 'refundsEverything', target: 'refunded', actions: ['touch', 'recordRefund'] },
          { guard: 'refundsPart', target: 'partially_refunded', actions: ['touch', 'recordRefund'] },
        ],
      },
    },
    partially_refunded: {
      on: {
        REFUND: [
          { guard: 'refundsEverything', target: 'refunded', actions: ['touch', 'recordRefund'] },
          { guard: 'refundsPart', actions: ['touch', 'recordRefund'] },
        ],
        REFUND_FAILED: [
          { guard: 'releasesEverything', target: 'success', actions: ['touch', 'releaseRefund'] },
          { guard: 'releasesPart', actions: ['touch', 'releaseRefund'] },
        ],
      },
    },
    failed: { tags: 'terminal' },
    expired: { tags: 'terminal' },
    requires_manual_review: { tags: 'terminal' },
    // Final, except that a refund the provider refused gives its amount back.
    refunded: {
      on: {
        REFUND_FAILED: [
          { guard: 'releasesEverything', target: 'success', actions: ['touch', 'releaseRefund'] },
          { guard: 'releasesPart', target: 'partially_refunded', actions: ['touch', 'releaseRefund'] },
        ],
      },
    },
  },
});
