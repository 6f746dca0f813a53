// A plain Node project (no TypeScript, no loader) takes an order through the shipped core.
import assert from 'node:assert/strict';
import { createOrder, decide, defaultLifecycleConfig, ManualClock } from '@paystate/core';

const deps = { clock: new ManualClock('2026-12-01T10:00:00.000Z'), config: defaultLifecycleConfig };
const price = { amountMinor: 15000, currency: 'RUB' };
let d = createOrder(
  {
    orderId: 'o-1',
    deviceId: 'dev-1',
    productId: 'latte',
    productName: 'Latte',
    size: 'M',
    price,
    provider: 'yookassa',
  },
  deps,
);
d = decide(d.snapshot, { type: 'PAYMENT_INITIATED', providerPaymentId: 'pay-1' }, deps);
d = decide(d.snapshot, { type: 'PAYMENT_OBSERVED', source: 'webhook', status: 'succeeded', amount: price }, deps);
assert.equal(d.status, 'paid');
assert.equal(d.effects[0]?.effect.type, 'MAKE_COMMAND');
console.log(`consumer.mjs: order o-1 is ${d.status}, effect ${d.effects[0].effect.type}`);
