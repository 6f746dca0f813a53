import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createPayment, decidePayment, ManualClock, refundableMinor, type PaymentInput } from '@paystate/core';
import { moneyArb } from './support.js';

const clock = new ManualClock('2026-03-01T12:00:00.000Z');
const inputArb: fc.Arbitrary<PaymentInput> = fc.oneof(
  fc.constant({ type: 'PROCESS' as const }),
  fc.constant({ type: 'SUCCEED' as const }),
  fc.constant({ type: 'FAIL' as const, reason: 'declined' }),
  fc.constant({ type: 'EXPIRE' as const }),
  fc.record({
    type: fc.constant('REFUND' as const),
    amountMinor: fc.oneof(fc.integer({ min: -5, max: 20_000_000 }), fc.double()),
  }),
);

describe('POS payment machine', () => {
  it('refunds never exceed the captured amount, and only a captured payment is refunded', () => {
    fc.assert(
      fc.property(moneyArb, fc.array(inputArb, { maxLength: 25 }), (amount, inputs) => {
        let d = createPayment({ paymentId: 'p1', merchantId: 'm1', methodCode: 'wave', amount }, clock);
        for (const input of inputs) {
          const before = d;
          d = decidePayment(d.snapshot, input, clock);
          expect(d.payment.refundedMinor).toBeLessThanOrEqual(amount.amountMinor);
          expect(Number.isSafeInteger(d.payment.refundedMinor)).toBe(true);
          if (d.payment.refundedMinor > before.payment.refundedMinor) {
            expect(['success', 'partially_refunded']).toContain(before.status);
          }
        }
        if (d.status === 'refunded') expect(refundableMinor(d.payment)).toBe(0);
        if (d.status === 'partially_refunded') expect(refundableMinor(d.payment)).toBeGreaterThan(0);
        expect(d.payment.amount).toEqual(amount);
      }),
    );
  });

  it('follows pending -> processing -> success -> partially_refunded -> refunded', () => {
    let d = createPayment(
      { paymentId: 'p2', merchantId: 'm1', methodCode: 'cash', amount: { amountMinor: 1000, currency: 'XOF' } },
      clock,
    );
    const statuses = [d.status];
    for (const input of [
      { type: 'PROCESS' },
      { type: 'SUCCEED' },
      { type: 'REFUND', amountMinor: 300 },
      { type: 'REFUND', amountMinor: 800 },
      { type: 'REFUND', amountMinor: 700 },
    ] as PaymentInput[]) {
      d = decidePayment(d.snapshot, input, clock);
      statuses.push(d.status);
    }
    expect(statuses).toEqual([
      'pending',
      'processing',
      'success',
      'partially_refunded',
      'partially_refunded',
      'refunded',
    ]);
    expect(d.payment.refundedMinor).toBe(1000);
  });

  it('a terminal failure or expiry takes no further events', () => {
    for (const ending of [{ type: 'FAIL', reason: 'x' }, { type: 'EXPIRE' }] as PaymentInput[]) {
      let d = createPayment(
        { paymentId: 'p3', merchantId: 'm1', methodCode: 'mtn_momo', amount: { amountMinor: 500, currency: 'XOF' } },
        clock,
      );
      d = decidePayment(d.snapshot, ending, clock);
      for (const input of [
        { type: 'PROCESS' },
        { type: 'SUCCEED' },
        { type: 'REFUND', amountMinor: 1 },
      ] as PaymentInput[]) {
        expect(decidePayment(d.snapshot, input, clock).changed).toBe(false);
      }
    }
  });

  it('a refused refund gives back exactly what was counted: refunded stays within [0, captured] and the status follows it', () => {
    const refundArb = fc.oneof(fc.integer({ min: -5, max: 2_000 }), fc.double());
    const withReleases: fc.Arbitrary<PaymentInput> = fc.oneof(
      inputArb,
      fc.record({ type: fc.constant('REFUND' as const), amountMinor: refundArb }),
      fc.record({ type: fc.constant('REFUND_FAILED' as const), amountMinor: refundArb }),
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2_000 }),
        fc.array(withReleases, { maxLength: 40 }),
        (amountMinor, inputs) => {
          let d = createPayment(
            { paymentId: 'p4', merchantId: 'm1', methodCode: 'wave', amount: { amountMinor, currency: 'XOF' } },
            clock,
          );
          for (const input of inputs) {
            const before = d;
            d = decidePayment(d.snapshot, input, clock);
            const { refundedMinor } = d.payment;
            expect(refundedMinor).toBeGreaterThanOrEqual(0);
            expect(refundedMinor).toBeLessThanOrEqual(amountMinor);
            if (input.type === 'REFUND_FAILED') {
              const applies =
                ['partially_refunded', 'refunded'].includes(before.status) &&
                Number.isSafeInteger(input.amountMinor) &&
                input.amountMinor > 0 &&
                input.amountMinor <= before.payment.refundedMinor;
              expect(d.changed).toBe(applies);
              expect(refundedMinor).toBe(
                applies ? before.payment.refundedMinor - input.amountMinor : before.payment.refundedMinor,
              );
            }
            if (['success', 'partially_refunded', 'refunded'].includes(d.status)) {
              expect(d.status).toBe(
                refundedMinor === 0 ? 'success' : refundedMinor === amountMinor ? 'refunded' : 'partially_refunded',
              );
            } else {
              expect(refundedMinor).toBe(0);
            }
          }
        },
      ),
    );
  });
});
