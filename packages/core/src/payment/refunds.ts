/**
 * Settling refunds whose outcome is unknown (docs/architecture.md section 9) by what the provider says it has
 * refunded, never by sending them again.
 *
 * Invariants:
 * - A refund is only `succeeded` when the provider's refunded total covers it on top of every
 *   refund already recorded as succeeded (oldest unknown first).
 * - A refund is only `failed` (did not happen) when the provider shows nothing beyond what is
 *   recorded AND the refund was sent more than `graceMs` ago: one still in flight at the
 *   provider is not yet on its books.
 * - Anything that does not add up (part of a refund, less than recorded) is `review`, never a guess.
 */

export interface UnknownRefund {
  refundId: string;
  amountMinor: number;
  /** When it was claimed for sending (ISO instant). */
  sentAt: string;
}

export type RefundVerdict = 'succeeded' | 'failed' | 'review' | 'wait';

export interface RefundReadBack {
  /** What the provider reports as refunded on the payment, in minor units. */
  providerRefundedMinor: number;
  /** The refunds paystate already recorded as succeeded on it. */
  recordedMinor: number;
  /** Oldest first. */
  unknown: readonly UnknownRefund[];
  now: Date;
  graceMs: number;
}

/**
 * Returns a verdict per unknown refund and the provider's refunded money nobody accounts for;
 * a pure function of the read-back.
 * @example settleUnknownRefunds({ providerRefundedMinor: 1000, recordedMinor: 0, unknown: [{ refundId: 'r', amountMinor: 1000, sentAt }], now, graceMs: 60_000 })
 *   // { verdicts: [{ refundId: 'r', verdict: 'succeeded' }], unaccountedMinor: 0 }
 */
export function settleUnknownRefunds(readBack: RefundReadBack): {
  verdicts: { refundId: string; verdict: RefundVerdict }[];
  unaccountedMinor: number;
} {
  let surplus = readBack.providerRefundedMinor - readBack.recordedMinor;
  const shortfall = surplus < 0;
  const verdicts = readBack.unknown.map(({ refundId, amountMinor, sentAt }) => {
    let verdict: RefundVerdict;
    if (shortfall) verdict = 'review';
    else if (surplus >= amountMinor) {
      verdict = 'succeeded';
      surplus -= amountMinor;
    } else if (surplus === 0) {
      verdict = Date.parse(sentAt) + readBack.graceMs <= readBack.now.getTime() ? 'failed' : 'wait';
    } else verdict = 'review';
    return { refundId, verdict };
  });
  return { verdicts, unaccountedMinor: shortfall ? 0 : Math.max(surplus, 0) };
}
