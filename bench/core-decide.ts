import { createOrder, decide, defaultLifecycleConfig, ManualClock, type PersistedOrderSnapshot } from '@paystate/core';
import { opsPerSecond } from './measure.js';

/**
 * Core decision throughput, no I/O. Baseline: a JSON round-trip of the same snapshot, the least
 * any persisted state machine must do per event.
 */
export async function benchCoreDecide() {
  const clock = new ManualClock('2026-03-01T09:00:00.000Z');
  const deps = { clock, config: defaultLifecycleConfig };
  const created = createOrder(
    {
      orderId: 'o-1',
      deviceId: 'd-1',
      productId: 'latte',
      productName: 'Latte',
      size: 'M',
      price: { amountMinor: 15000, currency: 'RUB' },
      provider: 'yookassa',
    },
    deps,
  );
  const pending: PersistedOrderSnapshot = decide(
    created.snapshot,
    { type: 'PAYMENT_INITIATED', providerPaymentId: 'p-1' },
    deps,
  ).snapshot;
  const observation = {
    type: 'PAYMENT_OBSERVED',
    source: 'poll',
    status: 'pending',
    amount: { amountMinor: 15000, currency: 'RUB' },
  } as const;
  const baseline = await opsPerSecond(() => JSON.parse(JSON.stringify(pending)));
  const measured = await opsPerSecond(() => decide(pending, observation, deps));
  return {
    name: 'core decide (pending observation)',
    unit: 'events/s',
    measured,
    baseline,
    baselineName: 'JSON round-trip of the snapshot',
  };
}
