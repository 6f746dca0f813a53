/**
 * Checks per second with 1, 2 and 4 poller processes on one PostgreSQL database.
 *
 *   npx tsx bench/pollers.ts
 *
 * For each process count: a fresh database (production durability: synchronous_commit on),
 * BENCH_ORDERS pending orders all due at one instant, the YooKassa sandbox in this process
 * answering every status check after BENCH_LATENCY_MS, and N copies of
 * tests/multi/fixtures/poller-process.ts started together (default POLL_CONCURRENCY and
 * MAX_ORDERS_PER_CYCLE), each running poll cycles until nothing is due. The figure is answered
 * checks over the wall time from "go" to the last process done, and every payment must have
 * been checked exactly once. Each count is reported as a ratio to the 1-process figure of the
 * same run, so runs on different machines compare.
 *
 * Settings (environment): BENCH_ORDERS (2000), BENCH_LATENCY_MS (100), BENCH_PROCESSES ("1,2,4"),
 * POLL_CONCURRENCY (8), MAX_ORDERS_PER_CYCLE (100), PAYSTATE_TEST_PG_URL (the admin database).
 */
import { pathToFileURL } from 'node:url';
import { lifecycleConfigSchema } from '@paystate/core';
import { YooKassaSandbox } from '@paystate/sandbox';
import { PollerProcess } from '../tests/support/poller-process.js';
import { seedPendingOrders } from '../tests/support/seed.js';
import { tempDatabase } from '../tests/support/temp-db.js';

const STARTED = '2026-03-01T09:00:00.000Z';
const NOW = '2026-03-01T09:10:00.000Z';
const lifecycle = {
  FAST_TRACK_INTERVAL_S: '600',
  FAST_TRACK_LIMIT_S: '3600',
  SLOW_TRACK_INTERVAL_S: '3600',
  ORDER_TTL_S: '86400',
};
const SHOP = { shopId: 'shop-bench', secretKey: 'secret-bench' };

export interface PollerRun {
  processes: number;
  orders: number;
  seconds: number;
  checksPerSecond: number;
  /** checksPerSecond / the 1-process figure of the same run. */
  ratio: number;
}

export interface PollersBenchOptions {
  orders?: number;
  latencyMs?: number;
  processes?: number[];
  pollConcurrency?: number;
  maxOrdersPerCycle?: number;
}

async function runOnce(processes: number, options: Required<PollersBenchOptions>): Promise<Omit<PollerRun, 'ratio'>> {
  const db = await tempDatabase('postgres', { durable: true });
  const yookassa = new YooKassaSandbox(SHOP);
  const api = await yookassa.start();
  const pollers: PollerProcess[] = [];
  try {
    const seeded = await seedPendingOrders(db.url, {
      count: options.orders,
      paymentStartedAt: STARTED,
      config: lifecycleConfigSchema.parse(lifecycle),
      yookassa,
    });
    yookassa.faults.inject('get', { delayMs: options.latencyMs, times: 1_000_000_000 });
    for (let i = 0; i < processes; i++) {
      pollers.push(
        new PollerProcess({
          DATABASE_URL: db.url,
          PAYMENT_PROVIDER: 'yookassa',
          YOOKASSA_API_URL: api.apiUrl,
          YOOKASSA_SHOP_ID: SHOP.shopId,
          YOOKASSA_SECRET_KEY: SHOP.secretKey,
          // No order is paid here, so no make command is sent; the device settings only have to be valid.
          TMETR_API_URL: 'http://127.0.0.1:9',
          TMETR_TOKEN: 'unused',
          POLL_CONCURRENCY: String(options.pollConcurrency),
          MAX_ORDERS_PER_CYCLE: String(options.maxOrdersPerCycle),
          PAYMENT_API_TIMEOUT_S: '10',
          STUCK_AFTER_S: '86400',
          LOG_LEVEL: 'error',
          PAYSTATE_FIXED_NOW: NOW,
          PAYSTATE_WAIT_FOR_GO: '1',
          ...lifecycle,
        }),
      );
    }
    await Promise.all(pollers.map((p) => p.ready));
    const started = performance.now();
    for (const p of pollers) p.go();
    const totals = await Promise.all(pollers.map((p) => p.done));
    const seconds = (performance.now() - started) / 1000;
    const answered = totals.reduce((sum, t) => sum + t.answered, 0);
    const wrong = seeded.filter((o) => yookassa.checks.get(o.paymentId) !== 1).length;
    if (answered !== options.orders || wrong > 0 || totals.some((t) => t.errors > 0)) {
      throw new Error(
        `${processes} processes: ${answered} of ${options.orders} answered, ${wrong} payments not checked exactly once`,
      );
    }
    return { processes, orders: options.orders, seconds, checksPerSecond: answered / seconds };
  } finally {
    await Promise.all(
      pollers.map((p) => (p.child.exitCode === null && p.child.signalCode === null ? p.kill() : undefined)),
    );
    await api.close();
    await db.cleanup();
  }
}

export async function runPollersBench(options: PollersBenchOptions = {}): Promise<PollerRun[]> {
  const settings: Required<PollersBenchOptions> = {
    orders: options.orders ?? 2000,
    latencyMs: options.latencyMs ?? 100,
    processes: options.processes ?? [1, 2, 4],
    pollConcurrency: options.pollConcurrency ?? 8,
    maxOrdersPerCycle: options.maxOrdersPerCycle ?? 100,
  };
  const runs = [];
  for (const n of settings.processes) {
    runs.push(await runOnce(n, settings));
    process.stderr.write(`pollers: ${n} process(es) done\n`);
  }
  const single = runs.find((r) => r.processes === 1) ?? runs[0]!;
  return runs.map((r) => ({ ...r, ratio: r.checksPerSecond / single.checksPerSecond }));
}

/** In the shape bench/run.ts collects: the largest process count measured against one process. */
export async function benchPollers(options: PollersBenchOptions = {}) {
  const runs = await runPollersBench(options);
  const one = runs.find((r) => r.processes === 1) ?? runs[0]!;
  const most = runs.reduce((a, b) => (b.processes > a.processes ? b : a));
  return {
    name: `PostgreSQL poll checks, ${most.processes} poller processes`,
    unit: 'checks/s',
    measured: most.checksPerSecond,
    baseline: one.checksPerSecond,
    baselineName: '1 poller process, same run',
    detail: Object.fromEntries(
      runs.map((r) => [
        `${r.processes}p`,
        { checksPerSecond: Math.round(r.checksPerSecond), ratio: Number(r.ratio.toFixed(2)) },
      ]),
    ),
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const env = process.env;
  const options: PollersBenchOptions = {
    orders: Number(env.BENCH_ORDERS ?? 2000),
    latencyMs: Number(env.BENCH_LATENCY_MS ?? 100),
    processes: (env.BENCH_PROCESSES ?? '1,2,4').split(',').map(Number),
    pollConcurrency: Number(env.POLL_CONCURRENCY ?? 8),
    maxOrdersPerCycle: Number(env.MAX_ORDERS_PER_CYCLE ?? 100),
  };
  const runs = await runPollersBench(options);
  process.stdout.write(
    `poller processes on one PostgreSQL database: ${options.orders} due orders, status checks answered after ${options.latencyMs} ms, ` +
      `POLL_CONCURRENCY=${options.pollConcurrency}, MAX_ORDERS_PER_CYCLE=${options.maxOrdersPerCycle}\n`,
  );
  console.table(
    runs.map((r) => ({
      processes: r.processes,
      'checks/s': Math.round(r.checksPerSecond),
      'ratio to 1 process': r.ratio.toFixed(2),
      seconds: r.seconds.toFixed(1),
    })),
  );
}
