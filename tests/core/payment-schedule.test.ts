import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createPayment,
  decidePayment,
  defaultLifecycleConfig as config,
  ManualClock,
  nextPaymentCheckAt,
  paymentLifetimeOver,
} from '@paystate/core';

// Issue 11 path 7: POS provider payments follow the orders' schedule rules; review and expiry are reachable.
const created = '2026-12-01T10:00:00.000Z';
const expiresAt = new Date(Date.parse(created) + config.ORDER_TTL_S * 1000).toISOString();
const at = (s: number) => new Date(Date.parse(created) + s * 1000);
const gapS = (from: Date, iso: string) => (Date.parse(iso) - from.getTime()) / 1000;

describe('nextPaymentCheckAt', () => {
  it('answered: the fast interval within the fast-track limit, then the slow one, never past the expiry', () => {
    expect(
      gapS(at(10), nextPaymentCheckAt({ createdAt: created, expiresAt, failedChecks: 0 }, at(10), config, 0.5)),
    ).toBe(config.FAST_TRACK_INTERVAL_S);
    expect(
      gapS(at(400), nextPaymentCheckAt({ createdAt: created, expiresAt, failedChecks: 0 }, at(400), config, 0.5)),
    ).toBe(config.SLOW_TRACK_INTERVAL_S);
    expect(
      nextPaymentCheckAt({ createdAt: created, expiresAt, failedChecks: 0 }, at(config.ORDER_TTL_S - 10), config, 0),
    ).toBe(expiresAt);
  });

  it('unanswered: backoff tiers up to the slow interval (+20 % jitter at most), also past the expiry (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 50 }),
        fc.nat(3 * config.ORDER_TTL_S),
        fc.double({ min: 0, max: 0.999, noNaN: true }),
        (failedChecks, nowS, jitter) => {
          const gap = gapS(
            at(nowS),
            nextPaymentCheckAt({ createdAt: created, expiresAt, failedChecks }, at(nowS), config, jitter),
          );
          // The orders' tiers (rule 3): the fast interval, doubled per unanswered check in a row, up to the slow one.
          const tier = Math.min(config.FAST_TRACK_INTERVAL_S * 2 ** (failedChecks - 1), config.SLOW_TRACK_INTERVAL_S);
          expect(gap).toBeGreaterThanOrEqual(tier - 0.001);
          expect(gap).toBeLessThanOrEqual(tier * 1.2 + 0.001);
        },
      ),
    );
    expect(paymentLifetimeOver({ expiresAt }, at(config.ORDER_TTL_S))).toBe(true);
    expect(paymentLifetimeOver({ expiresAt }, at(config.ORDER_TTL_S - 1))).toBe(false);
  });
});

describe('the Payment machine: review and expiry', () => {
  const clock = new ManualClock(created);
  const processing = () => {
    const start = createPayment(
      { paymentId: 'p', merchantId: 'm', methodCode: 'wave', amount: { amountMinor: 100, currency: 'XOF' } },
      clock,
    );
    return decidePayment(start.snapshot, { type: 'PROCESS' }, clock).snapshot;
  };

  it('REVIEW moves an open payment to requires_manual_review with its reason; nothing can be refunded or succeed there', () => {
    const review = decidePayment(processing(), { type: 'REVIEW', reason: 'amount_mismatch' }, clock);
    expect(review).toMatchObject({
      status: 'requires_manual_review',
      changed: true,
      payment: { failureReason: 'amount_mismatch' },
    });
    expect(decidePayment(review.snapshot, { type: 'SUCCEED' }, clock).changed).toBe(false);
    expect(decidePayment(review.snapshot, { type: 'REFUND', amountMinor: 100 }, clock).changed).toBe(false);
  });

  it('EXPIRE ends an open payment as expired', () => {
    expect(decidePayment(processing(), { type: 'EXPIRE' }, clock)).toMatchObject({ status: 'expired', changed: true });
  });
});
