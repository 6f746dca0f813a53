/**
 * Model-based fault injection: fast-check generates schedules of commands — orders, payments,
 * customers paying and cancelling at the YooKassa sandbox, notifications delivered late, twice
 * and out of order, forged ones, poll cycles, provider and device faults, device callbacks,
 * clock jumps, operator actions, concurrent bursts of all of these — and runs each schedule
 * against the real server over loopback (ManualClock, real SQLite file, the real poller and
 * dispatcher, both sandboxes). After every command the six invariants (./invariants.ts) are
 * checked against the database and the sandboxes, and no answer may be a 500.
 *
 * FAULT_RUNS (default 100) sets the number of schedules; FAULT_SEED replays a run.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ManualClock, type Money } from '@paystate/core';
import { lifecycleConfigOf } from '@paystate/server';
import { YooKassaSandbox, type SandboxPaymentStatus } from '@paystate/server/sandbox';
import { DEVICE_TOKEN, SECRET_KEY, SHOP_ID, startStack, type Reply, type Stack } from '../support/harness.js';
import { FAULTS } from './gate.js';
import { checkInvariants, formatViolations, readWorld, sqliteFile, type Violation } from './invariants.js';

const RUNS = positiveInt(process.env.FAULT_RUNS, 100);
const SEED = process.env.FAULT_SEED === undefined ? undefined : Number(process.env.FAULT_SEED);
const MAX_COMMANDS = positiveInt(process.env.FAULT_MAX_COMMANDS, 30);
const T0 = '2026-03-01T09:00:00.000Z';
/** PAYMENT_API_TIMEOUT_S in these runs, and an injected delay that exceeds it. */
const TIMEOUT_S = 0.2;
const SLOW_MS = 260;

function positiveInt(value: string | undefined, fallback: number): number {
  const n = Number(value);
  return Number.isInteger(n) && n > 0 ? n : fallback;
}

/** YooKassa's twin, except that notifications queue up for the schedule to deliver (or not). */
class CapturingYooKassa extends YooKassaSandbox {
  readonly sent: string[] = [];

  override notify(event: string, object: unknown): Promise<boolean> {
    this.sent.push(JSON.stringify({ type: 'notification', event, object }));
    return Promise.resolve(true);
  }
}

interface ModelOrder {
  id: string;
  price: Money;
  deviceId: string;
  /** The payment the client was given a confirmation URL for. */
  paymentId: string | null;
}

type FaultRoute = 'create' | 'get' | 'refund' | 'make';

interface Model {
  orders: ModelOrder[];
  notifications: number;
  /** Routes that ever had a fault queued: only then may the matching 502/503/504 appear. */
  faulted: Set<FaultRoute>;
}

class Failure extends Error {
  override readonly name = 'Failure';
  constructor(
    message: string,
    readonly violations: Violation[] = [],
  ) {
    super(message);
  }
}

interface Real {
  stack: Stack;
  clock: ManualClock;
  yookassa: CapturingYooKassa;
  expected: Map<string, Money>;
  backgroundErrors: unknown[];
  /** Waits until no dispatch pass started by a request or a command is still running. */
  idle(): Promise<void>;
}

const stats = { schedules: 0, commands: 0, failed: 0, invariantViolations: 0, unexpectedReplies: 0 };
/** What the schedules reached, so a run shows it exercised the lifecycle and not just the error paths. */
const coverage = { finalStatuses: new Map<string, number>(), makeCommandsAtDevice: 0, replies: new Map<number, number>() };

function expectReply(reply: Reply, allowed: readonly number[], what: string): void {
  coverage.replies.set(reply.status, (coverage.replies.get(reply.status) ?? 0) + 1);
  if (!allowed.includes(reply.status)) throw new Failure(`${what}: HTTP ${reply.status} (allowed ${allowed.join('/')}): ${reply.text.slice(0, 300)}`);
  if (reply.status >= 400) {
    const body = reply.body as { error?: { code?: unknown; message?: unknown } } | undefined;
    if (typeof body?.error?.code !== 'string' || typeof body.error.message !== 'string') {
      throw new Failure(`${what}: HTTP ${reply.status} without the {error:{code,message}} body: ${reply.text.slice(0, 300)}`);
    }
  }
}

async function verify(r: Real): Promise<void> {
  if (r.backgroundErrors.length > 0) throw new Failure(`a background dispatch pass failed: ${String(r.backgroundErrors[0])}`);
  const world = await readWorld(r.stack.runtime.store, sqliteFile(r.stack.db), { tmetr: r.stack.tmetr, yookassa: r.yookassa });
  const violations = checkInvariants(world, { config: lifecycleConfigOf(r.stack.runtime.settings), expected: r.expected });
  if (violations.length > 0) throw new Failure(`invariants violated:\n${formatViolations(violations)}`, violations);
}

/** One step of a schedule; also usable inside a concurrent burst. */
interface Op {
  label: string;
  applies(m: Model): boolean;
  run(m: Model, r: Real): Promise<void>;
}

const pickOrder = (m: Model, pick: number) => m.orders[pick % m.orders.length]!;
const hasOrders = (m: Model) => m.orders.length > 0;

const productNames = ['Latte', 'Капучино', "'; drop table orders; --", '<script>alert(1)</script>', '" onmouseover="x'] as const;

const createOrder = (device: number, price: number, name: string): Op => ({
  label: `create(dev-${device}, ${price}, ${JSON.stringify(name)})`,
  applies: () => true,
  async run(m, r) {
    const deviceId = `dev-${device}`;
    const reply = await r.stack.request<{ order_id: string }>('POST', '/v1/orders', {
      body: { deviceId, productId: 'latte', productName: name, size: 'M', price, currency: 'RUB' },
    });
    expectReply(reply, [201], 'create order');
    const order = { id: reply.body.order_id, price: { amountMinor: price, currency: 'RUB' }, deviceId, paymentId: null };
    r.expected.set(order.id, order.price);
    m.orders.push(order);
  },
});

const pay = (pick: number): Op => ({
  label: `pay(#${pick})`,
  applies: hasOrders,
  async run(m, r) {
    // Mostly an order not yet paid for; sometimes any (a repeat, or one that is no longer payable).
    const unpaid = m.orders.filter((o) => o.paymentId === null);
    const order = unpaid.length > 0 && pick % 5 !== 0 ? unpaid[pick % unpaid.length]! : pickOrder(m, pick);
    await payOrder(m, r, order);
  },
});

async function payOrder(m: Model, r: Real, order: ModelOrder): Promise<void> {
  const reply = await r.stack.request<{ confirmationUrl: string }>('POST', `/v1/orders/${order.id}/pay`);
  expectReply(reply, m.faulted.has('create') ? [200, 409, 502, 504] : [200, 409], 'pay');
  if (reply.status !== 200) return;
  const paymentId = reply.body.confirmationUrl.split('/checkout/')[1];
  const payment = paymentId ? r.yookassa.payments.get(paymentId) : undefined;
  if (!payment || payment.orderId !== order.id) throw new Failure(`pay answered ${reply.body.confirmationUrl}, which is no payment of order ${order.id}`);
  if (order.paymentId !== null && order.paymentId !== payment.id) throw new Failure(`order ${order.id} was given a second payment ${payment.id}`);
  order.paymentId = payment.id;
}

async function customerPays(m: Model, r: Real, order: ModelOrder): Promise<void> {
  const payment = r.yookassa.payment(order.paymentId!);
  if (payment.status !== 'pending') return;
  const response = await fetch(`${r.stack.yookassaUrl}/checkout/${payment.id}/pay`, { method: 'POST', redirect: 'manual' });
  await response.body?.cancel();
  if (response.status !== 303) throw new Failure(`checkout answered ${response.status}`);
  m.notifications = r.yookassa.sent.length;
}

/** The happy path in one step, so schedules reach paid orders often: create, pay, customer pays, notification delivered. */
const checkout = (device: number, price: number, payAfterS: number, deliverNow: boolean): Op => ({
  label: `checkout(dev-${device}, ${price}, customer pays after ${payAfterS}s${deliverNow ? ', notified' : ''})`,
  applies: () => true,
  async run(m, r) {
    await createOrder(device, price, 'Latte').run(m, r);
    const order = m.orders.at(-1)!;
    await payOrder(m, r, order);
    if (order.paymentId === null) return;
    r.clock.advance(payAfterS);
    await customerPays(m, r, order);
    if (deliverNow) await deliver(m.notifications - 1, 1).run(m, r);
  },
});

/** The customer acts on the checkout page (or the bank holds/cancels): the provider notifies, the schedule delivers. */
const customer = (pick: number, to: Exclude<SandboxPaymentStatus, 'pending'>): Op => ({
  label: `customer(#${pick}, ${to})`,
  applies: (m) => m.orders.some((o) => o.paymentId !== null),
  async run(m, r) {
    const withPayment = m.orders.filter((o) => o.paymentId !== null);
    const open = withPayment.filter((o) => ['pending', 'waiting_for_capture'].includes(r.yookassa.payment(o.paymentId!).status));
    const order = (open.length > 0 ? open : withPayment)[pick % (open.length > 0 ? open.length : withPayment.length)]!;
    const payment = r.yookassa.payment(order.paymentId!);
    // Real payments only move forward: pending -> waiting_for_capture -> succeeded | canceled.
    if (payment.status === 'succeeded' || payment.status === 'canceled') return;
    if (to === 'waiting_for_capture' && payment.status !== 'pending') return;
    if (to === 'succeeded' && payment.status === 'pending') await customerPays(m, r, order);
    else await r.yookassa.setStatus(payment.id, to);
    m.notifications = r.yookassa.sent.length;
  },
});

const deliver = (index: number, times: number): Op => ({
  label: `deliver(notification #${index}, x${times})`,
  applies: (m) => m.notifications > 0,
  async run(m, r) {
    // Mostly one of the latest few, sometimes any older one: late, repeated and out of order.
    const at = index % 3 === 0 ? index % m.notifications : Math.max(0, m.notifications - 1 - (index % 3));
    const body = r.yookassa.sent[at]!;
    for (let i = 0; i < times; i++) {
      const reply = await r.stack.request('POST', '/v1/webhooks/yookassa', { raw: body });
      expectReply(reply, m.faulted.has('get') ? [200, 503] : [200], 'webhook');
    }
  },
});

/** A notification nobody sent: claims success (or anything) for a real payment or an unknown one. */
const forge = (pick: number, event: string, unknownPayment: boolean): Op => ({
  label: `forge(#${pick}, ${event}${unknownPayment ? ', unknown payment' : ''})`,
  applies: (m) => unknownPayment || m.orders.some((o) => o.paymentId !== null),
  async run(m, r) {
    // Mostly a payment that has not succeeded: the forgery a thief would send.
    const paid = m.orders.filter((o) => o.paymentId !== null);
    const open = paid.filter((o) => r.yookassa.payment(o.paymentId!).status !== 'succeeded');
    const pool = open.length > 0 && pick % 4 !== 0 ? open : paid;
    const target = unknownPayment || pool.length === 0 ? null : pool[pick % pool.length]!;
    const id = target?.paymentId ?? `forged-${pick}`;
    const amount = target ? (Number(target.price.amountMinor) / 100).toFixed(2) : '1.00';
    const object = { id, payment_id: id, status: event.split('.')[1], paid: true, amount: { value: amount, currency: 'RUB' } };
    const reply = await r.stack.request('POST', '/v1/webhooks/yookassa', { body: { type: 'notification', event, object } });
    const allowed = target ? [200] : [409];
    expectReply(reply, m.faulted.has('get') && target ? [...allowed, 503] : allowed, 'forged webhook');
  },
});

const pollCycle: Op = {
  label: 'poll cycle',
  applies: () => true,
  async run(_m, r) {
    const report = await r.stack.runtime.poller.runCycle();
    if (report.errors > 0) throw new Failure(`poll cycle had ${report.errors} errors: ${JSON.stringify(report)}`);
  },
};

type FaultKind = 'timeout' | 'http500' | 'http503' | 'reset' | 'lostAnswer500' | 'lostAnswerTimeout';

function faultOf(kind: FaultKind, times: number) {
  switch (kind) {
    case 'timeout':
      return { delayMs: SLOW_MS, times };
    case 'http500':
      return { status: 500, times };
    case 'http503':
      return { status: 503, times };
    case 'reset':
      return { reset: true, times };
    case 'lostAnswer500':
      return { status: 500, afterEffect: true, times };
    case 'lostAnswerTimeout':
      return { delayMs: SLOW_MS, afterEffect: true, times };
  }
}

const providerFault = (route: 'create' | 'get' | 'refund', kind: FaultKind, times: number): Op => ({
  label: `provider fault(${route}, ${kind}, x${times})`,
  applies: () => true,
  async run(m, r) {
    // An after-effect fault on a GET is the same as one before it.
    r.yookassa.faults.inject(route, faultOf(route === 'get' && kind.startsWith('lostAnswer') ? 'http500' : kind, times));
    m.faulted.add(route);
  },
});

const deviceFault = (kind: FaultKind, times: number): Op => ({
  label: `device fault(${kind}, x${times})`,
  applies: () => true,
  async run(m, r) {
    r.stack.tmetr.faults.inject('make', faultOf(kind, times));
    m.faulted.add('make');
  },
});

const deviceMode = (mode: 'accept' | 'reject'): Op => ({
  label: `device mode ${mode}`,
  applies: () => true,
  async run(_m, r) {
    r.stack.tmetr.mode = mode;
  },
});

const deviceResult = (pick: number, result: 'made' | 'failed'): Op => ({
  label: `device reports(#${pick}, ${result})`,
  applies: hasOrders,
  async run(m, r) {
    // Mostly an order the device was asked to make; sometimes any (a rogue or confused report).
    const asked = m.orders.filter((o) => r.stack.tmetr.received.some((c) => c.order_id === o.id));
    const order = asked.length > 0 && pick % 4 !== 0 ? asked[pick % asked.length]! : pickOrder(m, pick);
    const reply = await r.stack.request('POST', `/v1/devices/${order.deviceId}/orders/${order.id}/result`, { body: { result }, token: DEVICE_TOKEN });
    expectReply(reply, [200], 'device result');
  },
});

const clockJump = (seconds: number): Op => ({
  label: `clock ${seconds >= 0 ? '+' : ''}${seconds}s`,
  applies: () => true,
  async run(_m, r) {
    r.clock.advance(seconds);
  },
});

const adminAction = (pick: number, action: 'mark_made' | 'refund' | 'resolve', operator: string): Op => ({
  label: `admin ${action}(#${pick}, by ${JSON.stringify(operator)})`,
  applies: hasOrders,
  async run(m, r) {
    const order = pickOrder(m, pick);
    const reply = await r.stack.admin('POST', `/orders/${order.id}/actions`, { action, operator, note: 'fault test' });
    expectReply(reply, [200, 409], 'admin action');
  },
});

const kick: Op = {
  label: 'dispatcher kick',
  applies: () => true,
  async run(_m, r) {
    await r.stack.runtime.dispatcher.kick();
  },
};

/** Several steps at once: the real interleavings of concurrent requests, polls and dispatch. */
const burst = (ops: Op[]): Op => ({
  label: `burst[${ops.map((o) => o.label).join(' | ')}]`,
  applies: () => true,
  async run(m, r) {
    await Promise.all(ops.filter((op) => op.applies(m)).map((op) => op.run(m, r)));
  },
});

class Step implements fc.AsyncCommand<Model, Real> {
  constructor(readonly op: Op) {}
  check(m: Readonly<Model>): boolean {
    return this.op.applies(m as Model);
  }
  async run(m: Model, r: Real): Promise<void> {
    stats.commands += 1;
    await this.op.run(m, r);
    await r.idle();
    // The provider also notifies on its own (a refund the dispatcher asked for): those queue up too.
    m.notifications = r.yookassa.sent.length;
    await verify(r);
  }
  toString(): string {
    return this.op.label;
  }
}

const pickArb = fc.nat(1000);
const faultKindArb = fc.constantFrom<FaultKind>('timeout', 'http500', 'http503', 'reset', 'lostAnswer500', 'lostAnswerTimeout');
const operatorArb = fc.constantFrom('anna', "o'brien; drop table orders", '<img src=x onerror=alert(1)>');

const quickOpArb: fc.Arbitrary<Op> = fc.oneof(
  fc.tuple(pickArb).map(([p]) => pay(p)),
  fc.tuple(fc.nat(1000), fc.integer({ min: 1, max: 2 })).map(([i, n]) => deliver(i, n)),
  fc.constant(pollCycle),
  fc.tuple(pickArb, fc.constantFrom<'made' | 'failed'>('made', 'failed')).map(([p, res]) => deviceResult(p, res)),
  fc.tuple(pickArb, fc.constantFrom<'mark_made' | 'refund' | 'resolve'>('mark_made', 'refund', 'resolve'), operatorArb).map(([p, a, o]) => adminAction(p, a, o)),
  fc.constant(kick),
  fc.tuple(pickArb).map(([p]) => customer(p, 'succeeded')),
);

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(fc.integer({ min: 1, max: 2 }), fc.oneof(fc.integer({ min: 1, max: 100_000 }), fc.constant(15_000)), fc.constantFrom(...productNames)).map(([d, p, n]) => createOrder(d, p, n)) },
  { weight: 4, arbitrary: pickArb.map((p) => pay(p)) },
  { weight: 4, arbitrary: fc
      .tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 100_000 }), fc.constantFrom(0, 0, 0, 4, 30, 299, 300, 301, 899, 901), fc.boolean())
      .map(([d, p, after, n]) => checkout(d, p, after, n)) },
  { weight: 4, arbitrary: pickArb.map((p) => customer(p, 'succeeded')) },
  { weight: 1, arbitrary: pickArb.map((p) => customer(p, 'canceled')) },
  { weight: 1, arbitrary: pickArb.map((p) => customer(p, 'waiting_for_capture')) },
  { weight: 5, arbitrary: fc.tuple(fc.nat(1000), fc.integer({ min: 1, max: 3 })).map(([i, n]) => deliver(i, n)) },
  {
    weight: 4,
    arbitrary: fc
      .tuple(pickArb, fc.constantFrom('payment.succeeded', 'payment.succeeded', 'payment.canceled', 'payment.waiting_for_capture', 'refund.succeeded'), fc.boolean())
      .map(([p, e, u]) => forge(p, e, u && p % 3 === 0)),
  },
  { weight: 4, arbitrary: fc.constant(pollCycle) },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom<'create' | 'get' | 'refund'>('create', 'get', 'refund'), faultKindArb, fc.integer({ min: 1, max: 3 })).map(([route, k, n]) => providerFault(route, k, n)) },
  { weight: 2, arbitrary: fc.tuple(faultKindArb, fc.integer({ min: 1, max: 3 })).map(([k, n]) => deviceFault(k, n)) },
  { weight: 1, arbitrary: fc.constantFrom<'accept' | 'reject'>('accept', 'reject').map(deviceMode) },
  { weight: 3, arbitrary: fc.tuple(pickArb, fc.constantFrom<'made' | 'failed'>('made', 'made', 'failed')).map(([p, res]) => deviceResult(p, res)) },
  {
    weight: 3,
    arbitrary: fc
      .oneof(
        fc.integer({ min: 1, max: 10 }),
        fc.integer({ min: 11, max: 120 }),
        fc.constantFrom(31, 301, 601, 901, 3600),
        fc.integer({ min: -5, max: -1 }),
      )
      .map(clockJump),
  },
  { weight: 2, arbitrary: fc.tuple(pickArb, fc.constantFrom<'mark_made' | 'refund' | 'resolve'>('mark_made', 'refund', 'resolve'), operatorArb).map(([p, a, o]) => adminAction(p, a, o)) },
  { weight: 2, arbitrary: fc.constant(kick) },
  { weight: 2, arbitrary: fc.array(quickOpArb, { minLength: 2, maxLength: 4 }).map(burst) },
);

const settingsArb = fc.record({
  LATE_PAYMENT_POLICY: fc.constantFrom('manual_make', 'refund'),
  PAYMENT_ATTEMPTS_LIMIT: fc.constantFrom('2', '3', '10'),
  MAKE_ATTEMPTS_LIMIT: fc.constantFrom('1', '2', '3'),
  STUCK_AFTER_S: fc.constantFrom('120', '600'),
});

async function runSchedule(env: Record<string, string>, steps: Iterable<fc.AsyncCommand<Model, Real>>): Promise<void> {
  const clock = new ManualClock(T0);
  const yookassa = new CapturingYooKassa({ shopId: SHOP_ID, secretKey: SECRET_KEY });
  const stack = await startStack({ clock, yookassa, env: { PAYMENT_API_TIMEOUT_S: String(TIMEOUT_S), ...env } });
  const dispatcher = stack.runtime.dispatcher;
  // The schedule decides when the machine reports, and when the dispatcher's timer would have fired.
  stack.tmetr.resultCallbackUrl = undefined;
  await dispatcher.stop();
  const passes = new Set<Promise<number>>();
  const backgroundErrors: unknown[] = [];
  const kickOnce = dispatcher.kick.bind(dispatcher);
  dispatcher.kick = () => {
    const pass = kickOnce();
    passes.add(pass);
    pass.then(
      () => passes.delete(pass),
      (error: unknown) => {
        passes.delete(pass);
        backgroundErrors.push(error);
      },
    );
    return pass;
  };
  const real: Real = {
    stack,
    clock,
    yookassa,
    expected: new Map(),
    backgroundErrors,
    async idle() {
      while (passes.size > 0) await Promise.allSettled([...passes]);
    },
  };
  try {
    for (const id of ['dev-1', 'dev-2']) await stack.createDevice(id, { client_info: '<p>Help: +7 000</p>' });
    await verify(real);
    await fc.asyncModelRun(() => ({ model: { orders: [], notifications: 0, faulted: new Set<FaultRoute>() }, real }), steps);
  } finally {
    await real.idle();
    for (const [status, n] of Object.entries(await stack.runtime.store.countOrdersByStatus())) {
      coverage.finalStatuses.set(status, (coverage.finalStatuses.get(status) ?? 0) + (n ?? 0));
    }
    coverage.makeCommandsAtDevice += stack.tmetr.received.length;
    await stack.stop();
  }
}

describe.runIf(FAULTS)('model-based fault injection against the real server, poller and sandboxes', () => {
  it(
    `keeps the six invariants after every step of ${RUNS} generated schedules`,
    async () => {
      const started = performance.now();
      const details = await fc.check(
        fc.asyncProperty(settingsArb, fc.commands([opArb.map((op) => new Step(op))], { maxCommands: MAX_COMMANDS, size: 'max' }), async (env, steps) => {
          stats.schedules += 1;
          try {
            await runSchedule(env, steps);
          } catch (error) {
            stats.failed += 1;
            if (error instanceof Failure) {
              if (error.violations.length > 0) stats.invariantViolations += 1;
              else stats.unexpectedReplies += 1;
            }
            throw error;
          }
        }),
        { numRuns: RUNS, ...(SEED === undefined ? {} : { seed: SEED }), endOnFailure: false, markInterruptAsFailure: true },
      );
      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      console.log(
        `model-based faults: schedules run: ${stats.schedules}, commands: ${stats.commands}, violations: ${stats.failed} ` +
          `(invariant: ${stats.invariantViolations}, unexpected reply: ${stats.unexpectedReplies}), seed ${details.seed}, ${seconds}s`,
      );
      console.log(
        `  final order statuses: ${JSON.stringify(Object.fromEntries(coverage.finalStatuses))}; make commands at the device: ${coverage.makeCommandsAtDevice}; ` +
          `HTTP replies by status: ${JSON.stringify(Object.fromEntries(coverage.replies))}`,
      );
      if (details.failed) console.log(fc.defaultReportMessage(details));
      expect(details.failed, details.failed ? String(details.errorInstance) : '').toBe(false);
      expect(stats.failed).toBe(0);
    },
    3_600_000,
  );
});
