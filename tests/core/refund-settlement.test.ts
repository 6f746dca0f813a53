import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { settleUnknownRefunds } from '@paystate/core';

// docs/architecture.md section 9: unknown refunds are settled by the provider's refunded total, never by a guess.
const now = new Date('2026-12-01T10:00:00.000Z');
const ago = (ms: number) => new Date(now.getTime() - ms).toISOString();
const GRACE = 60_000;

describe('settleUnknownRefunds', () => {
  it('covered on the provider books: succeeded, oldest first; absent within the grace: wait; absent after it: failed', () => {
    const unknown = [
      { refundId: 'a', amountMinor: 1_000, sentAt: ago(120_000) },
      { refundId: 'b', amountMinor: 500, sentAt: ago(1_000) },
      { refundId: 'c', amountMinor: 700, sentAt: ago(120_000) },
    ];
    const { verdicts, unaccountedMinor } = settleUnknownRefunds({
      providerRefundedMinor: 3_000,
      recordedMinor: 2_000,
      unknown,
      now,
      graceMs: GRACE,
    });
    expect(verdicts.map((v) => v.verdict)).toEqual(['succeeded', 'wait', 'failed']);
    expect(unaccountedMinor).toBe(0);
  });

  it('part of a refund, or less than recorded: review; more than everything: unaccounted', () => {
    const one = [{ refundId: 'a', amountMinor: 1_000, sentAt: ago(120_000) }];
    expect(
      settleUnknownRefunds({ providerRefundedMinor: 400, recordedMinor: 0, unknown: one, now, graceMs: GRACE })
        .verdicts[0]!.verdict,
    ).toBe('review');
    expect(
      settleUnknownRefunds({ providerRefundedMinor: 100, recordedMinor: 500, unknown: one, now, graceMs: GRACE })
        .verdicts[0]!.verdict,
    ).toBe('review');
    expect(
      settleUnknownRefunds({ providerRefundedMinor: 2_500, recordedMinor: 0, unknown: one, now, graceMs: GRACE }),
    ).toMatchObject({ unaccountedMinor: 1_500 });
  });

  it('never settles as succeeded more than the provider refunded beyond what is recorded (property)', () => {
    fc.assert(
      fc.property(
        fc.nat(100_000),
        fc.nat(100_000),
        fc.array(fc.record({ amountMinor: fc.integer({ min: 1, max: 20_000 }), ageMs: fc.nat(200_000) }), {
          maxLength: 8,
        }),
        (providerRefundedMinor, recordedMinor, refunds) => {
          const unknown = refunds.map((r, i) => ({
            refundId: `r${i}`,
            amountMinor: r.amountMinor,
            sentAt: ago(r.ageMs),
          }));
          const { verdicts } = settleUnknownRefunds({
            providerRefundedMinor,
            recordedMinor,
            unknown,
            now,
            graceMs: GRACE,
          });
          const succeeded = verdicts.reduce(
            (sum, v, i) => sum + (v.verdict === 'succeeded' ? unknown[i]!.amountMinor : 0),
            0,
          );
          expect(recordedMinor + succeeded).toBeLessThanOrEqual(Math.max(providerRefundedMinor, recordedMinor));
          verdicts.forEach((v, i) => {
            if (v.verdict === 'failed') expect(refunds[i]!.ageMs).toBeGreaterThanOrEqual(GRACE);
          });
        },
      ),
    );
  });
});
