import { fork } from 'node:child_process';
import { Hono } from 'hono';
import { startOnLoopback } from '@paystate/sandbox';
import { startBenchStack } from './stack.js';

interface Load {
  requestsPerSecond: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  total: number;
}

function load(url: string, path: string, bodies: string[], connections = 10): Promise<Load> {
  return new Promise((resolve, reject) => {
    const child = fork(new URL('./load-worker.mjs', import.meta.url), { stdio: 'inherit' });
    child.once('message', (result) => resolve(result as Load));
    child.once('error', reject);
    child.once('exit', (code) => code !== 0 && reject(new Error(`load generator exited with ${code}`)));
    child.send({ url, path, bodies, connections });
  });
}

/**
 * Webhook end to end: HTTP in, verified by re-reading the payment from the (sandbox) API,
 * committed transition, answer. Baseline: a bare Hono route that reads the body and answers,
 * on the same server library, measured in the same run.
 */
export async function benchWebhook(requests = 1500) {
  const bare = new Hono();
  bare.post('/v1/webhooks/yookassa', async (c) => {
    await c.req.text();
    return c.json({ outcome: 'applied' });
  });
  const bareServer = await startOnLoopback(bare);
  const notification = (paymentId: string) =>
    JSON.stringify({
      type: 'notification',
      event: 'payment.succeeded',
      object: { id: paymentId, status: 'succeeded' },
    });
  const baseline = await load(
    bareServer.url,
    '/v1/webhooks/yookassa',
    Array.from({ length: requests * 10 }, (_, i) => notification(`p-${i}`)),
  );
  await bareServer.close();

  const stack = await startBenchStack();
  try {
    const orders = await stack.pendingOrders(requests);
    for (const { paymentId } of orders) await stack.yookassa.setStatus(paymentId, 'succeeded', false);
    const measured = await load(
      stack.server.url,
      '/v1/webhooks/yookassa',
      orders.map((o) => notification(o.paymentId)),
    );
    const paid = (await stack.runtime.store.countOrdersByStatus()).pending ?? 0;
    if (measured.non2xx > 0 || measured.errors > 0 || paid !== 0) {
      throw new Error(
        `webhook bench: ${measured.non2xx} non-2xx, ${measured.errors} errors, ${paid} orders still pending`,
      );
    }
    return {
      name: `webhook end to end (${requests} distinct payments, 10 connections)`,
      unit: 'req/s',
      measured: measured.requestsPerSecond,
      baseline: baseline.requestsPerSecond,
      baselineName: 'bare Hono route',
      detail: { p50ms: measured.p50, p99ms: measured.p99, baselineP50ms: baseline.p50, baselineP99ms: baseline.p99 },
    };
  } finally {
    await stack.close();
  }
}
