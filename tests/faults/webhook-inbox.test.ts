/**
 * A fault the model test cannot inject over HTTP: the store fails while a webhook is processed
 * (a locked database, a lost version race). The delivery is answered 500 so the provider sends it
 * again, and that redelivery must be processed, not dropped as a "duplicate" of the failed one.
 * (Before the fix the inbox row stayed "received" and the redelivery answered `duplicate`: for a
 * provider that cannot be polled, the payment would never have been seen.)
 */
import { afterEach, expect, it } from 'vitest';
import { startStack, type Stack } from '../support/harness.js';

let stack: Stack | undefined;
afterEach(async () => {
  await stack?.stop();
  stack = undefined;
});

it('a webhook whose processing failed (500) is processed when the provider delivers it again', async () => {
  stack = await startStack();
  stack.tmetr.resultCallbackUrl = undefined;
  await stack.createDevice('dev-1');
  const order = await stack.createOrder('dev-1');
  const { paymentId } = await stack.pay(order.order_id);
  stack.yookassa.payment(paymentId).status = 'succeeded';
  const body = JSON.stringify({
    type: 'notification',
    event: 'payment.succeeded',
    object: stack.yookassa.paymentJson(stack.yookassa.payment(paymentId)),
  });

  const orders = stack.runtime.orders;
  const observe = orders.observe.bind(orders);
  let failures = 1;
  orders.observe = (...args: Parameters<typeof observe>) => {
    if (failures-- > 0) return Promise.reject(new Error('SQLITE_BUSY: database is locked'));
    return observe(...args);
  };

  const failed = await stack.request('POST', '/v1/webhooks/yookassa', { raw: body });
  expect(failed.status).toBe(500);
  expect((await stack.status(order.order_id)).status).toBe('pending');

  const again = await stack.request('POST', '/v1/webhooks/yookassa', { raw: body });
  expect(again.status).toBe(200);
  expect(again.body).toEqual({ outcome: 'applied' });
  await stack.waitForStatus(order.order_id, 'make_pending');
  await stack.runtime.dispatcher.kick();
  expect(stack.tmetr.received.map((c) => c.order_id)).toEqual([order.order_id]);

  // Once processed, a further copy is the duplicate it really is.
  expect((await stack.request('POST', '/v1/webhooks/yookassa', { raw: body })).body).toEqual({ outcome: 'duplicate' });
});
