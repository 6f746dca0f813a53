import { ManualClock } from '@paystate/core';
import { startBenchStack } from './stack.js';

/**
 * One poll cycle over N due orders against the sandbox answering each status check after a
 * fixed latency. Floor: N x latency / concurrency, the time the checks alone must take.
 */
export async function benchPollCycle(orders = 400, latencyMs = 20, concurrency = 8) {
  const clock = new ManualClock(new Date());
  const stack = await startBenchStack(
    { POLL_CONCURRENCY: String(concurrency), MAX_ORDERS_PER_CYCLE: String(orders) },
    clock,
  );
  try {
    await stack.pendingOrders(orders);
    stack.yookassa.faults.inject('get', { delayMs: latencyMs, times: orders });
    clock.advance(5);
    const started = performance.now();
    const report = await stack.runtime.poller.runCycle();
    const elapsedMs = performance.now() - started;
    if (report.answered !== orders) throw new Error(`poll bench: ${report.answered} of ${orders} answered`);
    const floorMs = (orders * latencyMs) / concurrency;
    return {
      name: `poll cycle (${orders} due, ${latencyMs} ms latency, concurrency ${concurrency})`,
      unit: 'ms',
      measured: elapsedMs,
      baseline: floorMs,
      baselineName: 'floor N x latency / concurrency',
      lowerIsBetter: true,
    };
  } finally {
    await stack.close();
  }
}
