import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Clock } from '@paystate/core';
import { createRuntime, loadSettings, type Runtime } from '@paystate/server';
import { TmetrSandbox, type LoopbackServer } from '@paystate/sandbox';
import { SECRET_KEY, SHOP_ID, TMETR_TOKEN } from '../support/harness.js';
import { tempDatabase, type TempDatabase } from '../support/temp-db.js';

const T = 15_000;
const fixture = fileURLToPath(new URL('./fixtures/crash-after-commit.ts', import.meta.url));
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
/** Past the dispatcher's default 30 s lease. */
const LEASE_EXPIRED_MS = 31_000;

interface Crashed {
  orderId: string;
  signal: NodeJS.Signals | null;
  code: number | null;
  stderr: string;
}

describe('a crash between commit and dispatch', () => {
  let db: TempDatabase;
  let tmetr: TmetrSandbox;
  let tmetrServer: LoopbackServer;
  let runtime: Runtime | undefined;
  let offsetMs = 0;
  /** The restarted process's clock; a test moves it past the dead worker's lease. */
  const clock: Clock = { now: () => new Date(Date.now() + offsetMs) };

  beforeEach(async () => {
    db = await tempDatabase();
    offsetMs = 0;
    tmetr = new TmetrSandbox({ token: TMETR_TOKEN });
    tmetrServer = await tmetr.start();
  });
  afterEach(async () => {
    await runtime?.close();
    runtime = undefined;
    await tmetrServer?.close();
    await db?.cleanup();
  });

  function env(tmetrUrl: string): Record<string, string> {
    return {
      PAYMENT_PROVIDER: 'yookassa',
      // Never called: no payment is created and no notification is re-checked here.
      YOOKASSA_API_URL: 'http://127.0.0.1:9/v3',
      YOOKASSA_SHOP_ID: SHOP_ID,
      YOOKASSA_SECRET_KEY: SECRET_KEY,
      TMETR_API_URL: tmetrUrl,
      TMETR_TOKEN,
      DATABASE_URL: db.url,
      LOG_LEVEL: 'silent',
      PAYMENT_API_TIMEOUT_S: '0.5',
    };
  }

  /** Runs the fixture to its SIGKILL and returns the order it committed. */
  function crash(mode: 'commit' | 'claim' | 'sent', tmetrUrl = 'http://127.0.0.1:9'): Promise<Crashed> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ['--conditions=paystate-source', '--import', 'tsx', fixture, mode], {
        cwd: repoRoot,
        env: { ...process.env, ...env(tmetrUrl) },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), 12_000);
      child.once('error', reject);
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        const line = stdout.split('\n').find((l) => l.startsWith('{'));
        if (!line) return reject(new Error(`fixture printed no order (code ${code}, signal ${signal}): ${stderr}`));
        resolve({ orderId: (JSON.parse(line) as { orderId: string }).orderId, signal, code, stderr });
      });
    });
  }

  /** A fresh process's runtime on the same database, its dispatcher not started: the test drives it. */
  function restart(): Runtime {
    const settings = loadSettings(env(tmetrServer.url));
    runtime = createRuntime({ settings, clock, logger: pino({ level: 'silent' }) });
    return runtime;
  }

  async function eventsOf(orderId: string) {
    return (await runtime!.store.orderEvents(orderId)).map((e) => [e.event, e.to, e.source]);
  }

  it(
    'killed right after the commit: the restarted dispatcher sends the make command exactly once',
    async () => {
      const crashed = await crash('commit');
      expect(crashed.signal).toBe('SIGKILL');
      expect(crashed.stderr).toBe('');

      const rt = restart();
      expect((await rt.store.getOrder(crashed.orderId))?.status).toBe('paid');
      expect(await rt.store.countPendingEffects()).toBe(1);
      expect(tmetr.received).toHaveLength(0);

      expect(await rt.dispatcher.kick()).toBe(1);
      expect(tmetr.received).toEqual([
        {
          device_id: 'dev-crash',
          order_id: crashed.orderId,
          drink_id: 'latte',
          size: 'M',
          price_minor: 15000,
          currency: 'RUB',
        },
      ]);
      expect((await rt.store.getOrder(crashed.orderId))?.status).toBe('make_pending');
      expect(await rt.store.countPendingEffects()).toBe(0);

      expect(await rt.dispatcher.kick()).toBe(0);
      expect(tmetr.received).toHaveLength(1);
      expect(await eventsOf(crashed.orderId)).toEqual([
        ['ORDER_CREATED', 'created', 'api'],
        ['PAYMENT_INITIATED', 'pending', 'api'],
        ['PAYMENT_OBSERVED', 'paid', 'webhook'],
        ['MAKE_ACCEPTED', 'make_pending', 'dispatcher'],
      ]);
    },
    T,
  );

  it(
    "killed after claiming, before the device call: the dead worker's lease holds, then the effect is sent once",
    async () => {
      const crashed = await crash('claim');
      expect(crashed.signal).toBe('SIGKILL');

      const rt = restart();
      // The lease is still the dead worker's: nobody may send yet.
      expect(await rt.dispatcher.kick()).toBe(0);
      expect(tmetr.received).toHaveLength(0);
      expect((await rt.store.getOrder(crashed.orderId))?.status).toBe('paid');

      offsetMs = LEASE_EXPIRED_MS;
      expect(await rt.dispatcher.kick()).toBe(1);
      expect(tmetr.received.map((c) => c.order_id)).toEqual([crashed.orderId]);
      expect((await rt.store.getOrder(crashed.orderId))?.status).toBe('make_pending');

      expect(await rt.dispatcher.kick()).toBe(0);
      expect(tmetr.received).toHaveLength(1);
    },
    T,
  );

  it(
    'killed after the device accepted, before the outcome was recorded: resent once, the machine makes one drink',
    async () => {
      const crashed = await crash('sent', tmetrServer.url);
      expect(crashed.signal).toBe('SIGKILL');
      // The dead process's command reached the machine; the order never heard back.
      expect(tmetr.received.map((c) => c.order_id)).toEqual([crashed.orderId]);

      const rt = restart();
      expect((await rt.store.getOrder(crashed.orderId))?.status).toBe('paid');
      offsetMs = LEASE_EXPIRED_MS;
      expect(await rt.dispatcher.kick()).toBe(1);
      // At least once on the wire, exactly once at the machine: it de-duplicates on the order id.
      expect(tmetr.received.map((c) => c.order_id)).toEqual([crashed.orderId, crashed.orderId]);
      expect([...tmetr.made.keys()]).toEqual([crashed.orderId]);
      expect((await rt.store.getOrder(crashed.orderId))?.status).toBe('make_pending');

      expect(await rt.dispatcher.kick()).toBe(0);
      expect(tmetr.received).toHaveLength(2);
      expect((await eventsOf(crashed.orderId)).filter(([event]) => event === 'MAKE_ACCEPTED')).toHaveLength(1);
    },
    T,
  );
});
