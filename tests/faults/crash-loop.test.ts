/**
 * Crash loop: the real server runs as a child process (fixtures/serve-child.ts: createRuntime +
 * startServer with the poller) on one database (a SQLite file; a PostgreSQL database in the
 * faults-postgres project), while this test streams orders at it — create, pay, the customer pays
 * at the YooKassa sandbox, whose notifications and the Tmetr sandbox's result callbacks go to the
 * child. At a seeded random moment (sometimes during start-up) the child is killed with SIGKILL,
 * then restarted on the same database. After every restart every order a client was told about is
 * there, no more orders exist than requests were sent, and invariants 1-6 hold. At the end, with
 * the last process left running, every order the customer paid for reaches make_pending or
 * successful with exactly one drink made, the ledger (invariant 7) holds against the YooKassa
 * sandbox's books, and a SIGTERM stops the server cleanly.
 *
 * FAULT_CRASHES (default 10; FAULT_DEFAULT_CRASHES in the faults-postgres project) sets the number
 * of kills; FAULT_SEED replays a run.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { Money } from '@paystate/core';
import { lifecycleConfigOf, loadSettings } from '@paystate/server';
import { freePort, TmetrSandbox, YooKassaSandbox, type LoopbackServer } from '@paystate/sandbox';
import { ADMIN_TOKEN, DEVICE_TOKEN, SECRET_KEY, SHOP_ID, TMETR_TOKEN } from '../support/harness.js';
import { pgQuery, sqliteQuery } from '../support/inspect.js';
import { tempDatabase, testBackend } from '../support/temp-db.js';
import { FAULTS } from './gate.js';
import { checkInvariants, formatViolations, readWorldFromDatabase, type Sandboxes } from './invariants.js';

const CRASHES = positiveInt(process.env.FAULT_CRASHES, positiveInt(process.env.FAULT_DEFAULT_CRASHES, 10));
const SEED =
  process.env.FAULT_SEED === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(process.env.FAULT_SEED);
const fixture = fileURLToPath(new URL('./fixtures/serve-child.ts', import.meta.url));
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
/** Each restart stands for downtime past the dead process's 30 s leases (see the fixture). */
const DOWNTIME_MS = 31_000;
const WORKERS = 3;

function positiveInt(value: string | undefined, fallback: number): number {
  const n = Number(value);
  return Number.isInteger(n) && n > 0 ? n : fallback;
}

/** mulberry32: a small seeded generator, so a failing run can be replayed with FAULT_SEED. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface TrackedOrder {
  price: Money;
  /** The client got 200 from /pay: it holds a confirmation URL for this payment. */
  paymentId: string | null;
  /** The customer pressed Pay on the sandbox checkout page. */
  customerPaid: boolean;
  /** An operator asked to refund the drink once made: answered 200, or no answer (a kill: maybe). */
  refund: 'asked' | 'maybe' | null;
}

interface Child {
  process: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  ready: Promise<boolean>;
  stderr: () => string;
}

describe.runIf(FAULTS)('crash loop: SIGKILL at random moments under a stream of orders', () => {
  const cleanups: Array<() => unknown> = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  it(`accounts for every order and keeps the invariants across ${CRASHES} kills`, async () => {
    console.log(`crash loop (${testBackend}): seed ${SEED}, ${CRASHES} kills`);
    try {
      await crashLoop();
    } catch (error) {
      // Logged whole here: a child's stderr in the message can defeat the reporter's stack mapping.
      console.error(`crash loop failed (seed ${SEED}):`, error);
      throw new Error(
        `crash loop failed (seed ${SEED}): ${error instanceof Error ? error.message.slice(0, 2000) : String(error)}`,
      );
    }

    async function crashLoop(): Promise<void> {
      const started = performance.now();
      const random = rng(SEED);
      const db = await tempDatabase();
      cleanups.push(() => db.cleanup());
      const port = await freePort();
      const baseUrl = `http://127.0.0.1:${port}`;
      const yookassa = new YooKassaSandbox({
        shopId: SHOP_ID,
        secretKey: SECRET_KEY,
        webhookUrl: `${baseUrl}/v1/webhooks/yookassa`,
      });
      const tmetr = new TmetrSandbox({
        token: TMETR_TOKEN,
        deviceToken: DEVICE_TOKEN,
        resultCallbackUrl: baseUrl,
        brewMs: 20,
      });
      const servers: LoopbackServer[] = [await yookassa.start(), await tmetr.start()];
      cleanups.push(() => Promise.all(servers.map((s) => s.close())));
      const [yookassaServer, tmetrServer] = servers as [LoopbackServer & { apiUrl?: string }, LoopbackServer];
      // Long enough that no order leaves the fast track or expires however long the loop runs.
      const fastTrackLimitS = (CRASHES + 2) * (DOWNTIME_MS / 1000) * 2 + 600;
      const env: Record<string, string> = {
        PAYMENT_PROVIDER: 'yookassa',
        YOOKASSA_API_URL: `${yookassaServer.url}/v3`,
        YOOKASSA_ALLOWED_NETWORKS: '127.0.0.1/32',
        YOOKASSA_SHOP_ID: SHOP_ID,
        YOOKASSA_SECRET_KEY: SECRET_KEY,
        TMETR_API_URL: tmetrServer.url,
        TMETR_TOKEN,
        ADMIN_TOKEN,
        DEVICE_TOKEN,
        DATABASE_URL: db.url,
        PORT: String(port),
        PUBLIC_URL: baseUrl,
        LOG_LEVEL: 'silent',
        PAYMENT_API_TIMEOUT_S: '2',
        PAYMENT_CHECK_INTERVAL_S: '1',
        FAST_TRACK_INTERVAL_S: '1',
        FAST_TRACK_LIMIT_S: String(fastTrackLimitS),
        ORDER_TTL_S: String(fastTrackLimitS * 2),
        STUCK_AFTER_S: String(fastTrackLimitS * 4),
      };
      const config = lifecycleConfigOf(loadSettings(env));
      const sandboxes: Sandboxes = { tmetr, yookassa, providers: [yookassa] };

      const orders = new Map<string, TrackedOrder>();
      /** Create requests that got no answer: each may or may not have created an order. */
      let unansweredCreates = 0;
      let kills = 0;
      let killedDuringStartup = 0;
      let checks = 0;
      let children = 0;
      let current: Child | null = null;
      /** Wall time from spawn to listening, per start that got there. */
      const startupMs: number[] = [];

      function start(): Child {
        const offset = children * DOWNTIME_MS;
        children += 1;
        const child = spawn(process.execPath, ['--conditions=paystate-source', '--import', 'tsx', fixture], {
          cwd: repoRoot,
          env: { ...process.env, ...env, FAULT_CLOCK_OFFSET_MS: String(offset) },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let stdout = '';
        let stderr = '';
        child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
        const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
          child.once('exit', (code, signal) => resolve({ code, signal })),
        );
        const spawnedAt = performance.now();
        const ready = new Promise<boolean>((resolve) => {
          child.stdout!.on('data', (chunk: Buffer) => {
            stdout += chunk.toString();
            if (stdout.includes('\n')) {
              startupMs.push(performance.now() - spawnedAt);
              resolve(true);
            }
          });
          void exited.then(() => resolve(false));
        });
        cleanups.push(() => child.exitCode === null && child.signalCode === null && child.kill('SIGKILL'));
        return { process: child, exited, ready, stderr: () => stderr };
      }

      async function startReady(): Promise<Child> {
        const child = start();
        const ready = await Promise.race([child.ready, sleep(30_000).then(() => false)]);
        if (!ready) throw new Error(`the server did not start: ${child.stderr()}`);
        return child;
      }

      async function call(
        method: string,
        path: string,
        body?: unknown,
        token?: string,
      ): Promise<{ status: number; json: unknown } | null> {
        try {
          const response = await fetch(`${baseUrl}${path}`, {
            method,
            headers: {
              ...(body === undefined ? {} : { 'content-type': 'application/json' }),
              ...(token ? { authorization: `Bearer ${token}` } : {}),
            },
            body: body === undefined ? undefined : JSON.stringify(body),
            signal: AbortSignal.timeout(5000),
          });
          const text = await response.text();
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          if (response.status >= 500) throw new Error(`${method} ${path}: HTTP ${response.status} ${text}`);
          return { status: response.status, json };
        } catch (error) {
          if (error instanceof Error && error.message.includes(': HTTP 5')) throw error;
          return null; // refused, reset or timed out: the server died under the request
        }
      }

      async function createOrder(): Promise<string | null> {
        const price = 100 + Math.floor(random() * 50_000);
        unansweredCreates += 1;
        const reply = await call('POST', '/v1/orders', {
          device_id: 'dev-crash',
          product_id: 'latte',
          product_name: 'Latte',
          size: 'M',
          price,
          currency: 'RUB',
        });
        if (!reply) return null;
        unansweredCreates -= 1;
        if (reply.status !== 201) throw new Error(`create answered ${reply.status}: ${JSON.stringify(reply.json)}`);
        const id = (reply.json as { order_id: string }).order_id;
        orders.set(id, {
          price: { amountMinor: price, currency: 'RUB' },
          paymentId: null,
          customerPaid: false,
          refund: null,
        });
        return id;
      }

      async function pay(id: string): Promise<boolean> {
        const reply = await call('POST', `/v1/orders/${id}/pay`);
        if (!reply) return false;
        // A killed process's payment start is leased until it runs out: a client tries again later.
        if (reply.status === 409 && (reply.json as { error?: { code?: string } }).error?.code === 'payment_in_progress')
          return false;
        if (reply.status !== 200) throw new Error(`pay ${id} answered ${reply.status}: ${JSON.stringify(reply.json)}`);
        const paymentId = (reply.json as { confirmation_url: string }).confirmation_url.split('/checkout/')[1] ?? '';
        const order = orders.get(id)!;
        if (order.paymentId !== null && order.paymentId !== paymentId)
          throw new Error(`order ${id} was given a second payment`);
        order.paymentId = paymentId;
        return true;
      }

      /** The customer presses Pay on the checkout page: the sandbox, not paystate, so this never fails. */
      async function customerPays(id: string): Promise<void> {
        const order = orders.get(id)!;
        const response = await fetch(`${yookassaServer.url}/checkout/${order.paymentId}/pay`, {
          method: 'POST',
          redirect: 'manual',
        });
        await response.body?.cancel();
        if (response.status !== 303) throw new Error(`checkout answered ${response.status}`);
        order.customerPaid = true;
      }

      let refundsAsked = 0;
      /** Refund calls the provider had seen when the last slow answer was queued (-1: none queued yet). */
      let slowRefundQueuedAt = -1;
      /**
       * Refund + crash: an operator refunds a drink that was made; half the time the provider
       * takes the refund but answers late (up to past paystate's timeout), so a kill often lands
       * between the refund and its record. The ledger at the end says whether it was paid once.
       */
      async function refund(id: string): Promise<void> {
        // One slow answer queued at a time (a refund refused with 409 never reaches the provider to
        // take it): a queue of them would hold the dispatcher, which performs effects in turn.
        const calls = [...yookassa.refundCalls.values()].reduce((a, b) => a + b, 0);
        if (random() < 0.5 && calls > slowRefundQueuedAt) {
          yookassa.faults.inject('refund', { delayMs: 500 + Math.floor(random() * 2000), afterEffect: true });
          slowRefundQueuedAt = calls;
        }
        const reply = await call(
          'POST',
          `/v1/admin/orders/${id}/actions`,
          { action: 'refund', operator: 'crash-loop' },
          ADMIN_TOKEN,
        );
        const order = orders.get(id)!;
        if (!reply) order.refund = 'maybe';
        else if (reply.status === 200) order.refund = 'asked';
        else if (reply.status !== 409)
          throw new Error(`refund ${id} answered ${reply.status}: ${JSON.stringify(reply.json)}`);
        if (reply?.status !== 409) refundsAsked += 1;
      }

      /** Orders a worker is acting on: concurrent requests for one order are the model test's business. */
      const busy = new Set<string>();

      async function worker(running: () => boolean): Promise<void> {
        while (running()) {
          const free = [...orders].filter(([id]) => !busy.has(id));
          const unpaid = free.filter(([, o]) => o.paymentId === null);
          const waiting = free.filter(([, o]) => o.paymentId !== null && !o.customerPaid);
          const made = free.filter(([id, o]) => o.refund === null && tmetr.made.has(id));
          const roll = random();
          const [id] =
            unpaid.length > 0 && roll < 0.25
              ? unpaid[Math.floor(random() * unpaid.length)]!
              : waiting.length > 0 && roll < 0.45
                ? waiting[Math.floor(random() * waiting.length)]!
                : [null];
          if (id === null && made.length > 0 && roll >= 0.45 && roll < 0.5) {
            const [toRefund] = made[Math.floor(random() * made.length)]!;
            busy.add(toRefund);
            try {
              await refund(toRefund);
            } finally {
              busy.delete(toRefund);
            }
          } else if (id !== null) {
            busy.add(id);
            try {
              if (orders.get(id)!.paymentId === null) await pay(id);
              else await customerPays(id);
            } finally {
              busy.delete(id);
            }
          } else {
            const created = await createOrder();
            if (created) {
              busy.add(created);
              try {
                if (random() < 0.85 && (await pay(created)) && random() < 0.9) await customerPays(created);
              } finally {
                busy.delete(created);
              }
            }
          }
          if (random() < 0.3) await sleep(Math.floor(random() * 30));
        }
      }

      /** The ledger (invariant 7) is checked once the last run has settled: mid-run, a payment may rightly be taken but not yet observed. */
      async function check(when: string, ledger = false): Promise<void> {
        checks += 1;
        const world = await readWorldFromDatabase(db, sandboxes);
        const expected = new Map([...orders].map(([id, o]) => [id, o.price]));
        const violations = checkInvariants(world, { config, expected, ledger });
        if (violations.length > 0)
          throw new Error(`${when}: invariants violated (seed ${SEED}):\n${formatViolations(violations)}`);
        // Accounted for: nothing the client was told about is missing (checked above), and every
        // order it was not told about is one of the create requests that got no answer.
        const extra = world.orders.filter((o) => !orders.has(o.id));
        expect(extra.length, `${when}: orders nobody asked for`).toBeLessThanOrEqual(unansweredCreates);
        for (const order of extra) {
          orders.set(order.id, { price: order.context.price, paymentId: null, customerPaid: false, refund: null });
          unansweredCreates -= 1;
        }
      }

      for (let round = 0; round < CRASHES; round++) {
        const duringStartup = round > 0 && random() < 0.15;
        const child = start();
        current = child;
        if (duringStartup) {
          await sleep(50 + Math.floor(random() * 1500));
        } else {
          const ready = await Promise.race([child.ready, sleep(30_000).then(() => false)]);
          if (!ready) throw new Error(`the server did not start (round ${round}): ${child.stderr()}`);
          if (round > 0) await check(`after restart ${round}`);
          if (round === 0) {
            const device = await call(
              'PUT',
              '/v1/admin/devices/dev-crash',
              { name: 'Crash loop', location: 'lab' },
              ADMIN_TOKEN,
            );
            expect(device?.status).toBe(201);
          }
          let running = true;
          const workers = Array.from({ length: WORKERS }, () => worker(() => running));
          await sleep(100 + Math.floor(random() * 1400));
          child.process.kill('SIGKILL');
          running = false;
          await Promise.all(workers);
        }
        const wasReady = await Promise.race([child.ready, Promise.resolve(false)]);
        if (duringStartup) child.process.kill('SIGKILL');
        const exit = await child.exited;
        if (exit.signal !== 'SIGKILL')
          throw new Error(`round ${round}: the server exited by itself (${JSON.stringify(exit)}): ${child.stderr()}`);
        kills += 1;
        if (!wasReady) killedDuringStartup += 1;
      }

      // The last restart: it runs to the end. Everything left half-done is finished as a client would.
      current = await startReady();
      await check('after the last restart');
      for (const [id, order] of orders) {
        if (order.paymentId === null) expect(await pay(id), `pay ${id} after the last restart`).toBe(true);
        if (!orders.get(id)!.customerPaid) await customerPays(id);
      }
      const paid = [...orders].filter(([, o]) => o.customerPaid).map(([id]) => id);
      const settleStarted = performance.now();
      const deadline = Date.now() + 60_000;
      let unfinished: string[] = paid;
      while (unfinished.length > 0) {
        if (Date.now() > deadline) {
          const world = await readWorldFromDatabase(db, sandboxes);
          const statuses = unfinished.map((id) => `${id}: ${world.orders.find((o) => o.id === id)?.status}`);
          throw new Error(
            `paid orders that never reached make_pending/successful (seed ${SEED}):\n${statuses.join('\n')}`,
          );
        }
        await sleep(250);
        const world = await readWorldFromDatabase(db, sandboxes);
        const status = new Map(world.orders.map((o) => [o.id, o.status]));
        unfinished = unfinished.filter((id) => {
          const done = ['make_pending', 'successful', ...(orders.get(id)!.refund === null ? [] : ['refunded'])];
          return !done.includes(status.get(id) ?? '');
        });
      }
      // Refunds still being retried (a late answer counts as none) settle before the ledger is read.
      // A retried refund backs off (up to 5 minutes): the wait runs to 30 s past its next attempt.
      for (;;) {
        const world = await readWorldFromDatabase(db, sandboxes);
        const pendingRefunds = world.effects.filter((e) => e.kind === 'REFUND' && e.status === 'pending');
        if (pendingRefunds.length === 0) break;
        const lastDue = Math.max(...pendingRefunds.map((e) => Date.parse(e.nextAttemptAt)));
        if (Date.now() > Math.max(deadline, lastDue + 30_000))
          throw new Error(`refunds still pending after the last run (seed ${SEED})`);
        await sleep(250);
      }
      const settleMs = performance.now() - settleStarted;
      await Promise.race([Promise.all([yookassa.settled(), tmetr.settled()]), sleep(5000)]);
      await check('after the last run settled', true);
      for (const id of paid) {
        expect(tmetr.made.has(id), `order ${id} was paid but no drink was made`).toBe(true);
      }
      expect(tmetr.made.size).toBe(paid.length);
      current.process.kill('SIGTERM');
      expect(await current.exited).toEqual({ code: 0, signal: null });
      await check('after a clean shutdown', true);

      // Deliveries a kill cut off between the inbox record and its outcome: their redeliveries are
      // answered "duplicate" by the store, so those payments were found by the poller instead.
      const cutOff = "select count(*) as n from webhook_inbox where outcome = 'received'";
      const interrupted = Number(
        (db.backend === 'postgres'
          ? await pgQuery<{ n: number }>(db, cutOff)
          : sqliteQuery<{ n: number }>(db, cutOff))[0]?.n ?? 0,
      );
      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      console.log(
        `crash loop (${testBackend}): crashes: ${kills} (${killedDuringStartup} during start-up), restarts checked: ${checks}, orders: ${orders.size}, ` +
          `paid and made: ${paid.length}, refunds asked: ${refundsAsked} (refunded at the provider: ${yookassa.books().filter((b) => b.refunded.amountMinor > 0).length}), make commands sent: ${tmetr.received.length}, webhook deliveries cut off by a kill: ${interrupted}, ` +
          `violations: 0 (ledger included), seed ${SEED}, ${seconds}s ` +
          `(start-up ${Math.round(startupMs.reduce((a, b) => a + b, 0) / Math.max(1, startupMs.length))} ms on average, last settle ${Math.round(settleMs)} ms)`,
      );
    }
  }, 1_800_000);
});
