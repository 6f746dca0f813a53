import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addSeconds, describeFailure, isTerminal, secondsBetween } from '@paystate/core';
import { configArb, moneyArb, newOrderArb, OrderHarness, start } from './support.js';

const isUtcInstant = (value: string | null) =>
  value === null || (value.endsWith('Z') && new Date(value).toISOString() === value);

/**
 * Rule 2/3 spacing: a check made on schedule counts its wait from the due time, so the configured
 * spacing holds although checks take time; a late or early one counts from now.
 */
function spacingBase(due: string | null, now: string, waitS: number): string {
  if (due === null || Date.parse(due) > Date.parse(now)) return now;
  return Date.parse(addSeconds(due, waitS)) > Date.parse(now) ? due : now;
}

describe('rule 1: a new order and payment initiation', () => {
  it('starts created with the documented defaults and UTC instants', () => {
    fc.assert(
      fc.property(newOrderArb, configArb, (order, config) => {
        const h = new OrderHarness(order, config);
        const o = h.decision.order;
        expect(h.decision.status).toBe('created');
        expect(o.checkAttempts).toBe(0);
        expect([o.paymentStartedAt, o.nextCheckAt, o.lastCheckAt, o.providerPaymentId]).toEqual([
          null,
          null,
          null,
          null,
        ]);
        expect(o.createdAt).toBe(start.toISOString());
        expect(o.expiresAt).toBe(addSeconds(start.toISOString(), config.ORDER_TTL_S));
        expect([o.createdAt, o.expiresAt].every(isUtcInstant)).toBe(true);
        expect(o.price).toEqual(order.price);
      }),
    );
  });

  it('PAYMENT_INITIATED -> pending with payment_started_at = now and the first fast-track check', () => {
    fc.assert(
      fc.property(newOrderArb, configArb, fc.integer({ min: 0, max: 50 }), (order, config, delay) => {
        const h = new OrderHarness(order, config);
        h.advance(delay);
        const d = h.pay();
        const now = h.clock.now().toISOString();
        expect(d.status).toBe('pending');
        expect(d.order.paymentStartedAt).toBe(now);
        expect(d.order.nextCheckAt).toBe(addSeconds(now, config.FAST_TRACK_INTERVAL_S));
        expect(d.order.checkAttempts).toBe(0);
        expect(d.order.providerPaymentId).toBe(`pay-${order.orderId}`);
        expect(d.effects).toEqual([]);
      }),
    );
  });
});

describe('rule 2: payment observations on a pending order', () => {
  it('fast-track success -> paid with exactly one MAKE_COMMAND carrying the order', () => {
    fc.assert(
      fc.property(newOrderArb, configArb, fc.double({ min: 0, max: 1, noNaN: true }), (order, config, fraction) => {
        const h = new OrderHarness(order, config);
        h.pay();
        const window = Math.min(config.FAST_TRACK_LIMIT_S, config.ORDER_TTL_S - 1);
        h.advance(Math.floor(window * fraction));
        const d = h.observe('succeeded');
        expect(d.status).toBe('paid');
        const makes = d.effects.filter((e) => e.effect.type === 'MAKE_COMMAND');
        expect(makes).toEqual([
          {
            key: `${order.orderId}:make`,
            effect: {
              type: 'MAKE_COMMAND',
              deviceId: order.deviceId,
              orderId: order.orderId,
              productId: order.productId,
              size: order.size,
              price: order.price,
            },
          },
        ]);
      }),
    );
  });

  it('AUTO_FULFIL_WINDOW=order_lifetime (tickets): any success before expiry -> paid with one MAKE_COMMAND, even past FAST_TRACK_LIMIT_S', () => {
    fc.assert(
      fc.property(newOrderArb, configArb, fc.double({ min: 0, max: 1, noNaN: true }), (order, config, fraction) => {
        const h = new OrderHarness(order, {
          ...config,
          AUTO_FULFIL_WINDOW: 'order_lifetime',
          ORDER_TTL_S: config.FAST_TRACK_LIMIT_S + 600,
        });
        h.pay();
        h.advance(Math.floor((config.FAST_TRACK_LIMIT_S + 599) * fraction));
        const d = h.observe('succeeded');
        expect(d.status).toBe('paid');
        expect(h.effectsOfType('MAKE_COMMAND')).toHaveLength(1);
      }),
    );
  });

  it('AUTO_FULFIL_WINDOW=order_lifetime: a success at or after expiry is still late (LATE_PAYMENT_POLICY), never a make command', () => {
    fc.assert(
      fc.property(newOrderArb, configArb, fc.integer({ min: 0, max: 5000 }), (order, config, late) => {
        const h = new OrderHarness(order, { ...config, AUTO_FULFIL_WINDOW: 'order_lifetime' });
        h.pay();
        h.advance(config.ORDER_TTL_S + late);
        const d = h.observe('succeeded');
        expect(d.status).toBe(config.LATE_PAYMENT_POLICY === 'refund' ? 'refunded' : 'manual_make');
        expect(h.effectsOfType('MAKE_COMMAND')).toEqual([]);
      }),
    );
  });

  it('the make outcome moves paid -> make_pending, or -> make_failed with the user-facing text', () => {
    fc.assert(
      fc.property(newOrderArb, fc.boolean(), (order, accepted) => {
        const h = new OrderHarness(order);
        h.pay();
        h.observe('succeeded');
        const d = h.send(accepted ? { type: 'MAKE_ACCEPTED' } : { type: 'MAKE_REJECTED', reason: 'HTTP 500' });
        expect(d.status).toBe(accepted ? 'make_pending' : 'make_failed');
        expect(d.order.failedPresentationDesc).toBe(
          accepted ? null : 'Не удалось отправить команду на приготовление. Пожалуйста, обратитесь в поддержку.',
        );
      }),
    );
  });

  it('slow-track success -> manual_make and never a MAKE_COMMAND (manual_make policy)', () => {
    fc.assert(
      fc.property(newOrderArb, configArb, fc.integer({ min: 1, max: 5000 }), (order, config, extra) => {
        const policy = { ...config, LATE_PAYMENT_POLICY: 'manual_make' as const };
        const h = new OrderHarness(order, policy);
        h.pay();
        h.advance(config.FAST_TRACK_LIMIT_S + extra);
        const d = h.observe('succeeded');
        expect(d.status).toBe('manual_make');
        expect(h.effectsOfType('MAKE_COMMAND')).toEqual([]);
        expect(d.effects.map((e) => e.effect)).toContainEqual(
          expect.objectContaining({ type: 'ALERT', kind: 'manual_make' }),
        );
      }),
    );
  });

  it('slow-track success under the refund policy -> refunded with one REFUND of the full price', () => {
    fc.assert(
      fc.property(newOrderArb, configArb, fc.integer({ min: 1, max: 5000 }), (order, config, extra) => {
        const h = new OrderHarness(order, { ...config, LATE_PAYMENT_POLICY: 'refund' });
        h.pay();
        h.advance(config.FAST_TRACK_LIMIT_S + extra);
        const d = h.observe('succeeded');
        expect(d.status).toBe('refunded');
        expect(h.effectsOfType('MAKE_COMMAND')).toEqual([]);
        expect(h.effectsOfType('REFUND').map((e) => e.effect)).toEqual([
          { type: 'REFUND', orderId: order.orderId, providerPaymentId: `pay-${order.orderId}`, amount: order.price },
        ]);
      }),
    );
  });

  it('a pending answer keeps the order pending and schedules by the track', () => {
    fc.assert(
      fc.property(newOrderArb, configArb, fc.integer({ min: 0, max: 3000 }), (order, config, elapsed) => {
        const h = new OrderHarness(order, config);
        h.pay();
        h.advance(elapsed);
        const d = h.observe('pending');
        const now = h.clock.now().toISOString();
        const interval =
          elapsed <= config.FAST_TRACK_LIMIT_S ? config.FAST_TRACK_INTERVAL_S : config.SLOW_TRACK_INTERVAL_S;
        expect(d.status).toBe('pending');
        expect(d.order.nextCheckAt).toBe(
          addSeconds(spacingBase(h.history.at(-2)!.order.nextCheckAt, now, interval), interval),
        );
        expect(d.order.lastCheckAt).toBe(now);
        expect(d.order.checkAttempts).toBe(1);
      }),
    );
  });

  it('canceled -> not_paid; waiting_for_capture -> failed with a description', () => {
    fc.assert(
      fc.property(
        newOrderArb,
        fc.constantFrom('canceled' as const, 'waiting_for_capture' as const),
        (order, status) => {
          const h = new OrderHarness(order);
          h.pay();
          const d = h.observe(status);
          if (status === 'canceled') {
            expect(d.status).toBe('not_paid');
          } else {
            expect(d.status).toBe('failed');
            expect(d.order.failedPresentationDesc).toBe(describeFailure('waiting_for_capture'));
          }
          expect(h.effectsOfType('MAKE_COMMAND')).toEqual([]);
        },
      ),
    );
  });

  it('an amount or currency that differs from the order -> requires_manual_review with an alert', () => {
    fc.assert(
      fc.property(
        newOrderArb,
        moneyArb,
        fc.constantFrom('succeeded' as const, 'pending' as const, 'canceled' as const, 'waiting_for_capture' as const),
        (order, observed, status) => {
          fc.pre(observed.amountMinor !== order.price.amountMinor || observed.currency !== order.price.currency);
          const h = new OrderHarness(order);
          h.pay();
          const d = h.observe(status, observed);
          expect(d.status).toBe('requires_manual_review');
          expect(d.effects.map((e) => e.effect)).toContainEqual(
            expect.objectContaining({ type: 'ALERT', kind: 'amount_mismatch' }),
          );
          expect(h.effectsOfType('MAKE_COMMAND')).toEqual([]);
        },
      ),
    );
  });
});

describe('rule 3: a check with no answer is UNKNOWN, never a failure', () => {
  it('any run of unanswered checks keeps the order pending, with the next check on a backoff tier plus at most 20% jitter', () => {
    fc.assert(
      fc.property(
        newOrderArb,
        configArb,
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 0, max: 100 }),
        (order, config, failures, gap) => {
          const h = new OrderHarness(order, { ...config, ORDER_TTL_S: 1_000_000 });
          h.pay();
          for (let attempt = 1; attempt <= failures; attempt++) {
            h.advance(gap);
            const before = h.decision.order.nextCheckAt;
            const d = h.send({ type: 'CHECK_FAILED', reason: 'timeout' });
            const now = h.clock.now().toISOString();
            expect(d.status).toBe('pending');
            expect(d.order.failedChecks).toBe(attempt);
            expect(d.order.failureReason).toBeNull();
            const track =
              secondsBetween(d.order.paymentStartedAt!, now) <= config.FAST_TRACK_LIMIT_S
                ? config.FAST_TRACK_INTERVAL_S
                : config.SLOW_TRACK_INTERVAL_S;
            const tier =
              attempt >= config.PAYMENT_ATTEMPTS_LIMIT
                ? Math.max(track, config.SLOW_TRACK_INTERVAL_S)
                : Math.min(track * 2 ** (attempt - 1), Math.max(track, config.SLOW_TRACK_INTERVAL_S));
            const base = spacingBase(before, now, tier);
            const wait = secondsBetween(base, d.order.nextCheckAt!);
            expect(wait).toBeGreaterThanOrEqual(tier);
            expect(wait).toBeLessThanOrEqual(tier * 1.2 + 0.001);
            expect(Date.parse(d.order.nextCheckAt!)).toBeGreaterThan(Date.parse(now));
          }
          expect(h.history.map((x) => x.status)).not.toContain('failed');
        },
      ),
    );
  });

  it('PAYMENT_ATTEMPTS_LIMIT unanswered checks in a row raise exactly one provider_unreachable alert; an answer resets the run', () => {
    fc.assert(
      fc.property(newOrderArb, configArb, fc.integer({ min: 0, max: 30 }), (order, config, extra) => {
        const h = new OrderHarness(order, { ...config, ORDER_TTL_S: 1_000_000 });
        h.pay();
        const fail = (n: number) => {
          for (let i = 0; i < n; i++) h.advance(1).send({ type: 'CHECK_FAILED', reason: 'HTTP 503' });
        };
        const alerts = () =>
          h.effectsOfType('ALERT').filter((e) => e.effect.type === 'ALERT' && e.effect.kind === 'provider_unreachable');
        fail(config.PAYMENT_ATTEMPTS_LIMIT - 1);
        expect(alerts()).toHaveLength(0);
        fail(1 + extra);
        expect(alerts()).toHaveLength(1);
        expect(h.decision.status).toBe('pending');
        h.observe('pending');
        expect(h.decision.order.failedChecks).toBe(0);
        fail(config.PAYMENT_ATTEMPTS_LIMIT);
        expect(alerts()).toHaveLength(2);
      }),
    );
  });

  it('the jitter is a pure function of the order and the attempt: the same history gives the same schedule', () => {
    fc.assert(
      fc.property(newOrderArb, configArb, fc.integer({ min: 1, max: 15 }), (order, config, failures) => {
        const run = () => {
          const h = new OrderHarness(order, { ...config, ORDER_TTL_S: 1_000_000 });
          h.pay();
          for (let i = 0; i < failures; i++) h.advance(3).send({ type: 'CHECK_FAILED', reason: 'timeout' });
          return h.history.map((d) => d.order.nextCheckAt);
        };
        expect(run()).toEqual(run());
      }),
    );
  });

  it('only a provider answer fails an order: waiting_for_capture -> failed, canceled -> not_paid, even after an outage', () => {
    fc.assert(
      fc.property(
        newOrderArb,
        configArb,
        fc.constantFrom('canceled' as const, 'waiting_for_capture' as const),
        (order, config, status) => {
          const h = new OrderHarness(order, { ...config, ORDER_TTL_S: 1_000_000 });
          h.pay();
          for (let i = 0; i < config.PAYMENT_ATTEMPTS_LIMIT + 3; i++)
            h.advance(5).send({ type: 'CHECK_FAILED', reason: 'timeout' });
          expect(h.decision.status).toBe('pending');
          expect(h.observe(status).status).toBe(status === 'canceled' ? 'not_paid' : 'failed');
        },
      ),
    );
  });
});

describe('rule 5: expiry', () => {
  it('EXPIRY_DUE expires a pending order only at or past expires_at', () => {
    fc.assert(
      fc.property(newOrderArb, configArb, fc.integer({ min: -100, max: 100 }), (order, config, offset) => {
        const h = new OrderHarness(order, config);
        h.pay();
        h.advance(config.ORDER_TTL_S + offset);
        const d = h.send({ type: 'EXPIRY_DUE' });
        expect(d.status).toBe(offset >= 0 ? 'expired' : 'pending');
        expect(d.changed).toBe(offset >= 0);
      }),
    );
  });

  it('a success observed after expiry -> manual_make, never a make command', () => {
    fc.assert(
      fc.property(
        newOrderArb,
        configArb,
        fc.integer({ min: 0, max: 1000 }),
        fc.boolean(),
        (order, config, late, swept) => {
          const h = new OrderHarness(order, { ...config, LATE_PAYMENT_POLICY: 'manual_make' });
          h.pay();
          h.advance(config.ORDER_TTL_S + late);
          if (swept) expect(h.send({ type: 'EXPIRY_DUE' }).status).toBe('expired');
          const d = h.observe('succeeded', order.price, 'webhook');
          expect(d.status).toBe('manual_make');
          expect(h.effectsOfType('MAKE_COMMAND')).toEqual([]);
        },
      ),
    );
  });
});

describe('rule 5: late money in a no-money terminal state', () => {
  const TIERS = [300, 3600, 21_600, 86_400];
  const endings = fc.constantFrom('expired' as const, 'not_paid' as const, 'failed' as const);

  /** Drives a paid-for order into a no-money ending. */
  function endWithoutMoney(h: OrderHarness, ending: 'expired' | 'not_paid' | 'failed') {
    h.pay();
    if (ending === 'expired') h.advance(h.config.ORDER_TTL_S).send({ type: 'EXPIRY_DUE' });
    else h.observe(ending === 'not_paid' ? 'canceled' : 'waiting_for_capture');
    expect(h.decision.status).toBe(ending);
  }

  it('re-checks on a decaying schedule (5 min, 1 h, 6 h, 24 h …) until LATE_MONEY_WINDOW_S is over, then stops', () => {
    fc.assert(
      fc.property(
        newOrderArb,
        configArb,
        endings,
        fc.integer({ min: 3600, max: 400_000 }),
        fc.boolean(),
        (order, config, ending, window, failing) => {
          const h = new OrderHarness(order, { ...config, LATE_MONEY_WINDOW_S: window });
          endWithoutMoney(h, ending);
          const since = h.clock.now().toISOString();
          const end = addSeconds(since, window);
          let n = 0;
          while (h.decision.order.recheckAt !== null) {
            const now = h.clock.now().toISOString();
            const tier = TIERS[Math.min(n, TIERS.length - 1)]!;
            const wait = secondsBetween(now, h.decision.order.recheckAt);
            expect(Date.parse(h.decision.order.recheckAt)).toBeLessThanOrEqual(Date.parse(end));
            if (Date.parse(h.decision.order.recheckAt) < Date.parse(end)) {
              expect(wait).toBeGreaterThanOrEqual(tier);
              expect(wait).toBeLessThanOrEqual(tier * 1.2 + 0.001);
            }
            h.clock.set(h.decision.order.recheckAt);
            const d = failing
              ? h.send({ type: 'CHECK_FAILED', reason: 'timeout' })
              : h.observe(ending === 'not_paid' ? 'canceled' : 'pending');
            expect(d.status).toBe(ending);
            expect(d.changed).toBe(true);
            n += 1;
            expect(n).toBeLessThan(20);
          }
          expect(Date.parse(h.clock.now().toISOString())).toBeGreaterThanOrEqual(Date.parse(end));
          expect(h.decision.order.nextCheckAt).toBeNull();
        },
      ),
    );
  });

  it('a success found by a re-check inside the window follows LATE_PAYMENT_POLICY, never a make command', () => {
    fc.assert(
      fc.property(
        newOrderArb,
        configArb,
        endings,
        fc.integer({ min: 0, max: 5 }),
        (order, config, ending, rechecks) => {
          const h = new OrderHarness(order, config);
          endWithoutMoney(h, ending);
          for (let i = 0; i < rechecks && h.decision.order.recheckAt; i++) {
            h.clock.set(h.decision.order.recheckAt);
            h.observe(ending === 'not_paid' ? 'canceled' : 'pending');
          }
          if (h.decision.order.recheckAt) h.clock.set(h.decision.order.recheckAt);
          const d = h.observe('succeeded');
          expect(d.status).toBe(config.LATE_PAYMENT_POLICY === 'refund' ? 'refunded' : 'manual_make');
          expect(d.order.recheckAt).toBeNull();
          expect(h.effectsOfType('MAKE_COMMAND')).toEqual([]);
        },
      ),
    );
  });

  it('an order that never had a provider payment is not re-checked; webhooks that change nothing stay unapplied', () => {
    fc.assert(
      fc.property(newOrderArb, configArb, (order, config) => {
        const h = new OrderHarness(order, config);
        h.advance(config.ORDER_TTL_S).send({ type: 'EXPIRY_DUE' });
        expect(h.decision.status).toBe('expired');
        expect(h.decision.order.recheckAt).toBeNull();
        const h2 = new OrderHarness(order, config);
        h2.pay();
        h2.observe('canceled');
        expect(h2.observe('canceled', order.price, 'webhook').changed).toBe(false);
      }),
    );
  });
});

describe('rule 6: the device reports', () => {
  it('make_pending -> successful on made, -> make_failed on failed', () => {
    fc.assert(
      fc.property(newOrderArb, fc.constantFrom('made' as const, 'failed' as const), (order, result) => {
        const h = new OrderHarness(order);
        h.pay();
        h.observe('succeeded');
        h.send({ type: 'MAKE_ACCEPTED' });
        const d = h.send({ type: 'DEVICE_REPORTED', result });
        expect(d.status).toBe(result === 'made' ? 'successful' : 'make_failed');
        expect(isTerminal(d.status)).toBe(true);
        expect(d.order.nextCheckAt).toBeNull();
      }),
    );
  });
});

describe('rule 7: observations that do not apply', () => {
  it('a repeated observation changes nothing, emits nothing and is still audited', () => {
    fc.assert(
      fc.property(
        newOrderArb,
        fc.constantFrom('succeeded' as const, 'canceled' as const, 'waiting_for_capture' as const),
        fc.integer({ min: 1, max: 5 }),
        (order, status, repeats) => {
          const h = new OrderHarness(order);
          h.pay();
          const first = h.observe(status, order.price, 'webhook');
          for (let i = 0; i < repeats; i++) {
            const again = h.observe(status, order.price, 'webhook');
            expect(again.changed).toBe(false);
            expect(again.effects).toEqual([]);
            expect(again.snapshot).toEqual(first.snapshot);
            expect(again.audit).toMatchObject({
              applied: false,
              from: first.status,
              to: first.status,
              event: 'PAYMENT_OBSERVED',
            });
          }
        },
      ),
    );
  });

  it('an out-of-order pending after success changes nothing', () => {
    fc.assert(
      fc.property(newOrderArb, (order) => {
        const h = new OrderHarness(order);
        h.pay();
        const paid = h.observe('succeeded');
        const stale = h.observe('pending');
        expect(stale.status).toBe('paid');
        expect(stale.snapshot).toEqual(paid.snapshot);
      }),
    );
  });
});
