import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isTerminal, sameMoney, type OrderDecision, type OrderInput, type OrderStatus } from '@paystate/core';
import { historyArb, OrderHarness } from './support.js';

type History = ReturnType<typeof historyArb> extends fc.Arbitrary<infer T> ? T : never;

const noMoneyEndings: OrderStatus[] = ['not_paid', 'failed', 'expired'];

/** The only ways out of a terminal status: an operator, late money, or a refund that did not go through. */
function mayLeaveTerminal(from: OrderStatus, input: OrderInput): boolean {
  if (input.type.startsWith('OPERATOR_')) return true;
  if (input.type === 'PAYMENT_OBSERVED') return noMoneyEndings.includes(from);
  return input.type === 'REFUND_FAILED' && from === 'refunded';
}

function replay(order: History) {
  const h = new OrderHarness(order.order, order.config);
  const steps: Array<{ before: OrderDecision; input: OrderInput; after: OrderDecision }> = [];
  for (const step of order.steps) {
    const before = h.decision;
    h.advance(step.advance);
    steps.push({ before, input: step.input, after: h.send(step.input) });
  }
  return { h, steps };
}

describe('lifecycle invariants over arbitrary event histories', () => {
  it('never more than one MAKE_COMMAND, and only for a matching fast-track success before expiry', () => {
    fc.assert(
      fc.property(historyArb(), (history) => {
        const { h, steps } = replay(history);
        expect(h.effectsOfType('MAKE_COMMAND').length).toBeLessThanOrEqual(1);
        for (const { before, input, after } of steps) {
          if (!after.effects.some((e) => e.effect.type === 'MAKE_COMMAND')) continue;
          expect(before.status).toBe('pending');
          expect(input.type).toBe('PAYMENT_OBSERVED');
          if (input.type !== 'PAYMENT_OBSERVED') continue;
          expect(input.status).toBe('succeeded');
          expect(sameMoney(input.amount, history.order.price)).toBe(true);
          const now = Date.parse(after.audit.at);
          expect(now - Date.parse(before.order.paymentStartedAt!)).toBeLessThanOrEqual(
            history.config.FAST_TRACK_LIMIT_S * 1000,
          );
          expect(now).toBeLessThan(Date.parse(before.order.expiresAt));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('leaves a terminal status only by an operator, late money or a failed refund', () => {
    fc.assert(
      fc.property(historyArb(), (history) => {
        for (const { before, input, after } of replay(history).steps) {
          if (isTerminal(before.status) && after.status !== before.status) {
            expect(mayLeaveTerminal(before.status, input)).toBe(true);
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('only pending orders have a next check; every terminal status has none', () => {
    fc.assert(
      fc.property(historyArb(), (history) => {
        for (const { after } of replay(history).steps) {
          if (after.status !== 'pending') expect(after.order.nextCheckAt).toBeNull();
          else expect(after.order.nextCheckAt).not.toBeNull();
        }
      }),
      { numRuns: 300 },
    );
  });

  it('money and identity never change after creation', () => {
    fc.assert(
      fc.property(historyArb(), (history) => {
        const { h, steps } = replay(history);
        const created = h.history[0]!.order;
        for (const { after } of steps) {
          expect(after.order.price).toEqual(history.order.price);
          expect(after.order.orderId).toBe(history.order.orderId);
          expect([after.order.createdAt, after.order.expiresAt]).toEqual([created.createdAt, created.expiresAt]);
        }
      }),
    );
  });

  it('every event is audited; one that does not apply changes nothing and emits nothing', () => {
    fc.assert(
      fc.property(historyArb(), (history) => {
        for (const { before, input, after } of replay(history).steps) {
          expect(after.audit).toMatchObject({
            event: input.type,
            from: before.status,
            to: after.status,
            applied: after.changed,
          });
          if (!after.changed) {
            expect(after.effects).toEqual([]);
            expect(after.snapshot).toEqual(before.snapshot);
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('revision counts applied events and no effect key repeats in an order history', () => {
    fc.assert(
      fc.property(historyArb(40), (history) => {
        const { h } = replay(history);
        const keys = h.history.flatMap((d) => d.effects.map((e) => e.key));
        expect(new Set(keys).size).toBe(keys.length);
        expect(h.decision.snapshot.revision).toBe(h.history.filter((d) => d.changed).length - 1);
      }),
      { numRuns: 300 },
    );
  });
});

describe('effects that legitimately recur', () => {
  it('an operator may refund again after a refund failed, and the second REFUND gets its own key', () => {
    const h = new OrderHarness({
      orderId: 'o-refund-twice',
      deviceId: 'dev-1',
      productId: 'latte',
      productName: 'Latte',
      size: 'M',
      price: { amountMinor: 15000, currency: 'RUB' },
      provider: 'yookassa',
    });
    h.pay();
    h.observe('succeeded');
    h.send({ type: 'MAKE_REJECTED', reason: 'offline' });
    h.send({ type: 'OPERATOR_REFUND', operator: 'alice' });
    h.send({ type: 'REFUND_FAILED', reason: 'provider said no' });
    const again = h.send({ type: 'OPERATOR_REFUND', operator: 'alice' });
    expect(again.status).toBe('refunded');
    const refundKeys = h.effectsOfType('REFUND').map((e) => e.key);
    expect(refundKeys).toHaveLength(2);
    expect(new Set(refundKeys).size).toBe(2);
  });
});
