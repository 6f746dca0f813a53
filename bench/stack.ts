import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type { Clock } from '@paystate/core';
import { createRuntime, loadSettings, startServer, type RunningServer, type Runtime } from '@paystate/server';
import { TmetrSandbox, YooKassaSandbox, type LoopbackServer } from '@paystate/sandbox';

const SHOP = { shopId: 'bench-shop', secretKey: 'bench-secret' };

export interface BenchStack {
  runtime: Runtime;
  server: RunningServer;
  yookassa: YooKassaSandbox;
  tmetr: TmetrSandbox;
  /** Pending orders with a sandbox payment each, ready to be paid. */
  pendingOrders(count: number): Promise<Array<{ orderId: string; paymentId: string }>>;
  close(): Promise<void>;
}

/** The real server on a fresh SQLite file with both sandboxes on loopback, logging off. */
export async function startBenchStack(env: Record<string, string> = {}, clock?: Clock): Promise<BenchStack> {
  const dir = mkdtempSync(join(tmpdir(), 'paystate-bench-'));
  const yookassa = new YooKassaSandbox(SHOP);
  const tmetr = new TmetrSandbox({ token: 'bench-tmetr' });
  const sandboxes: LoopbackServer[] = [await yookassa.start(), await tmetr.start()];
  const [y, t] = sandboxes as [LoopbackServer & { apiUrl?: string }, LoopbackServer];
  const settings = loadSettings({
    DATABASE_URL: `file:${join(dir, 'bench.db')}`,
    YOOKASSA_API_URL: `${y.url}/v3`,
    YOOKASSA_SHOP_ID: SHOP.shopId,
    YOOKASSA_SECRET_KEY: SHOP.secretKey,
    YOOKASSA_ALLOWED_NETWORKS: 'any',
    TMETR_API_URL: t.url,
    TMETR_TOKEN: 'bench-tmetr',
    LOG_LEVEL: 'silent',
    ...env,
  });
  const runtime = createRuntime({ settings, logger: pino({ level: 'silent' }), ...(clock ? { clock } : {}) });
  const server = await startServer(runtime, 0);
  await runtime.store.upsertDevice({
    id: 'bench',
    name: 'Bench',
    location: '',
    logoUrl: null,
    clientInfo: '',
    clientInfoByStatus: {},
  });
  return {
    runtime,
    server,
    yookassa,
    tmetr,
    async pendingOrders(count) {
      const made = [];
      for (let i = 0; i < count; i++) {
        const record = await runtime.orders.create({
          deviceId: 'bench',
          productId: 'latte',
          productName: 'Latte',
          size: 'M',
          price: { amountMinor: 15_000, currency: 'RUB' },
          provider: 'yookassa',
        });
        await runtime.orders.pay(record.order.orderId);
        made.push({ orderId: record.order.orderId, paymentId: yookassa.paymentFor(record.order.orderId)!.id });
      }
      return made;
    },
    async close() {
      await server.close();
      await Promise.all(sandboxes.map((sandbox) => sandbox.close()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
