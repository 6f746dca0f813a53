import Database from 'better-sqlite3';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock, type PaymentProvider } from '@paystate/core';
import {
  createRuntime,
  loadSettings,
  migratePg,
  migrateSqlite,
  openPg,
  openSqlite,
  Poller,
  YooKassaProvider,
  type Runtime,
} from '@paystate/server';
import { claimDueOrdersPg, claimDueRechecksPg, selectDueOrders, selectDueRechecks } from '@paystate/server/testing';
import { TmetrSandbox, YooKassaSandbox, type LoopbackServer } from '@paystate/sandbox';
import { effectRows } from '../../support/inspect.js';
import { tempDatabase, tempDatabaseUrl, testBackend, type TempDatabase } from '../../support/temp-db.js';

const T0 = '2026-03-01T09:00:00.000Z';
const silent = pino({ level: 'silent' });
const SHOP = { shopId: 'shop-1', secretKey: 'secret-1' };

interface Stack {
  clock: ManualClock;
  runtime: Runtime;
  yookassa: YooKassaSandbox;
  tmetr: TmetrSandbox;
  db: TempDatabase;
  /** Calls in flight at the provider port right now, the most seen at once, and when each payment was checked. */
  inFlight: { now: number; max: number; checks: Map<string, number>; at: Map<string, number[]> };
}

let cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  cleanups = [];
});

/** Counts concurrent calls on their way to the real adapter (which still goes over HTTP). */
function counting(
  provider: PaymentProvider,
  inFlight: Stack['inFlight'],
  clock: ManualClock,
  checkTakesS: number,
): PaymentProvider {
  return Object.assign(Object.create(provider) as PaymentProvider, {
    async getPaymentStatus(id: string) {
      inFlight.now += 1;
      inFlight.max = Math.max(inFlight.max, inFlight.now);
      inFlight.checks.set(id, (inFlight.checks.get(id) ?? 0) + 1);
      inFlight.at.set(id, [...(inFlight.at.get(id) ?? []), clock.now().getTime()]);
      try {
        return await provider.getPaymentStatus(id);
      } finally {
        inFlight.now -= 1;
        // A real check takes time: the decision that follows sees a later clock.
        clock.advance(checkTakesS);
      }
    },
  });
}

async function stack(env: Record<string, string> = {}, queryable = true, checkTakesS = 0): Promise<Stack> {
  const clock = new ManualClock(T0);
  const yookassa = new YooKassaSandbox(SHOP);
  const tmetr = new TmetrSandbox({ token: 'tmetr-token' });
  const servers: LoopbackServer[] = [];
  const y = await yookassa.start();
  const t = await tmetr.start();
  servers.push(y, t);
  const temp = await tempDatabase();
  const settings = loadSettings({
    DATABASE_URL: temp.url,
    YOOKASSA_API_URL: y.apiUrl,
    YOOKASSA_SHOP_ID: SHOP.shopId,
    YOOKASSA_SECRET_KEY: SHOP.secretKey,
    TMETR_API_URL: t.url,
    TMETR_TOKEN: 'tmetr-token',
    PAYMENT_API_TIMEOUT_S: '0.3',
    LOG_LEVEL: 'silent',
    ...env,
  });
  const inFlight = { now: 0, max: 0, checks: new Map<string, number>(), at: new Map<string, number[]>() };
  const real = new YooKassaProvider({
    apiUrl: y.apiUrl,
    ...SHOP,
    timeoutMs: settings.PAYMENT_API_TIMEOUT_S * 1000,
    logger: silent,
  });
  const provider = Object.assign(
    counting(real, inFlight, clock, checkTakesS),
    queryable ? {} : { canQueryStatus: false },
  );
  const runtime = createRuntime({ settings, clock, logger: silent, providers: new Map([['yookassa', provider]]) });
  await runtime.store.upsertDevice({
    id: 'dev-1',
    name: 'Lobby',
    location: '',
    logoUrl: null,
    clientInfo: '',
    clientInfoByStatus: {},
  });
  cleanups.push(
    temp.cleanup,
    () => Promise.all(servers.map((s) => s.close())).then(() => undefined),
    () => runtime.close(),
  );
  return { clock, runtime, yookassa, tmetr, db: temp, inFlight };
}

async function pendingOrder(s: Stack, price = 15_000): Promise<{ orderId: string; paymentId: string }> {
  const record = await s.runtime.orders.create({
    deviceId: 'dev-1',
    productId: 'latte',
    productName: 'Latte',
    size: 'M',
    price: { amountMinor: price, currency: 'RUB' },
    provider: 'yookassa',
  });
  await s.runtime.orders.pay(record.order.orderId);
  const payment = s.yookassa.paymentFor(record.order.orderId);
  if (!payment) throw new Error('sandbox saw no payment');
  return { orderId: record.order.orderId, paymentId: payment.id };
}

const order = async (s: Stack, id: string) => (await s.runtime.store.getOrder(id))!;

async function alertsOf(s: Stack, orderId: string, kind: string): Promise<number> {
  return (await effectRows(s.db, orderId)).filter((row) => row.kind === 'ALERT' && row.payload.kind === kind).length;
}

describe('poller against the YooKassa sandbox over loopback', () => {
  it('checks on the fast track, then the slow track, and a slow-track success is manual_make without a make command', async () => {
    const s = await stack();
    const { orderId, paymentId } = await pendingOrder(s);

    expect((await s.runtime.poller.runCycle()).due).toBe(0);
    s.clock.advance(5);
    const first = await s.runtime.poller.runCycle();
    expect(first).toMatchObject({ due: 1, answered: 1 });
    let o = (await order(s, orderId)).order;
    expect(o).toMatchObject({
      checkAttempts: 1,
      lastCheckAt: '2026-03-01T09:00:05.000Z',
      nextCheckAt: '2026-03-01T09:00:10.000Z',
    });

    s.clock.set('2026-03-01T09:05:01.000Z'); // past FAST_TRACK_LIMIT_S (300)
    await s.runtime.poller.runCycle();
    o = (await order(s, orderId)).order;
    expect(o.nextCheckAt).toBe('2026-03-01T09:06:01.000Z'); // SLOW_TRACK_INTERVAL_S (60)

    await s.yookassa.setStatus(paymentId, 'succeeded', false);
    s.clock.advance(60);
    const late = await s.runtime.poller.runCycle();
    expect(late.moved).toEqual({ manual_make: 1 });
    await s.runtime.dispatcher.kick();
    expect(s.tmetr.received).toHaveLength(0);
    expect((await order(s, orderId)).order.nextCheckAt).toBeNull();
  });

  it('a fast-track success found by polling sends exactly one make command', async () => {
    const s = await stack();
    const { orderId, paymentId } = await pendingOrder(s);
    await s.yookassa.setStatus(paymentId, 'succeeded', false);
    s.clock.advance(5);
    expect((await s.runtime.poller.runCycle()).moved).toEqual({ paid: 1 });
    await s.runtime.dispatcher.kick();
    s.clock.advance(5);
    expect((await s.runtime.poller.runCycle()).due).toBe(0);
    await s.runtime.dispatcher.kick();
    expect(s.tmetr.received.map((c) => c.order_id)).toEqual([orderId]);
    expect((await order(s, orderId)).status).toBe('make_pending');
  });

  it('a provider outage longer than PAYMENT_ATTEMPTS_LIMIT checks never fails the order: one provider_unreachable alert, money found after the outage', async () => {
    const s = await stack({ PAYMENT_ATTEMPTS_LIMIT: '3', ORDER_TTL_S: '3600' });
    const { orderId, paymentId } = await pendingOrder(s);
    // Six minutes of 5xx, a cycle every 5 s: far more than three checks, and past the fast track.
    s.yookassa.faults.inject('get', { status: 503, times: 1000 });
    let failedChecks = 0;
    for (let i = 0; i < 72; i++) {
      s.clock.advance(5);
      const report = await s.runtime.poller.runCycle();
      failedChecks += report.failedChecks;
      expect(report.moved).toEqual({});
    }
    expect(failedChecks).toBeGreaterThanOrEqual(3);
    // Backoff: far fewer checks than cycles.
    expect(failedChecks).toBeLessThan(36);
    const during = await order(s, orderId);
    expect(during.status).toBe('pending');
    expect(during.order.nextCheckAt).not.toBeNull();
    expect(await alertsOf(s, orderId, 'provider_unreachable')).toBe(1);
    expect(await alertsOf(s, orderId, 'check_attempts_exhausted')).toBe(0);

    // The provider comes back; the customer had paid (webhook lost): the next checks find the money.
    s.yookassa.faults.clear();
    await s.yookassa.setStatus(paymentId, 'succeeded', false);
    for (let i = 0; i < 20 && (await order(s, orderId)).status === 'pending'; i++) {
      s.clock.advance(5);
      await s.runtime.poller.runCycle();
    }
    expect((await order(s, orderId)).status).toBe('manual_make');
  });

  it('expires pending orders past expires_at and never checks them again', async () => {
    const s = await stack({ ORDER_TTL_S: '60' });
    const { orderId } = await pendingOrder(s);
    s.clock.advance(61);
    const report = await s.runtime.poller.runCycle();
    expect(report).toMatchObject({ expired: 1, due: 0 });
    expect(await order(s, orderId)).toMatchObject({ status: 'expired', order: { nextCheckAt: null } });
  });

  it('asks the provider once more before expiring: money paid after the last check (webhook lost) is found, never made', async () => {
    const s = await stack({ ORDER_TTL_S: '60', FAST_TRACK_LIMIT_S: '600' });
    const { orderId, paymentId } = await pendingOrder(s);
    for (let i = 0; i < 11; i++) {
      s.clock.advance(5);
      await s.runtime.poller.runCycle();
    }
    expect((await order(s, orderId)).status).toBe('pending');
    // Paid 5 s before expiry, after the last check; the notification never arrives.
    await s.yookassa.setStatus(paymentId, 'succeeded', false);
    s.clock.advance(6);
    const report = await s.runtime.poller.runCycle();
    expect(report.expired).toBe(0);
    const found = await order(s, orderId);
    expect(found.status).toBe('manual_make');
    expect(found.order.nextCheckAt).toBeNull();
    await s.runtime.dispatcher.kick();
    expect(s.tmetr.received).toHaveLength(0);
    expect(await alertsOf(s, orderId, 'manual_make')).toBe(1);
  });

  it('expires an order whose final ask gets no answer (late-money re-checks take over)', async () => {
    const s = await stack({ ORDER_TTL_S: '60' });
    const { orderId } = await pendingOrder(s);
    s.yookassa.faults.inject('get', { status: 503, times: 1000 });
    s.clock.advance(61);
    const report = await s.runtime.poller.runCycle();
    expect(report.expired).toBe(1);
    expect((await order(s, orderId)).status).toBe('expired');
  });

  it('re-checks an expired order that has a provider payment: money that arrives late (no webhook) is found', async () => {
    const s = await stack({ ORDER_TTL_S: '60' });
    const { orderId, paymentId } = await pendingOrder(s);
    s.yookassa.faults.inject('get', { status: 503, times: 1000 });
    s.clock.advance(61);
    await s.runtime.poller.runCycle();
    expect((await order(s, orderId)).status).toBe('expired');
    s.yookassa.faults.clear();
    // Paid at the provider long after expiry; the notification is lost.
    await s.yookassa.setStatus(paymentId, 'succeeded', false);
    let found = false;
    for (let minute = 0; minute < 90 && !found; minute++) {
      s.clock.advance(60);
      await s.runtime.poller.runCycle();
      found = (await order(s, orderId)).status !== 'expired';
    }
    expect((await order(s, orderId)).status).toBe('manual_make');
    await s.runtime.dispatcher.kick();
    expect(s.tmetr.received).toHaveLength(0);
    expect(await alertsOf(s, orderId, 'manual_make')).toBe(1);
  });

  it('re-checks failed and not_paid orders too, and stops after LATE_MONEY_WINDOW_S', async () => {
    const s = await stack({ LATE_MONEY_WINDOW_S: '7200' });
    const a = await pendingOrder(s);
    await s.yookassa.setStatus(a.paymentId, 'canceled', false);
    s.clock.advance(5);
    await s.runtime.poller.runCycle();
    expect((await order(s, a.orderId)).status).toBe('not_paid');
    const before = s.inFlight.checks.get(a.paymentId) ?? 0;
    for (let i = 0; i < 4 * 24; i++) {
      s.clock.advance(900);
      await s.runtime.poller.runCycle();
    }
    const rechecks = (s.inFlight.checks.get(a.paymentId) ?? 0) - before;
    // 5 min, 1 h, then the window's end (2 h): three re-checks, then none.
    expect(rechecks).toBe(3);
    expect((await order(s, a.orderId)).order.recheckAt).toBeNull();
  });

  it('verify works on any order with a provider payment, not only pending ones', async () => {
    const s = await stack({ ORDER_TTL_S: '60' });
    const { orderId, paymentId } = await pendingOrder(s);
    s.yookassa.faults.inject('get', { status: 503, times: 1 });
    s.clock.advance(61);
    await s.runtime.poller.runCycle();
    expect((await order(s, orderId)).status).toBe('expired');
    await s.yookassa.setStatus(paymentId, 'succeeded', false);
    const decision = await s.runtime.orders.operatorAction(orderId, 'verify', 'maria');
    expect(decision.status).toBe('manual_make');
  });

  it('raises one stuck alert per order, not one per cycle', async () => {
    const s = await stack({ STUCK_AFTER_S: '30', ORDER_TTL_S: '3600' });
    const { orderId } = await pendingOrder(s);
    const stuck = [];
    for (let i = 0; i < 4; i++) {
      s.clock.advance(15);
      stuck.push((await s.runtime.poller.runCycle()).stuckAlerts);
    }
    expect(stuck).toEqual([0, 1, 0, 0]);
    expect(await alertsOf(s, orderId, 'stuck')).toBe(1);
  });

  it('checks many due orders with at most POLL_CONCURRENCY in flight and at most MAX_ORDERS_PER_CYCLE, oldest due first', async () => {
    const s = await stack({ POLL_CONCURRENCY: '3', MAX_ORDERS_PER_CYCLE: '8' });
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) {
      ids.push((await pendingOrder(s)).orderId);
      s.clock.advance(1);
    }
    s.yookassa.faults.inject('get', { delayMs: 40, times: 100 });
    s.clock.advance(5);
    const report = await s.runtime.poller.runCycle();
    expect(report).toMatchObject({ due: 8, answered: 8 });
    expect(s.inFlight.max).toBe(3);
    const checked = await Promise.all(ids.map(async (id) => (await order(s, id)).order.checkAttempts));
    expect(checked).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0]);
  });

  it('fair polling: with 10x decoys (more due orders than MAX_ORDERS_PER_CYCLE) no order waits more than two cycles past its due time', async () => {
    const s = await stack({
      MAX_ORDERS_PER_CYCLE: '10',
      FAST_TRACK_INTERVAL_S: '50',
      SLOW_TRACK_INTERVAL_S: '50',
      ORDER_TTL_S: '7200',
    });
    const created = new Map<string, number>();
    const add = async (at: number) => {
      s.clock.set(Date.parse(T0) + at * 1000);
      const { paymentId } = await pendingOrder(s);
      created.set(paymentId, Date.parse(T0) + at * 1000);
    };
    // The customer's order first, then ten newer decoys due in every 5 s cycle: a hundred in all.
    await add(0.5);
    for (let group = 0; group < 10; group++) for (let i = 0; i < 10; i++) await add(1 + group * 5 + i * 0.4);
    for (let cycle = 0; cycle < 30; cycle++) {
      s.clock.set(Date.parse(T0) + (55 + cycle * 5) * 1000);
      await s.runtime.poller.runCycle();
    }
    const end = Date.parse(T0) + (55 + 29 * 5) * 1000;
    const twoCycles = 10_000;
    for (const [paymentId, at] of created) {
      // Every check is due 50 s after the one before (the first 50 s after paying).
      const checks = s.inFlight.at.get(paymentId) ?? [];
      let due = at + 50_000;
      for (const checkedAt of checks) {
        expect(checkedAt - due, `payment ${paymentId}`).toBeLessThanOrEqual(twoCycles);
        due = checkedAt + 50_000;
      }
      expect(end - due, `payment ${paymentId} has a check overdue`).toBeLessThanOrEqual(twoCycles);
    }
  });

  it('checks at the configured spacing: FAST_TRACK_INTERVAL_S=5 with a 5 s cycle checks every cycle, though each check takes time', async () => {
    const s = await stack({ FAST_TRACK_INTERVAL_S: '5', PAYMENT_CHECK_INTERVAL_S: '5' }, true, 0.3);
    const { paymentId } = await pendingOrder(s);
    for (let cycle = 1; cycle <= 10; cycle++) {
      s.clock.set(Date.parse(T0) + cycle * 5000);
      await s.runtime.poller.runCycle();
    }
    const at = s.inFlight.at.get(paymentId) ?? [];
    expect(at).toHaveLength(10);
    expect(at.slice(1).map((t, i) => t - at[i]!)).toEqual(Array(9).fill(5000));
  });

  it('a provider that hangs holds the cycle no longer than the timeout and counts as a failed check', async () => {
    const s = await stack({ POLL_CONCURRENCY: '4' });
    const ids = [(await pendingOrder(s)).orderId, (await pendingOrder(s)).orderId];
    s.yookassa.faults.inject('get', { delayMs: 10_000, times: 2 });
    s.clock.advance(5);
    const started = performance.now();
    const report = await s.runtime.poller.runCycle();
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(report).toMatchObject({ due: 2, failedChecks: 2, answered: 0 });
    for (const id of ids) expect((await order(s, id)).order).toMatchObject({ failedChecks: 1, checkAttempts: 1 });
  });

  it('never polls a provider that cannot be asked for a status (webhooks only)', async () => {
    const s = await stack({}, false);
    await pendingOrder(s);
    s.clock.advance(5);
    expect(await s.runtime.poller.runCycle()).toMatchObject({ due: 0, answered: 0 });
    expect(s.inFlight.max).toBe(0);
  });

  it('a cycle asked for while one runs is that same cycle, never a second overlapping one', async () => {
    const s = await stack();
    await pendingOrder(s);
    s.yookassa.faults.inject('get', { delayMs: 100 });
    s.clock.advance(5);
    const [a, b] = await Promise.all([s.runtime.poller.runCycle(), s.runtime.poller.runCycle()]);
    expect(b).toBe(a);
    expect(a).toMatchObject({ due: 1, answered: 1 });
    expect(s.inFlight.max).toBe(1);
  });

  it("two pollers on one database check each due order once; a dead poller's claims come back after the lease", async () => {
    const s = await stack({ POLL_CONCURRENCY: '2' });
    const payments = [];
    for (let i = 0; i < 10; i++) payments.push((await pendingOrder(s)).paymentId);
    s.yookassa.faults.inject('get', { delayMs: 20, times: 100 });
    s.clock.advance(5);
    const second = new Poller({
      store: s.runtime.store,
      orders: s.runtime.orders,
      providers: s.runtime.providers,
      clock: s.clock,
      logger: silent,
      maxOrdersPerCycle: 100,
      concurrency: 2,
      stuckAfterS: 600,
      checkTimeoutMs: 300,
    });
    const [a, b] = await Promise.all([s.runtime.poller.runCycle(), second.runCycle()]);
    expect(a.due + b.due).toBe(10);
    expect(payments.map((id) => s.inFlight.checks.get(id))).toEqual(Array(10).fill(1));

    // A poller that claimed and died: nothing else checks those orders until the lease lapses.
    s.clock.advance(5);
    const dead = await s.runtime.store.claimDueOrders(
      'dead-poller',
      s.clock.now().toISOString(),
      new Date(s.clock.now().getTime() + 30_000).toISOString(),
      ['yookassa'],
      100,
    );
    expect(dead).toHaveLength(10);
    expect((await second.runCycle()).due).toBe(0);
    s.clock.advance(31);
    expect((await second.runCycle()).due).toBe(10);
  });

  it('stop() lets the running cycle finish its transactions before it resolves', async () => {
    const s = await stack();
    const { orderId } = await pendingOrder(s);
    s.yookassa.faults.inject('get', { delayMs: 150 });
    s.clock.advance(5);
    const cycle = s.runtime.poller.runCycle();
    await new Promise((resolve) => setTimeout(resolve, 20));
    await s.runtime.poller.stop();
    expect((await order(s, orderId)).order.checkAttempts).toBe(1);
    expect(await cycle).toMatchObject({ due: 1, answered: 1 });
  });

  it('a webhook and a poll racing on one order send exactly one make command', async () => {
    // 17 re-reads at once on a busy 2-core machine: a generous deadline, so that every one is answered.
    const s = await stack({ PAYMENT_API_TIMEOUT_S: '5' });
    const orders = [];
    for (let i = 0; i < 8; i++) orders.push(await pendingOrder(s));
    for (const o of orders) await s.yookassa.setStatus(o.paymentId, 'succeeded', false);
    s.clock.advance(5);
    const webhook = (paymentId: string) =>
      s.runtime.webhooks.receive(
        'yookassa',
        null,
        {},
        JSON.stringify({
          type: 'notification',
          event: 'payment.succeeded',
          object: { id: paymentId, status: 'succeeded' },
        }),
      );
    await Promise.all([
      s.runtime.poller.runCycle(),
      ...orders.map((o) => webhook(o.paymentId)),
      ...orders.map((o) => webhook(o.paymentId)),
    ]);
    await s.runtime.dispatcher.kick();
    for (const o of orders) {
      expect(s.tmetr.received.filter((c) => c.order_id === o.orderId)).toHaveLength(1);
      expect((await order(s, o.orderId)).status).toBe('make_pending');
    }
  });
});

describe('due-orders query', () => {
  if (testBackend === 'sqlite') {
    it('is answered from orders_due_idx, not a table scan', () => {
      const temp = tempDatabaseUrl();
      const { db, close } = openSqlite(temp.url);
      cleanups.push(temp.cleanup, close);
      migrateSqlite(db);
      const query = selectDueOrders(db, T0, ['yookassa'], 100).toSQL();
      const sqlite = new Database(temp.path, { readonly: true });
      cleanups.push(() => sqlite.close());
      const plan = sqlite.prepare(`explain query plan ${query.sql}`).all(...query.params) as Array<{ detail: string }>;
      const details = plan.map((row) => row.detail).join('\n');
      expect(details).toContain('SEARCH orders USING INDEX orders_due_idx (status=? AND next_check_at<?)');
      expect(details).not.toMatch(/SCAN orders\b/);
    });

    it('the late-money re-check query is answered from orders_recheck_idx, not a table scan', () => {
      const temp = tempDatabaseUrl();
      const { db, close } = openSqlite(temp.url);
      cleanups.push(temp.cleanup, close);
      migrateSqlite(db);
      const query = selectDueRechecks(db, T0, ['yookassa'], 100).toSQL();
      const sqlite = new Database(temp.path, { readonly: true });
      cleanups.push(() => sqlite.close());
      const plan = sqlite.prepare(`explain query plan ${query.sql}`).all(...query.params) as Array<{ detail: string }>;
      const details = plan.map((row) => row.detail).join('\n');
      expect(details).toContain('SEARCH orders USING INDEX orders_recheck_idx (recheck_at<?)');
      expect(details).not.toMatch(/SCAN orders\b/);
    });
  } else {
    // No planner switches: the planner's choice on a realistic table is its own.
    /**
     * A migrated database whose orders table holds a realistic mix, ANALYZEd, so the planner's
     * choice is its own: 50,000 orders over the past days, 98% settled and 2% `status`, whose
     * `dueColumn` falls `dueAfter` after their creation, spread around now.
     */
    async function plannedDatabase(status: string, dueColumn: 'next_check_at' | 'recheck_at', dueAfter: string) {
      const temp = await tempDatabase();
      const { db, pool, close } = openPg(temp.url);
      cleanups.push(temp.cleanup, close);
      await migratePg(pool);
      await pool.query(`insert into devices (id, name, created_at, updated_at) values ('dev-1', 'Lobby', $1, $1)`, [
        T0,
      ]);
      await pool.query(
        `insert into orders (id, device_id, product_id, product_name, size, price_minor, currency, provider, provider_payment_id,
           status, created_at, expires_at, payment_started_at, ${dueColumn}, snapshot, version, updated_at)
         select 'o-' || i, 'dev-1', 'latte', 'Latte', 'M', 15000, 'RUB', 'yookassa', 'pay-' || i,
           case when i % 50 = 0 then $2 else 'successful' end,
           to_char(t, 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), to_char(t + interval '15 minutes', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
           to_char(t, 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
           case when i % 50 = 0 then to_char(t + $3::interval, 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') end,
           '{}'::jsonb, 2, to_char(t, 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
         from generate_series(1, 50000) as i, lateral (select $1::timestamp - (50000 - i) * interval '10 seconds' as t) as at`,
        [T0.replace('Z', ''), status, dueAfter],
      );
      await pool.query('analyze orders');
      return { db, pool };
    }

    it('the claim (UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED)) finds due orders through orders_due_idx, not a table scan', async () => {
      const { db, pool } = await plannedDatabase('pending', 'next_check_at', '5 seconds');
      const query = claimDueOrdersPg(db, 'w1', T0, '2026-03-01T09:00:30.000Z', ['yookassa'], 100).toSQL();
      const { rows } = await pool.query<{ 'QUERY PLAN': unknown }>(`explain (format json) ${query.sql}`, query.params);
      const nodes = planNodes(rows[0]!['QUERY PLAN']);
      expect(
        nodes
          .filter((n) => n['Relation Name'] === 'orders' || n['Index Name']?.startsWith('orders'))
          .map((n) => n['Index Name'] ?? n['Node Type']),
      ).toContain('orders_due_idx');
      expect(nodes.filter((n) => n['Node Type'] === 'Seq Scan' && n['Relation Name'] === 'orders')).toEqual([]);
      expect(nodes.some((n) => n['Node Type'] === 'LockRows')).toBe(true);
    });

    it('the late-money re-check claim finds due re-checks through orders_recheck_idx, not a table scan', async () => {
      const { db, pool } = await plannedDatabase('expired', 'recheck_at', '20 minutes');
      const query = claimDueRechecksPg(db, 'w1', T0, '2026-03-01T09:00:30.000Z', ['yookassa'], 100).toSQL();
      const { rows } = await pool.query<{ 'QUERY PLAN': unknown }>(`explain (format json) ${query.sql}`, query.params);
      const nodes = planNodes(rows[0]!['QUERY PLAN']);
      expect(nodes.map((n) => n['Index Name'])).toContain('orders_recheck_idx');
      expect(nodes.filter((n) => n['Node Type'] === 'Seq Scan' && n['Relation Name'] === 'orders')).toEqual([]);
    });
  }
});

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

/** Every node of an EXPLAIN (FORMAT JSON) plan, depth first. */
function planNodes(explained: unknown): PlanNode[] {
  const root = (explained as Array<{ Plan: PlanNode }>)[0]!.Plan;
  const all: PlanNode[] = [];
  const walk = (node: PlanNode) => {
    all.push(node);
    for (const child of node.Plans ?? []) walk(child);
  };
  walk(root);
  return all;
}
