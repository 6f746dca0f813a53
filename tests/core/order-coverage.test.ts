import { getAdjacencyMap } from '@xstate/graph';
import { describe, expect, it } from 'vitest';
import {
  addSeconds,
  createOrderMachine,
  defaultLifecycleConfig,
  orderStatuses,
  type LifecycleConfig,
  type OrderContext,
  type OrderEvent,
  type OrderMachine,
} from '@paystate/core';

const order = {
  orderId: 'o-graph',
  deviceId: 'dev-1',
  productId: 'espresso',
  productName: 'Espresso',
  size: 'S',
  price: { amountMinor: 9900, currency: 'RUB' },
  provider: 'yookassa',
};
const createdAt = '2026-03-01T09:00:00.000Z';

/** A finite menu of events for each snapshot: every kind of input at the instants that matter to the guards. */
function eventsFor(config: LifecycleConfig) {
  return ({ context }: { context: OrderContext }): OrderEvent[] => {
    const started = context.paymentStartedAt ?? context.createdAt;
    const fast = addSeconds(started, 1);
    const slow = addSeconds(started, config.FAST_TRACK_LIMIT_S + 1);
    const late = addSeconds(context.expiresAt, 1);
    const wrong = { amountMinor: context.price.amountMinor + 1, currency: context.price.currency };
    const observations: OrderEvent[] = (['pending', 'succeeded', 'canceled', 'waiting_for_capture'] as const).flatMap(
      (status) =>
        [fast, slow, late].map((now) => ({
          type: 'PAYMENT_OBSERVED' as const,
          source: 'webhook' as const,
          status,
          amount: context.price,
          now,
        })),
    );
    return [
      { type: 'PAYMENT_INITIATED', providerPaymentId: 'pay-1', now: fast },
      ...observations,
      { type: 'PAYMENT_OBSERVED', source: 'webhook', status: 'succeeded', amount: wrong, now: fast },
      // The poller's late-money re-check of an order that ended without money.
      { type: 'PAYMENT_OBSERVED', source: 'poll', status: 'pending', amount: context.price, now: late },
      { type: 'CHECK_FAILED', reason: 'timeout', now: fast },
      { type: 'EXPIRY_DUE', now: fast },
      { type: 'EXPIRY_DUE', now: late },
      { type: 'STUCK_DETECTED', now: slow },
      { type: 'MAKE_ACCEPTED', now: fast },
      { type: 'MAKE_REJECTED', reason: 'HTTP 500', now: fast },
      { type: 'DEVICE_REPORTED', result: 'made', now: fast },
      { type: 'DEVICE_REPORTED', result: 'failed', now: fast },
      { type: 'REFUND_FAILED', reason: 'declined', now: fast },
      { type: 'OPERATOR_MARK_MADE', operator: 'alice', now: fast },
      { type: 'OPERATOR_REFUND', operator: 'alice', now: fast },
      { type: 'OPERATOR_RESOLVE', operator: 'alice', now: fast },
    ];
  };
}

type TransitionDefinition = ReturnType<OrderMachine['getTransitionData']>[number];

function allTransitions(machine: OrderMachine): TransitionDefinition[] {
  return Object.values(machine.root.states).flatMap((node) => [...node.transitions.values()].flat());
}

function explore(config: LifecycleConfig) {
  const machine = createOrderMachine(config);
  const adjacency = getAdjacencyMap(machine, {
    input: { order, now: createdAt, ttlSeconds: config.ORDER_TTL_S },
    events: eventsFor(config),
    // Unanswered checks and late-money re-checks never end an order (rules 3 and 5), so their
    // counters and due times grow without bound: the graph keys a snapshot by what guards read,
    // with the counters capped, to stay finite.
    serializeState: (state) => {
      const c = state.context as OrderContext;
      return JSON.stringify([
        state.value,
        Math.min(c.failedChecks, config.PAYMENT_ATTEMPTS_LIMIT),
        Math.min(c.lateChecks, 1),
        c.paymentStartedAt,
        c.providerPaymentId,
        c.stuckAlerted,
        c.recheckAt === null,
      ]);
    },
  });
  const states = new Set<string>();
  const taken = new Set<TransitionDefinition>();
  for (const { state, transitions } of Object.values(adjacency)) {
    states.add(String(state.value));
    for (const { event } of Object.values(transitions) as Array<{ event: OrderEvent }>) {
      for (const definition of machine.getTransitionData(state, event)) taken.add(definition);
    }
  }
  return { machine, states, taken };
}

const label = (t: TransitionDefinition) =>
  `${t.source.key} --${t.eventType}${t.guard ? `[${JSON.stringify(t.guard)}]` : ''}--> ${t.target?.map((s) => s.key).join(',') ?? '(self)'}`;

describe('model-based coverage of the order machine', () => {
  // Each late-payment policy makes one branch of the late-success guards unreachable, so both are explored.
  const runs = (['manual_make', 'refund'] as const).map((policy) =>
    explore({ ...defaultLifecycleConfig, PAYMENT_ATTEMPTS_LIMIT: 2, LATE_PAYMENT_POLICY: policy }),
  );

  it('reaches every state', () => {
    const reached = new Set(runs.flatMap((run) => [...run.states]));
    expect([...reached].sort()).toEqual([...orderStatuses].sort());
  });

  it('takes every transition the machine defines', () => {
    const missing = runs.map((run) => {
      const takenLabels = new Set(runs.flatMap((r) => [...r.taken].map(label)));
      return allTransitions(run.machine)
        .map(label)
        .filter((l) => !takenLabels.has(l));
    });
    expect(missing[0]).toEqual([]);
    expect(allTransitions(runs[0]!.machine).length).toBeGreaterThan(40);
  });
});
