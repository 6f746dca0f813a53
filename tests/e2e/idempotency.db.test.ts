import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '@paystate/core';
import type { PaymentView } from '@paystate/server';
import { WaveSandbox, type LoopbackServer } from '@paystate/sandbox';
import {
  ADMIN_TOKEN,
  startStack,
  type ErrorBody,
  type Reply,
  type Stack,
  type StatusBody,
} from '../support/harness.js';
import { testBackend } from '../support/temp-db.js';

const WAVE_API_KEY = 'wave_sn_prod_idem_key';
const WAVE_WEBHOOK_SECRET = 'wave_sn_WHS_idem_secret';
const T = 20_000;
const DAY_S = 24 * 60 * 60;
const newOrder = {
  device_id: 'dev-1',
  product_id: 'latte',
  product_name: 'Latte',
  size: 'M',
  price: 15000,
  currency: 'RUB',
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const replayed = (reply: Reply) => reply.headers.get('idempotent-replayed') === 'true';

function expectError(reply: Reply, status: number, code: string) {
  expect({ status: reply.status, body: reply.body }).toMatchObject({ status, body: { error: { code } } });
  expect(typeof (reply.body as ErrorBody).error.message).toBe('string');
}

describe(`Idempotency-Key on ${testBackend}: stored responses replayed, other bodies 422, in-flight 409, per credential and merchant, 24 h`, () => {
  let stack: Stack;
  let wave: WaveSandbox | undefined;
  let waveServer: LoopbackServer | undefined;

  afterEach(async () => {
    await stack?.stop();
    await waveServer?.close();
    wave = undefined;
    waveServer = undefined;
  });

  async function start(clock?: ManualClock) {
    wave = new WaveSandbox({ apiKey: WAVE_API_KEY, webhookSecret: WAVE_WEBHOOK_SECRET });
    waveServer = await wave.start();
    stack = await startStack({
      env: { WAVE_API_URL: waveServer.url, WAVE_API_KEY, WAVE_WEBHOOK_SECRET },
      ...(clock ? { clock } : {}),
    });
    await stack.createDevice('dev-1');
    for (const merchant of ['dakar-1', 'dakar-2']) {
      for (const provider_code of ['cash', 'wave']) {
        const r = await stack.request('POST', `/v1/merchants/${merchant}/payment-methods`, {
          token: ADMIN_TOKEN,
          body: { provider_code, display_name: provider_code },
        });
        expect(r.status).toBe(201);
      }
    }
  }

  const order = (key: string, body: unknown = newOrder) =>
    stack.request<StatusBody>('POST', '/v1/orders', { body, headers: { 'Idempotency-Key': key } });
  const pay = (orderId: string, key: string) =>
    stack.request<{ confirmation_url: string }>('POST', `/v1/orders/${orderId}/pay`, {
      headers: { 'Idempotency-Key': key },
    });
  const posPayment = (merchant: string, key: string, body: unknown) =>
    stack.request<PaymentView>('POST', `/v1/merchants/${merchant}/payments`, {
      body,
      token: ADMIN_TOKEN,
      headers: { 'Idempotency-Key': key },
    });

  async function orderCount() {
    return (await stack.admin<{ orders: unknown[] }>('GET', '/orders?limit=500')).body.orders.length;
  }
  async function paymentsOf(merchant: string) {
    return (
      await stack.request<{ payments: PaymentView[] }>('GET', `/v1/merchants/${merchant}/payments`, {
        token: ADMIN_TOKEN,
      })
    ).body.payments;
  }

  it(
    'the first response is replayed byte for byte with Idempotent-Replayed: true; one order is made',
    async () => {
      await start();
      const first = await order('order-key-1');
      expect(first.status).toBe(201);
      expect(replayed(first)).toBe(false);
      const again = await order('order-key-1');
      expect(again.status).toBe(201);
      expect(again.text).toBe(first.text);
      expect(again.headers.get('content-type')).toBe(first.headers.get('content-type'));
      expect(replayed(again)).toBe(true);
      // The same JSON written differently is the same request.
      const reformatted = await stack.request('POST', '/v1/orders', {
        raw: JSON.stringify(Object.fromEntries(Object.entries(newOrder).reverse()), null, 2),
        headers: { 'Idempotency-Key': 'order-key-1' },
      });
      expect(reformatted.text).toBe(first.text);
      expect(await orderCount()).toBe(1);
      // Without a key nothing is remembered.
      expect((await stack.request('POST', '/v1/orders', { body: newOrder })).status).toBe(201);
      expect(await orderCount()).toBe(2);
    },
    T,
  );

  it(
    'the same key with a different body (or on another route) answers 422 and changes nothing',
    async () => {
      await start();
      const first = await order('order-key-2');
      expectError(await order('order-key-2', { ...newOrder, price: 16000 }), 422, 'idempotency_key_reused');
      expectError(await pay(first.body.order_id, 'order-key-2'), 422, 'idempotency_key_reused');
      expect(await orderCount()).toBe(1);
      expect((await stack.status(first.body.order_id)).status).toBe('created');
      expect(stack.yookassa.payments.size).toBe(0);
      // A malformed key is refused before anything runs.
      expectError(await order('bad key with spaces'), 400, 'invalid_idempotency_key');
      expectError(await order('x'.repeat(256)), 400, 'invalid_idempotency_key');
      expect(await orderCount()).toBe(1);
    },
    T,
  );

  it(
    'a concurrent request with a key still in flight gets 409; after completion it is a replay; the provider is asked once',
    async () => {
      await start();
      const created = await order('create-3');
      stack.yookassa.faults.inject('create', { delayMs: 300 });
      const slow = pay(created.body.order_id, 'pay-3');
      await sleep(100);
      const concurrent = await pay(created.body.order_id, 'pay-3');
      expectError(concurrent, 409, 'idempotency_key_in_flight');
      expect(concurrent.headers.get('retry-after')).toBe('1');
      const done = await slow;
      expect(done.status).toBe(200);
      const later = await pay(created.body.order_id, 'pay-3');
      expect(later.text).toBe(done.text);
      expect(replayed(later)).toBe(true);
      expect(stack.yookassa.payments.size).toBe(1);
    },
    T,
  );

  it(
    'a burst of identical POS payment requests sent at once: exactly one runs (201), the others 409, one payment and one Wave session',
    async () => {
      await start();
      wave!.faults.inject('create', { delayMs: 300 });
      const body = { method: 'wave', amount_minor: 2_000, currency: 'XOF', description: 'Yassa' };
      const replies = await Promise.all(Array.from({ length: 8 }, () => posPayment('dakar-1', 'burst-1', body)));
      const statuses = replies.map((r) => r.status).sort();
      expect(statuses).toEqual([201, 409, 409, 409, 409, 409, 409, 409]);
      for (const r of replies.filter((each) => each.status === 409)) expectError(r, 409, 'idempotency_key_in_flight');
      const winner = replies.find((r) => r.status === 201)!;
      expect(await paymentsOf('dakar-1')).toHaveLength(1);
      expect(wave!.sessions.size).toBe(1);
      const replay = await posPayment('dakar-1', 'burst-1', body);
      expect(replay.text).toBe(winner.text);
      expect(replayed(replay)).toBe(true);
    },
    T,
  );

  it(
    'a burst of identical order requests without any provider delay: one order, every 201 the same body',
    async () => {
      await start();
      const replies = await Promise.all(Array.from({ length: 12 }, () => order('burst-2')));
      const fresh = replies.filter((r) => r.status === 201 && !replayed(r));
      expect(fresh).toHaveLength(1);
      for (const r of replies) {
        if (r.status === 201) expect(r.text).toBe(fresh[0]!.text);
        else expectError(r, 409, 'idempotency_key_in_flight');
      }
      expect(await orderCount()).toBe(1);
    },
    T,
  );

  it(
    'keys are per credential: the anonymous order API and a merchant called `default` never share a key',
    async () => {
      await start();
      const cash = await stack.request('POST', '/v1/merchants/default/payment-methods', {
        token: ADMIN_TOKEN,
        body: { provider_code: 'cash', display_name: 'cash' },
      });
      expect(cash.status).toBe(201);
      const created = await order('same-key');
      expect(created.status).toBe(201);
      const payment = await posPayment('default', 'same-key', { method: 'cash', amount_minor: 500, currency: 'XOF' });
      expect(payment.status).toBe(201);
      expect(replayed(payment)).toBe(false);
      expect((await order('same-key')).text).toBe(created.text);
      expect(await paymentsOf('default')).toHaveLength(1);
    },
    T,
  );

  it(
    'keys are per merchant: one key at two merchants makes two payments, each replayed to its own merchant',
    async () => {
      await start();
      const body = { method: 'cash', amount_minor: 1_000, currency: 'XOF' };
      const a = await posPayment('dakar-1', 'shared-key', body);
      const b = await posPayment('dakar-2', 'shared-key', body);
      expect([a.status, b.status]).toEqual([201, 201]);
      expect(a.body.payment_id).not.toBe(b.body.payment_id);
      expect(a.body.merchant_id).toBe('dakar-1');
      expect(b.body.merchant_id).toBe('dakar-2');
      expect((await posPayment('dakar-1', 'shared-key', body)).text).toBe(a.text);
      expect((await posPayment('dakar-2', 'shared-key', body)).text).toBe(b.text);
      // The anonymous order API's keys are another scope again.
      expect((await order('shared-key')).status).toBe(201);
      expect(await paymentsOf('dakar-1')).toHaveLength(1);
      expect(await paymentsOf('dakar-2')).toHaveLength(1);
      // A request refused by the admin token claims nothing.
      const anonymous = await stack.request('POST', '/v1/merchants/dakar-1/payments', {
        body,
        headers: { 'Idempotency-Key': 'fresh-key' },
      });
      expectError(anonymous, 401, 'unauthorized');
      const authorised = await posPayment('dakar-1', 'fresh-key', body);
      expect(authorised.status).toBe(201);
      expect(replayed(authorised)).toBe(false);
    },
    T,
  );

  it(
    'responses are kept for 24 hours by the server clock; then the key may be used again',
    async () => {
      const clock = new ManualClock('2026-03-01T09:00:00.000Z');
      await start(clock);
      const body = { method: 'cash', amount_minor: 700, currency: 'XOF' };
      const first = await posPayment('dakar-1', 'day-key', body);
      expect(first.status).toBe(201);
      clock.advance(DAY_S - 1);
      const within = await posPayment('dakar-1', 'day-key', body);
      expect(within.text).toBe(first.text);
      expect(replayed(within)).toBe(true);
      expectError(
        await posPayment('dakar-1', 'day-key', { ...body, amount_minor: 800 }),
        422,
        'idempotency_key_reused',
      );
      clock.advance(1);
      const expired = await posPayment('dakar-1', 'day-key', { ...body, amount_minor: 800 });
      expect(expired.status).toBe(201);
      expect(replayed(expired)).toBe(false);
      expect(expired.body.payment_id).not.toBe(first.body.payment_id);
      expect((await paymentsOf('dakar-1')).map((p) => p.amount_minor).sort()).toEqual([700, 800]);
    },
    T,
  );

  it(
    '5xx answers are not stored (the key is released and a retry runs); 4xx answers are stored and replayed',
    async () => {
      await start();
      const created = await order('create-6');
      stack.yookassa.faults.inject('create', { status: 500 });
      expectError(await pay(created.body.order_id, 'pay-6'), 502, 'provider_error');
      stack.yookassa.faults.inject('create', { delayMs: 900 });
      expectError(await pay(created.body.order_id, 'pay-6'), 504, 'provider_timeout');
      const retried = await pay(created.body.order_id, 'pay-6');
      expect(retried.status).toBe(200);
      expect(replayed(retried)).toBe(false);
      expect(replayed(await pay(created.body.order_id, 'pay-6'))).toBe(true);

      // A 4xx is a completed answer: replayed even once the device exists.
      const unknownDevice = await order('create-7', { ...newOrder, device_id: 'dev-2' });
      expectError(unknownDevice, 404, 'device_not_found');
      await stack.createDevice('dev-2');
      const replay = await order('create-7', { ...newOrder, device_id: 'dev-2' });
      expect(replay.status).toBe(404);
      expect(replay.text).toBe(unknownDevice.text);
      expect(replayed(replay)).toBe(true);
      // So is a POS refusal.
      const refusal = await posPayment('dakar-1', 'pos-4xx', {
        method: 'mtn_momo',
        amount_minor: 100,
        currency: 'XOF',
      });
      expectError(refusal, 404, 'method_not_found');
      expect(
        replayed(await posPayment('dakar-1', 'pos-4xx', { method: 'mtn_momo', amount_minor: 100, currency: 'XOF' })),
      ).toBe(true);
    },
    T,
  );

  it(
    'POS refunds and cash confirmations take keys too: a retried refund is replayed, never a second refund',
    async () => {
      await start();
      const admin = (path: string, body?: unknown, key?: string) =>
        stack.request<Record<string, unknown>>('POST', `/v1/merchants/dakar-1${path}`, {
          token: ADMIN_TOKEN,
          ...(body === undefined ? {} : { body }),
          headers: key ? { 'Idempotency-Key': key } : {},
        });
      expect((await admin('/drawer/open', { opening_minor: 0, currency: 'XOF' }, 'open-1')).status).toBe(201);
      expect((await admin('/drawer/open', { opening_minor: 0, currency: 'XOF' }, 'open-1')).status).toBe(201);
      const payment = await posPayment('dakar-1', 'pay-cash', { method: 'cash', amount_minor: 3_000, currency: 'XOF' });
      const confirm = await admin(`/payments/${payment.body.payment_id}/confirm-cash`, undefined, 'confirm-1');
      expect(confirm.status).toBe(200);
      expect((await admin(`/payments/${payment.body.payment_id}/confirm-cash`, undefined, 'confirm-1')).text).toBe(
        confirm.text,
      );
      const refund = await admin(`/payments/${payment.body.payment_id}/refunds`, { amount_minor: 1_000 }, 'refund-1');
      expect(refund.status).toBe(201);
      const retried = await admin(`/payments/${payment.body.payment_id}/refunds`, { amount_minor: 1_000 }, 'refund-1');
      expect(retried.text).toBe(refund.text);
      expect(replayed(retried)).toBe(true);
      const detail = await stack.request<{ refunded_minor: number; refunds: unknown[] }>(
        'GET',
        `/v1/merchants/dakar-1/payments/${payment.body.payment_id}`,
        { token: ADMIN_TOKEN },
      );
      expect(detail.body).toMatchObject({ refunded_minor: 1_000 });
      expect(detail.body.refunds).toHaveLength(1);
      const drawer = await stack.request<{ expected_minor: number }>('GET', '/v1/merchants/dakar-1/drawer', {
        token: ADMIN_TOKEN,
      });
      expect(drawer.body.expected_minor).toBe(2_000);
    },
    T,
  );
});
