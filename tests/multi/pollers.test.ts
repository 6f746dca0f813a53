import { afterEach, describe, expect, it } from 'vitest';
import { lifecycleConfigSchema } from '@paystate/core';
import { TmetrSandbox, YooKassaSandbox, type LoopbackServer } from '@paystate/sandbox';
import { waitFor } from '../support/harness.js';
import { pgQuery } from '../support/inspect.js';
import { PollerProcess } from '../support/poller-process.js';
import { seedPendingOrders, type SeededOrder } from '../support/seed.js';
import { tempDatabase, type TempDatabase } from '../support/temp-db.js';

// Several poller processes on one PostgreSQL database, the way production scales out. Every
// process's clock stands still at T0 (PAYSTATE_FIXED_NOW): the seeded orders' payments started
// at T0 - 600 s, FAST_TRACK_INTERVAL_S is 600, so each order is due exactly at T0 and, once
// checked, not again before T0 + 600 s. "Checked once per due time" is then "checked once".

const STARTED = '2026-03-01T09:00:00.000Z';
const T0 = '2026-03-01T09:10:00.000Z';
const lifecycle = {
  FAST_TRACK_INTERVAL_S: '600',
  FAST_TRACK_LIMIT_S: '3600',
  SLOW_TRACK_INTERVAL_S: '3600',
  ORDER_TTL_S: '86400',
};
const config = lifecycleConfigSchema.parse(lifecycle);
const SHOP = { shopId: 'shop-multi', secretKey: 'secret-multi' };
const TMETR_TOKEN = 'tmetr-multi';

let cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  cleanups = [];
});

interface World {
  db: TempDatabase;
  yookassa: YooKassaSandbox;
  tmetr: TmetrSandbox;
  env: (extra?: Record<string, string>) => Record<string, string>;
  start: (extra?: Record<string, string>) => PollerProcess;
}

async function world(): Promise<World> {
  const db = await tempDatabase('postgres');
  const yookassa = new YooKassaSandbox(SHOP);
  const tmetr = new TmetrSandbox({ token: TMETR_TOKEN });
  const servers: LoopbackServer[] = [];
  const processes: PollerProcess[] = [];
  cleanups.push(db.cleanup, () => Promise.all(servers.map((s) => s.close())));
  const y = await yookassa.start();
  servers.push(y);
  servers.push(await tmetr.start());
  cleanups.push(() =>
    Promise.all(
      processes.map((p) => (p.child.exitCode === null && p.child.signalCode === null ? p.kill() : undefined)),
    ),
  );
  const env = (extra: Record<string, string> = {}) => ({
    DATABASE_URL: db.url,
    PAYMENT_PROVIDER: 'yookassa',
    YOOKASSA_API_URL: y.apiUrl,
    YOOKASSA_SHOP_ID: SHOP.shopId,
    YOOKASSA_SECRET_KEY: SHOP.secretKey,
    TMETR_API_URL: servers[1]!.url,
    TMETR_TOKEN,
    STUCK_AFTER_S: '86400',
    PAYMENT_API_TIMEOUT_S: '10',
    LOG_LEVEL: 'error',
    PAYSTATE_FIXED_NOW: T0,
    ...lifecycle,
    ...extra,
  });
  const start = (extra: Record<string, string> = {}) => {
    const poller = new PollerProcess(env(extra));
    processes.push(poller);
    return poller;
  };
  return { db, yookassa, tmetr, env, start };
}

/** Make commands the machine received, per order id. */
function makesPerOrder(tmetr: TmetrSandbox): Map<string, number> {
  const counts = new Map<string, number>();
  for (const command of tmetr.received) counts.set(command.order_id, (counts.get(command.order_id) ?? 0) + 1);
  return counts;
}

function expectOneMakePerPaidOrder(tmetr: TmetrSandbox, seeded: SeededOrder[]): void {
  const makes = makesPerOrder(tmetr);
  const paid = seeded.filter((o) => o.succeeded).map((o) => o.orderId);
  expect(paid.length).toBeGreaterThan(0);
  expect([...makes.keys()].sort()).toEqual([...paid].sort());
  expect([...makes.values()].every((n) => n === 1)).toBe(true);
}

describe('several poller processes on one PostgreSQL database', () => {
  it('three processes over 10,000 due orders: each order checked exactly once, each paid order gets exactly one make command', async () => {
    const w = await world();
    const seeded = await seedPendingOrders(w.db.url, {
      count: 10_000,
      paymentStartedAt: STARTED,
      config,
      yookassa: w.yookassa,
      succeeded: (i) => i % 7 === 3,
    });
    const pollers = [0, 1, 2].map(() =>
      w.start({ PAYSTATE_WAIT_FOR_GO: '1', MAX_ORDERS_PER_CYCLE: '250', POLL_CONCURRENCY: '8' }),
    );
    await Promise.all(pollers.map((p) => p.ready));
    for (const p of pollers) p.go();
    const totals = await Promise.all(pollers.map((p) => p.done));

    // All three did a share of the work, and between them claimed every order once.
    expect(totals.map((t) => t.errors)).toEqual([0, 0, 0]);
    expect(totals.map((t) => t.failedChecks)).toEqual([0, 0, 0]);
    for (const t of totals) expect(t.due).toBeGreaterThan(0);
    expect(totals.reduce((sum, t) => sum + t.due, 0)).toBe(10_000);

    // The provider saw exactly one status check per payment.
    expect(w.yookassa.checks.size).toBe(10_000);
    const checkedTwice = seeded.filter((o) => w.yookassa.checks.get(o.paymentId) !== 1);
    expect(checkedTwice).toEqual([]);

    // The machine got one make command per paid order, and none for the others.
    expectOneMakePerPaidOrder(w.tmetr, seeded);

    // The database agrees: one committed check per order, nothing left due or leased, the outbox empty.
    const [state] = await pgQuery<{ once: string; leased: string; due: string; paid: string; pending_effects: string }>(
      w.db,
      `select count(*) filter (where check_attempts = 1) as once,
                count(*) filter (where poll_claimed_by is not null) as leased,
                count(*) filter (where status = 'pending' and next_check_at <= $1) as due,
                count(*) filter (where status = 'make_pending') as paid,
                (select count(*) from effects where status <> 'done') as pending_effects
         from orders`,
      [T0],
    );
    expect(state).toEqual({
      once: '10000',
      leased: '0',
      due: '0',
      paid: String(seeded.filter((o) => o.succeeded).length),
      pending_effects: '0',
    });
  }, 180_000);

  it('a poller killed by SIGKILL mid-cycle loses no order: its claims hold until the lease lapses, then another poller checks them all', async () => {
    const w = await world();
    const seeded = await seedPendingOrders(w.db.url, {
      count: 600,
      paymentStartedAt: STARTED,
      config,
      yookassa: w.yookassa,
      succeeded: (i) => i % 5 === 1,
    });
    // Every status check takes 40 ms, so a cycle of 200 checks, 8 at a time, runs for about a second.
    w.yookassa.faults.inject('get', { delayMs: 40, times: 1_000_000 });
    // Lease: max(30 s, ceil(200 / 8) rounds × (1 s timeout + 1 s)) = 50 s.
    const settings = { MAX_ORDERS_PER_CYCLE: '200', POLL_CONCURRENCY: '8', PAYMENT_API_TIMEOUT_S: '1' };

    const doomed = w.start({ ...settings, PAYSTATE_ANNOUNCE_CLAIMS: '1' });
    const { claimed, workerId: dead } = await doomed.firstClaim;
    expect(claimed).toBe(200);
    // Killed once a few checks have committed: with 25 rounds of 40 ms, most of the cycle is still ahead.
    await waitFor(
      async () =>
        Number(
          (await pgQuery<{ n: string }>(w.db, 'select count(*) as n from orders where check_attempts = 1'))[0]?.n,
        ) >= 8,
      10_000,
      'the doomed poller to commit a few checks',
    );
    expect((await doomed.kill('SIGKILL')).signal).toBe('SIGKILL');

    // Mid-cycle: some of its orders were checked and committed, the rest are still leased to it.
    const leftovers = (
      await pgQuery<{ payment: string }>(
        w.db,
        'select provider_payment_id as payment from orders where poll_claimed_by = $1',
        [dead],
      )
    ).map((row) => row.payment);
    const [{ committed }] = (await pgQuery<{ committed: string }>(
      w.db,
      'select count(*) as committed from orders where check_attempts = 1',
    )) as [{ committed: string }];
    expect(leftovers.length).toBeGreaterThan(0);
    expect(Number(committed)).toBeGreaterThan(0);
    expect(leftovers.length + Number(committed)).toBe(200);
    const checksAtDeath = new Map(leftovers.map((payment) => [payment, w.yookassa.checks.get(payment) ?? 0]));
    // Its dispatcher was woken by the orders it moved to paid: make commands it had claimed but
    // not marked done stay leased to it too (30 s), and may have reached the machine already.
    const effectsInFlight = (
      await pgQuery<{ order: string }>(
        w.db,
        "select order_id as order from effects where status = 'pending' and claimed_by is not null",
      )
    ).map((row) => row.order);

    // A live poller at the same instant takes everything else and leaves the dead one's orders alone.
    const live = await w.start(settings).done;
    expect(live).toMatchObject({ due: 400, errors: 0, failedChecks: 0 });
    for (const payment of leftovers) expect(w.yookassa.checks.get(payment) ?? 0).toBe(checksAtDeath.get(payment));

    // Once the lease has lapsed, the next poller checks exactly the orders the dead one never finished.
    const later = new Date(Date.parse(T0) + 120_000).toISOString();
    const recovery = await w.start({ ...settings, PAYSTATE_FIXED_NOW: later }).done;
    expect(recovery).toMatchObject({ due: leftovers.length, answered: leftovers.length, errors: 0 });

    // Every order has exactly one committed check; none is lost, none is still leased or due.
    const [state] = await pgQuery<{ once: string; leased: string; due: string }>(
      w.db,
      `select count(*) filter (where check_attempts = 1) as once,
                count(*) filter (where poll_claimed_by is not null) as leased,
                count(*) filter (where status = 'pending' and next_check_at <= $1) as due
         from orders`,
      [later],
    );
    expect(state).toEqual({ once: '600', leased: '0', due: '0' });
    // At the provider: every payment asked at least once; twice only for checks the dead process had in flight.
    const counts = seeded.map((o) => w.yookassa.checks.get(o.paymentId) ?? 0);
    expect(counts.every((n) => n >= 1)).toBe(true);
    const twice = seeded.filter((o) => (w.yookassa.checks.get(o.paymentId) ?? 0) > 1);
    expect(twice.length).toBeLessThanOrEqual(8);
    for (const o of twice) expect(leftovers).toContain(o.paymentId);
    // One drink per paid order. On the wire a make command goes out once, except that one the
    // dead process may have sent just before it died is sent again (with the same order id, on
    // which the machine de-duplicates): at least once, never more than that.
    const paid = seeded.filter((o) => o.succeeded).map((o) => o.orderId);
    expect([...w.tmetr.made.keys()].sort()).toEqual([...paid].sort());
    const makes = makesPerOrder(w.tmetr);
    expect([...makes.keys()].sort()).toEqual([...paid].sort());
    for (const [orderId, n] of makes) {
      if (n > 1)
        expect({ orderId, n, inFlightAtDeath: effectsInFlight.includes(orderId) }).toEqual({
          orderId,
          n: 2,
          inFlightAtDeath: true,
        });
    }
    // Nothing left to do. A command the dead process had sent and fed back (the order left `paid`)
    // but not marked done is cancelled by the next dispatcher rather than sent again (rule 7).
    const unfinished = await pgQuery<{ order: string; status: string }>(
      w.db,
      "select order_id as order, status from effects where status <> 'done'",
    );
    for (const effect of unfinished)
      expect({ ...effect, inFlightAtDeath: effectsInFlight.includes(effect.order) }).toEqual({
        order: effect.order,
        status: 'cancelled',
        inFlightAtDeath: true,
      });
  }, 120_000);
});
