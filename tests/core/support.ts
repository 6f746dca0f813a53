import fc from 'fast-check';
import {
  createOrder,
  decide,
  defaultLifecycleConfig,
  ManualClock,
  type LifecycleConfig,
  type Money,
  type NewOrder,
  type OrderDecision,
  type OrderInput,
  type PaymentObservationStatus,
} from '@paystate/core';

export const start = new Date('2026-03-01T09:00:00.000Z');

export const moneyArb: fc.Arbitrary<Money> = fc.record({
  amountMinor: fc.integer({ min: 1, max: 10_000_000 }),
  currency: fc.constantFrom('RUB', 'EUR', 'XOF'),
});

export const newOrderArb: fc.Arbitrary<NewOrder> = fc.record({
  orderId: fc.uuid(),
  deviceId: fc.stringMatching(/^dev-[a-z0-9]{1,8}$/),
  productId: fc.stringMatching(/^[a-z]{1,10}$/),
  productName: fc.string({ maxLength: 20 }),
  size: fc.constantFrom('S', 'M', 'L'),
  price: moneyArb,
  provider: fc.constantFrom('yookassa', 'tbank', 'sumup'),
});

export const configArb: fc.Arbitrary<LifecycleConfig> = fc.record({
  FAST_TRACK_LIMIT_S: fc.integer({ min: 10, max: 600 }),
  FAST_TRACK_INTERVAL_S: fc.integer({ min: 1, max: 30 }),
  SLOW_TRACK_INTERVAL_S: fc.integer({ min: 31, max: 600 }),
  PAYMENT_ATTEMPTS_LIMIT: fc.integer({ min: 1, max: 12 }),
  ORDER_TTL_S: fc.integer({ min: 60, max: 3600 }),
  LATE_PAYMENT_POLICY: fc.constantFrom('manual_make' as const, 'refund' as const),
  LATE_MONEY_WINDOW_S: fc.integer({ min: 600, max: 400_000 }),
  AUTO_FULFIL_WINDOW: fc.constant('fast_track' as const),
});

/** A running order under a manual clock, for tests that step through a lifecycle. */
export class OrderHarness {
  readonly clock = new ManualClock(start);
  decision: OrderDecision;
  readonly history: OrderDecision[] = [];

  constructor(
    readonly order: NewOrder,
    readonly config: LifecycleConfig = defaultLifecycleConfig,
  ) {
    this.decision = createOrder(order, this.deps);
    this.history.push(this.decision);
  }

  get deps() {
    return { clock: this.clock, config: this.config };
  }

  send(input: OrderInput): OrderDecision {
    this.decision = decide(this.decision.snapshot, input, this.deps);
    this.history.push(this.decision);
    return this.decision;
  }

  pay(): OrderDecision {
    return this.send({ type: 'PAYMENT_INITIATED', providerPaymentId: `pay-${this.order.orderId}` });
  }

  observe(status: PaymentObservationStatus, amount: Money = this.order.price, source: 'poll' | 'webhook' = 'poll') {
    return this.send({ type: 'PAYMENT_OBSERVED', source, status, amount });
  }

  advance(seconds: number): this {
    this.clock.advance(seconds);
    return this;
  }

  effectsOfType(type: string) {
    return this.history.flatMap((decision) => decision.effects).filter((keyed) => keyed.effect.type === type);
  }
}

/** One step of an arbitrary history: time passes, then something happens. */
export interface Step {
  advance: number;
  input: OrderInput;
}

export function stepArb(price: Money): fc.Arbitrary<Step> {
  const otherAmount = fc.oneof(fc.constant(price), fc.constant(price), fc.constant(price), moneyArb);
  const input: fc.Arbitrary<OrderInput> = fc.oneof(
    fc.constant({ type: 'PAYMENT_INITIATED' as const, providerPaymentId: 'pay-1' }),
    fc.record({
      type: fc.constant('PAYMENT_OBSERVED' as const),
      source: fc.constantFrom('poll' as const, 'webhook' as const),
      status: fc.constantFrom(
        'pending' as const,
        'succeeded' as const,
        'canceled' as const,
        'waiting_for_capture' as const,
      ),
      amount: otherAmount,
    }),
    fc.constant({ type: 'CHECK_FAILED' as const, reason: 'timeout' }),
    fc.constant({ type: 'EXPIRY_DUE' as const }),
    fc.constant({ type: 'STUCK_DETECTED' as const }),
    fc.constant({ type: 'MAKE_ACCEPTED' as const }),
    fc.constant({ type: 'MAKE_REJECTED' as const, reason: 'device offline' }),
    fc.record({
      type: fc.constant('DEVICE_REPORTED' as const),
      result: fc.constantFrom('made' as const, 'failed' as const),
    }),
    fc.constant({ type: 'REFUND_FAILED' as const, reason: 'provider refused' }),
    fc.constant({ type: 'OPERATOR_MARK_MADE' as const, operator: 'alice' }),
    fc.constant({ type: 'OPERATOR_REFUND' as const, operator: 'alice' }),
    fc.constant({ type: 'OPERATOR_RESOLVE' as const, operator: 'alice' }),
  );
  return fc.record({ advance: fc.integer({ min: 0, max: 400 }), input });
}

export function historyArb(maxLength = 30) {
  return newOrderArb.chain((order) =>
    fc.record({
      order: fc.constant(order),
      config: configArb,
      steps: fc.array(stepArb(order.price), { maxLength }),
    }),
  );
}
