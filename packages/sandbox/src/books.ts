import type { Money } from '@paystate/core';

/**
 * A sandbox's own books: per provider payment, what the provider took and gave back. The proof
 * harness checks docs/architecture.md section 9's ledger invariant against these, not against paystate's tables.
 *
 * Invariants every sandbox keeps in its books:
 * - `captured` is the payment's amount once the money is taken (final success), else zero; money
 *   only held (an authorisation, YooKassa `waiting_for_capture`) is not captured.
 * - `refunded` only grows, never beyond `captured`; it counts every refund the provider carried
 *   out, whoever asked and however often.
 */
export interface BookEntry {
  /** The provider's payment id (YooKassa payment id, T-Bank PaymentId, SumUp checkout id, ...). */
  paymentId: string;
  /**
   * The merchant's reference the payment carries (YooKassa metadata.order_id, T-Bank OrderId,
   * SumUp checkout_reference, Wave client_reference, MoMo externalId, Orange order_id), or null.
   */
  reference: string | null;
  amount: Money;
  captured: Money;
  refunded: Money;
  /** The provider's own status word, for messages. */
  status: string;
}

/** A sandbox that keeps books. */
export interface KeepsBooks {
  books(): BookEntry[];
}

/** One book entry; `captured` is the amount when `taken`, else zero in the same currency. */
export function bookEntry(
  paymentId: string,
  reference: string | null,
  amount: Money,
  taken: boolean,
  refundedMinor: number,
  status: string,
): BookEntry {
  return {
    paymentId,
    reference,
    amount: { ...amount },
    captured: { amountMinor: taken ? amount.amountMinor : 0, currency: amount.currency },
    refunded: { amountMinor: refundedMinor, currency: amount.currency },
    status,
  };
}
