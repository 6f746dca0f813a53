import { initialTransition, transition } from 'xstate';
import type { Clock } from '../clock.js';
import type { LifecycleConfig } from '../config.js';
import { createOrderMachine, type OrderMachine } from './machine.js';
import { persistOrderSnapshot, restoreOrderSnapshot, type PersistedOrderSnapshot } from './snapshot.js';
import type { Effect, NewOrder, OrderContext, OrderInput, OrderStatus } from './types.js';

export interface DecisionDeps {
  clock: Clock;
  config: LifecycleConfig;
}

export type AuditSource = 'api' | 'poll' | 'webhook' | 'operator' | 'sweep' | 'dispatcher' | 'device';

/** One row of the append-only order_events log: every event is recorded, applied or not. */
export interface AuditEntry {
  orderId: string;
  from: OrderStatus | null;
  to: OrderStatus;
  event: OrderInput['type'] | 'ORDER_CREATED';
  source: AuditSource;
  at: string;
  applied: boolean;
  payload: Record<string, unknown>;
}

/** An effect with the outbox key that makes it happen at most once per order. */
export interface KeyedEffect {
  key: string;
  effect: Effect;
}

export interface OrderDecision {
  status: OrderStatus;
  order: OrderContext;
  snapshot: PersistedOrderSnapshot;
  effects: KeyedEffect[];
  audit: AuditEntry;
  /** False when the event did not apply (duplicate, late, out of order): nothing to write but the audit row. */
  changed: boolean;
}

const machines = new WeakMap<LifecycleConfig, OrderMachine>();

export function orderMachineFor(config: LifecycleConfig): OrderMachine {
  let machine = machines.get(config);
  if (machine === undefined) {
    machine = createOrderMachine(config);
    machines.set(config, machine);
  }
  return machine;
}

export function createOrder(order: NewOrder, deps: DecisionDeps): OrderDecision {
  const machine = orderMachineFor(deps.config);
  const now = deps.clock.now().toISOString();
  const [snapshot] = initialTransition(machine, { order, now, ttlSeconds: deps.config.ORDER_TTL_S });
  return {
    status: snapshot.value,
    order: snapshot.context,
    snapshot: persistOrderSnapshot(machine, snapshot, 0),
    effects: [],
    audit: {
      orderId: order.orderId,
      from: null,
      to: snapshot.value,
      event: 'ORDER_CREATED',
      source: 'api',
      at: now,
      applied: true,
      payload: { ...order },
    },
    changed: true,
  };
}

/**
 * The single entry point for every lifecycle rule: webhooks, polls, sweeps, device callbacks
 * and operators all come through here. Reads the clock once, so one decision sees one instant.
 */
export function decide(stored: PersistedOrderSnapshot | string, input: OrderInput, deps: DecisionDeps): OrderDecision {
  const machine = orderMachineFor(deps.config);
  const { revision, snapshot: current } = restoreOrderSnapshot(machine, stored);
  const now = deps.clock.now().toISOString();
  const [next, actions] = transition(machine, current, { ...input, now });
  const changed = next !== current;
  const nextRevision = changed ? revision + 1 : revision;
  const effects = actions
    .filter((action) => action.type === 'effect')
    .map((action) => {
      const effect = action.params as Effect;
      return { key: effectKey(effect, nextRevision), effect };
    });
  const { type, ...payload } = input;
  return {
    status: next.value,
    order: next.context,
    snapshot: persistOrderSnapshot(machine, next, nextRevision),
    effects,
    audit: {
      orderId: current.context.orderId,
      from: current.value,
      to: next.value,
      event: type,
      source: auditSourceOf(input),
      at: now,
      applied: changed,
      payload,
    },
    changed,
  };
}

/**
 * The outbox key. A make command is keyed by the order alone, so the store's unique index
 * forbids a second one whatever happens above it; other effects may recur over an order's
 * life (a refund retried after a failed one) and are keyed by the revision that asked.
 */
export function effectKey(effect: Effect, revision: number): string {
  switch (effect.type) {
    case 'MAKE_COMMAND':
      return `${effect.orderId}:make`;
    case 'REFUND':
      return `${effect.orderId}:r${revision}:refund`;
    case 'ALERT':
      return `${effect.orderId}:r${revision}:alert:${effect.kind}`;
    case 'NOTIFY_CUSTOMER':
      return `${effect.orderId}:r${revision}:notify:${effect.kind}`;
  }
}

function auditSourceOf(input: OrderInput): AuditSource {
  switch (input.type) {
    case 'PAYMENT_INITIATED':
      return 'api';
    case 'PAYMENT_OBSERVED':
      return input.source;
    case 'CHECK_FAILED':
      return 'poll';
    case 'EXPIRY_DUE':
    case 'STUCK_DETECTED':
      return 'sweep';
    case 'MAKE_ACCEPTED':
    case 'MAKE_REJECTED':
    case 'REFUND_FAILED':
      return 'dispatcher';
    case 'DEVICE_REPORTED':
      return 'device';
    case 'OPERATOR_MARK_MADE':
    case 'OPERATOR_REFUND':
    case 'OPERATOR_RESOLVE':
      return 'operator';
  }
}
