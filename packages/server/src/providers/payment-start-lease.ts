/**
 * How long one caller holds the start of a payment (an order's `pay`, a POS payment's creation)
 * while it asks the provider: the 30 s of every other lease here, far longer than any provider
 * call (each adapter times out after PAYMENT_API_TIMEOUT_S). Only a caller that died mid-call
 * loses it; the next one then re-sends the same idempotency key (docs/architecture.md section 9: one payment
 * attempt in flight).
 */
export const PAYMENT_START_LEASE_MS = 30_000;

export function paymentStartLeaseUntil(now: Date): string {
  return new Date(now.getTime() + PAYMENT_START_LEASE_MS).toISOString();
}
