import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ADMIN_TOKEN,
  DEVICE_TOKEN,
  SECRET_KEY,
  SHOP_ID,
  startStack,
  waitFor,
  type ErrorBody,
  type Reply,
  type Stack,
} from '../support/harness.js';

const T = 10_000;
const newOrder = {
  device_id: 'dev-1',
  product_id: 'latte',
  product_name: 'Latte',
  size: 'M',
  price: 15000,
  currency: 'RUB',
};

/** Every error answer has the documented shape: `{ error: { code, message } }` and nothing else. */
function expectError(reply: Reply, status: number, code: string) {
  expect({ status: reply.status, body: reply.body }).toMatchObject({ status, body: { error: { code } } });
  const body = reply.body as ErrorBody;
  expect(Object.keys(body)).toEqual(['error']);
  expect(typeof body.error.message).toBe('string');
  expect(body.error.message.length).toBeGreaterThan(0);
  expect(reply.headers.get('content-type')).toMatch(/^application\/json/);
}

describe('HTTP routes: error paths and operator actions', () => {
  let stack: Stack;

  beforeEach(async () => {
    stack = await startStack();
    await stack.createDevice('dev-1');
  });
  afterEach(async () => {
    await stack?.stop();
  });

  async function orderCount() {
    const list = await stack.admin<{ orders: unknown[] }>('GET', '/orders?limit=500');
    return list.body.orders.length;
  }

  describe('POST /v1/orders', () => {
    it(
      'refuses malformed JSON, wrong types, unknown fields and missing fields with 400, creating nothing',
      async () => {
        expectError(
          await stack.request('POST', '/v1/orders', { raw: '{"device_id": "dev-1",' }),
          400,
          'malformed_json',
        );
        expectError(await stack.request('POST', '/v1/orders', { raw: 'null' }), 400, 'validation_failed');
        expectError(await stack.request('POST', '/v1/orders', { raw: '[]' }), 400, 'validation_failed');
        expectError(await stack.request('POST', '/v1/orders', { raw: '' }), 400, 'validation_failed');
        const bad: Array<Record<string, unknown>> = [
          { ...newOrder, price: '150.00' },
          { ...newOrder, price: 150.5 },
          { ...newOrder, price: 0 },
          { ...newOrder, price: -100 },
          { ...newOrder, currency: 'rub' },
          { ...newOrder, product_name: '' },
          { ...newOrder, product_name: 'x'.repeat(121) },
          { ...newOrder, device_id: 42 },
          { ...newOrder, device_id: '../dev-1' },
          { ...newOrder, status: 'paid' },
          { ...newOrder, provider: 'Not A Code' },
          { device_id: 'dev-1' },
        ];
        for (const body of bad) {
          const reply = await stack.request('POST', '/v1/orders', { body });
          expectError(reply, 400, 'validation_failed');
        }
        const unknownField = await stack.request<ErrorBody>('POST', '/v1/orders', {
          body: { ...newOrder, status: 'paid' },
        });
        expect(unknownField.body.error.message).toMatch(/status|unrecognized/i);
        expect(await orderCount()).toBe(0);
      },
      T,
    );

    it(
      'answers 404 for an unknown device and 400 for a provider that is not configured',
      async () => {
        expectError(
          await stack.request('POST', '/v1/orders', { body: { ...newOrder, device_id: 'no-such-device' } }),
          404,
          'device_not_found',
        );
        expectError(
          await stack.request('POST', '/v1/orders', { body: { ...newOrder, provider: 'stripe' } }),
          400,
          'unknown_provider',
        );
        expect(await orderCount()).toBe(0);
      },
      T,
    );

    it(
      'refuses a body over 64 KB with 413',
      async () => {
        const big = { ...newOrder, product_name: 'x'.repeat(70 * 1024) };
        expectError(await stack.request('POST', '/v1/orders', { body: big }), 413, 'body_too_large');
        expectError(
          await stack.admin('PUT', '/devices/dev-big', { name: 'Big', client_info: 'x'.repeat(70 * 1024) }),
          413,
          'body_too_large',
        );
        expectError(
          await stack.request('POST', '/v1/webhooks/yookassa', {
            raw: JSON.stringify({ type: 'notification', pad: 'x'.repeat(70 * 1024) }),
          }),
          413,
          'body_too_large',
        );
        expect(await orderCount()).toBe(0);
        expect((await stack.admin('GET', '/devices/dev-big')).status).toBe(404);
        // Just under the limit is parsed (and refused for what it says, not for its size).
        const under = await stack.request('POST', '/v1/orders', {
          body: { ...newOrder, product_name: 'x'.repeat(60 * 1024) },
        });
        expectError(under, 400, 'validation_failed');
      },
      T,
    );
  });

  describe('order ids in paths', () => {
    const badIds = [
      '..%2F..%2Fetc%2Fpasswd',
      '..%5C..%5Cwindows',
      'a.b',
      "o'1",
      'o%22',
      'o%20x',
      'x'.repeat(65),
      '%00',
    ];

    it(
      'refuses ids with path traversal or odd characters with 400 on every route that takes one',
      async () => {
        for (const id of badIds) {
          expectError(await stack.request('GET', `/v1/order-status/${id}`), 400, 'invalid_id');
          expectError(await stack.request('POST', `/v1/orders/${id}/pay`), 400, 'invalid_id');
          // The customer pages answer their HTML 404: to a person there is no such order.
          expect((await stack.request('GET', `/orders/${id}`)).status).toBe(404);
          expect((await stack.request('GET', `/orders/${id}/return`)).status).toBe(404);
          expectError(await stack.admin('GET', `/orders/${id}`), 400, 'invalid_id');
          expectError(
            await stack.admin('POST', `/orders/${id}/actions`, { action: 'mark_made', operator: 'ann' }),
            400,
            'invalid_id',
          );
          expectError(await stack.admin('GET', `/devices/${id}`), 400, 'invalid_id');
          expectError(await stack.admin('PUT', `/devices/${id}`, { name: 'x' }), 400, 'invalid_id');
          expectError(await stack.admin('DELETE', `/devices/${id}`), 400, 'invalid_id');
          expectError(await stack.deviceReport(id, 'o-1', 'made'), 400, 'invalid_id');
          expectError(await stack.deviceReport('dev-1', id, 'made'), 400, 'invalid_id');
        }
        expect((await stack.admin<{ devices: unknown[] }>('GET', '/devices')).body.devices).toHaveLength(1);
      },
      T,
    );

    it(
      'answers 404 for an unknown order on every route that takes one',
      async () => {
        const id = 'no-such-order';
        expectError(await stack.request('GET', `/v1/order-status/${id}`), 404, 'order_not_found');
        expectError(await stack.request('POST', `/v1/orders/${id}/pay`), 404, 'order_not_found');
        for (const page of [`/orders/${id}`, `/orders/${id}/return`]) {
          const reply = await stack.request('GET', page);
          expect(reply.status).toBe(404);
          expect(reply.headers.get('content-type')).toMatch(/^text\/html/);
        }
        expectError(await stack.admin('GET', `/orders/${id}`), 404, 'order_not_found');
        expectError(
          await stack.admin('POST', `/orders/${id}/actions`, { action: 'mark_made', operator: 'ann' }),
          404,
          'order_not_found',
        );
        expectError(await stack.deviceReport('dev-1', id, 'made'), 404, 'order_not_found');
        expect(stack.yookassa.payments.size).toBe(0);
      },
      T,
    );
  });

  describe('POST /v1/orders/:id/pay', () => {
    it(
      'a provider timeout answers 504 provider_timeout; the retry gets the same payment through the idempotency key',
      async () => {
        const order = await stack.createOrder('dev-1');
        stack.yookassa.faults.inject('create', { delayMs: 1000 });
        const started = Date.now();
        const slow = await stack.request('POST', `/v1/orders/${order.order_id}/pay`);
        expectError(slow, 504, 'provider_timeout');
        expect(Date.now() - started).toBeLessThan(1000);
        expect((await stack.status(order.order_id)).status).toBe('created');

        const retry = await stack.request<{ confirmation_url: string }>('POST', `/v1/orders/${order.order_id}/pay`);
        expect(retry.status).toBe(200);
        const payment = stack.yookassa.paymentFor(order.order_id);
        expect(payment).toBeDefined();
        expect(retry.body.confirmation_url).toBe(`${stack.yookassaUrl}/checkout/${payment!.id}`);
        const detail = await stack.detail(order.order_id);
        expect(detail.status).toBe('pending');
        expect(detail.order.provider_payment_id).toBe(payment!.id);

        // Let the timed-out call finish at the provider: under the same idempotency key it can only
        // replay the retry's payment, never add a second one.
        await new Promise((resolve) => setTimeout(resolve, Math.max(0, started + 1200 - Date.now())));
        expect([...stack.yookassa.payments.keys()]).toEqual([payment!.id]);
        // The key is the order's: asking the provider again with it creates nothing new.
        const replay = await fetch(`${stack.yookassaUrl}/v3/payments`, {
          method: 'POST',
          headers: {
            authorization: `Basic ${Buffer.from(`${SHOP_ID}:${SECRET_KEY}`).toString('base64')}`,
            'idempotence-key': `pay:${order.order_id}`,
            'content-type': 'application/json',
          },
          body: JSON.stringify({
            amount: { value: '150.00', currency: 'RUB' },
            confirmation: { type: 'redirect', return_url: 'https://example.com/' },
          }),
        });
        expect(await replay.text()).toMatch(/Idempotence-Key was used|"id":"/);
        expect(stack.yookassa.payments.size).toBe(1);
      },
      T,
    );

    it(
      'a provider 5xx answers 502 provider_error and leaves the order payable',
      async () => {
        const order = await stack.createOrder('dev-1');
        stack.yookassa.faults.inject('create', { status: 500 });
        expectError(await stack.request('POST', `/v1/orders/${order.order_id}/pay`), 502, 'provider_error');
        expect((await stack.status(order.order_id)).status).toBe('created');
        expect((await stack.request('POST', `/v1/orders/${order.order_id}/pay`)).status).toBe(200);
        expect(stack.yookassa.payments.size).toBe(1);
      },
      T,
    );

    it(
      'a dropped provider connection is the provider failing (502), not an internal error',
      async () => {
        const order = await stack.createOrder('dev-1');
        stack.yookassa.faults.inject('create', { reset: true });
        const reply = await stack.request('POST', `/v1/orders/${order.order_id}/pay`);
        expect(reply.status).toBe(502);
        expect((reply.body as ErrorBody).error.code).toMatch(/^provider_/);
        expect((await stack.status(order.order_id)).status).toBe('created');
        expect((await stack.request('POST', `/v1/orders/${order.order_id}/pay`)).status).toBe(200);
      },
      T,
    );

    it(
      'an order that is no longer payable answers 409',
      async () => {
        const order = await stack.createOrder('dev-1');
        const { paymentId } = await stack.pay(order.order_id);
        await stack.yookassa.setStatus(paymentId, 'canceled');
        await stack.waitForStatus(order.order_id, 'not_paid');
        expectError(await stack.request('POST', `/v1/orders/${order.order_id}/pay`), 409, 'order_not_payable');
        expect(stack.yookassa.payments.size).toBe(1);
      },
      T,
    );
  });

  describe('POST /v1/webhooks/:provider', () => {
    it(
      'an unknown or malformed provider name answers 400',
      async () => {
        const body = { type: 'notification', event: 'payment.succeeded', object: { id: 'p-1' } };
        expectError(await stack.request('POST', '/v1/webhooks/stripe', { body }), 400, 'unknown_provider');
        expectError(await stack.request('POST', '/v1/webhooks/YooKassa', { body }), 400, 'unknown_provider');
        expectError(await stack.request('POST', '/v1/webhooks/..%2Fadmin', { body }), 400, 'unknown_provider');
      },
      T,
    );

    it(
      'a malformed notification answers 400',
      async () => {
        expectError(
          await stack.request('POST', '/v1/webhooks/yookassa', { raw: '{not json' }),
          400,
          'malformed_webhook',
        );
        expectError(await stack.request('POST', '/v1/webhooks/yookassa', { raw: '' }), 400, 'malformed_webhook');
        expectError(
          await stack.request('POST', '/v1/webhooks/yookassa', { body: { type: 'notification' } }),
          400,
          'malformed_webhook',
        );
        expectError(
          await stack.request('POST', '/v1/webhooks/yookassa', {
            body: { type: 'notification', event: 'payout.succeeded', object: { id: 'x' } },
          }),
          400,
          'malformed_webhook',
        );
      },
      T,
    );
  });

  describe('POST /v1/devices/:deviceId/orders/:id/result', () => {
    it(
      'needs the device token, a known result and the device that owns the order',
      async () => {
        const order = await stack.createOrder('dev-1');
        const id = order.order_id;
        expectError(await stack.deviceReport('dev-1', id, 'made', null), 401, 'unauthorized');
        expectError(await stack.deviceReport('dev-1', id, 'made', 'wrong-token'), 401, 'unauthorized');
        expectError(await stack.deviceReport('dev-1', id, 'exploded'), 400, 'validation_failed');
        expectError(
          await stack.request('POST', `/v1/devices/dev-1/orders/${id}/result`, {
            raw: '{"result":',
            token: DEVICE_TOKEN,
          }),
          400,
          'malformed_json',
        );
        expectError(
          await stack.request('POST', `/v1/devices/dev-1/orders/${id}/result`, {
            body: { result: 'made', extra: 1 },
            token: DEVICE_TOKEN,
          }),
          400,
          'validation_failed',
        );
        // Another machine cannot report on this order; an unknown one neither.
        await stack.createDevice('dev-2');
        expectError(await stack.deviceReport('dev-2', id, 'made'), 404, 'order_not_found');
        expectError(await stack.deviceReport('no-such-device', id, 'made'), 404, 'order_not_found');
        // A report for an order nobody paid changes nothing (recorded, not applied).
        const early = await stack.deviceReport('dev-1', id, 'made');
        expect(early.status).toBe(200);
        expect(early.body).toEqual({ order_id: id, status: 'created', applied: false });
        const detail = await stack.detail(id);
        expect(detail.status).toBe('created');
        expect(detail.events.at(-1)).toMatchObject({ event: 'DEVICE_REPORTED', applied: false, source: 'device' });
      },
      T,
    );
  });

  describe('admin API', () => {
    it(
      'refuses every admin route without the token or with a wrong one',
      async () => {
        const routes: Array<[string, string]> = [
          ['GET', '/v1/admin/devices'],
          ['GET', '/v1/admin/devices/dev-1'],
          ['PUT', '/v1/admin/devices/dev-9'],
          ['DELETE', '/v1/admin/devices/dev-1'],
          ['GET', '/v1/admin/orders'],
          ['GET', '/v1/admin/orders/o-1'],
          ['POST', '/v1/admin/orders/o-1/actions'],
          ['GET', '/v1/admin/nothing-here'],
        ];
        for (const [method, path] of routes) {
          const body =
            method === 'GET' || method === 'DELETE' ? undefined : { name: 'x', action: 'mark_made', operator: 'x' };
          for (const headers of [
            {} as Record<string, string>,
            { authorization: `Bearer ${ADMIN_TOKEN}x` },
            { authorization: ADMIN_TOKEN },
            { authorization: 'Bearer ' },
          ]) {
            const reply = await stack.request(method, path, { body, headers });
            expectError(reply, 401, 'unauthorized');
            expect(reply.headers.get('www-authenticate') ?? '').toMatch(/^Bearer/);
          }
        }
        // Nothing was written by the refused calls.
        expect((await stack.admin('GET', '/devices/dev-1')).status).toBe(200);
        expect((await stack.admin('GET', '/devices/dev-9')).status).toBe(404);
      },
      T,
    );

    it(
      'devices CRUD: create 201, update 200, validation 400, unknown 404, delete in use 409, delete 204',
      async () => {
        const created = await stack.admin<Record<string, unknown>>('PUT', '/devices/dev-new', {
          name: 'New',
          location: 'Floor 2',
          logo_url: 'https://example.com/logo.png',
          client_info: '<p>hello</p>',
          client_info_make_failed: '<b>call us</b><iframe src="https://evil"></iframe>',
        });
        expect(created.status).toBe(201);
        expect(created.body).toMatchObject({
          id: 'dev-new',
          name: 'New',
          location: 'Floor 2',
          logo_url: 'https://example.com/logo.png',
          client_info: '<p>hello</p>',
          client_info_by_status: { make_failed: '<b>call us</b>' },
        });
        const updated = await stack.admin<Record<string, unknown>>('PUT', '/devices/dev-new', { name: 'Renamed' });
        expect(updated.status).toBe(200);
        expect(updated.body).toMatchObject({ id: 'dev-new', name: 'Renamed' });

        for (const body of [
          { name: '' },
          { location: 'no name' },
          { name: 'x', logo_url: 'http://insecure.example/logo.png' },
          { name: 'x', logo_url: 'javascript:alert(1)' },
          { name: 'x', client_info_bogus: 'x' },
          { name: 'x', extra: true },
          { name: 5 },
        ]) {
          expectError(await stack.admin('PUT', '/devices/dev-bad', body), 400, 'validation_failed');
        }
        expectError(
          await stack.request('PUT', '/v1/admin/devices/dev-bad', { raw: '{', token: ADMIN_TOKEN }),
          400,
          'malformed_json',
        );
        expectError(await stack.admin('GET', '/devices/dev-bad'), 404, 'device_not_found');

        const list = await stack.admin<{ devices: Array<{ id: string }> }>('GET', '/devices');
        expect(list.body.devices.map((d) => d.id)).toEqual(['dev-1', 'dev-new']);

        await stack.createOrder('dev-1');
        expectError(await stack.admin('DELETE', '/devices/dev-1'), 409, 'device_in_use');
        expect((await stack.admin('GET', '/devices/dev-1')).status).toBe(200);
        const deleted = await stack.admin('DELETE', '/devices/dev-new');
        expect(deleted.status).toBe(204);
        expect(deleted.text).toBe('');
        expectError(await stack.admin('GET', '/devices/dev-new'), 404, 'device_not_found');
        expectError(await stack.admin('DELETE', '/devices/dev-new'), 404, 'device_not_found');
      },
      T,
    );

    it(
      'orders list with filters and order detail with the audit trail',
      async () => {
        await stack.createDevice('dev-2');
        const a = await stack.createOrder('dev-1');
        const b = await stack.createOrder('dev-2');
        await stack.pay(b.order_id);

        const all = await stack.admin<{ orders: Array<{ order_id: string; status: string; version: number }> }>(
          'GET',
          '/orders',
        );
        expect(all.status).toBe(200);
        expect(all.body.orders.map((o) => o.order_id).sort()).toEqual([a.order_id, b.order_id].sort());
        const pending = await stack.admin<{ orders: Array<{ order_id: string; status: string }> }>(
          'GET',
          '/orders?status=pending',
        );
        expect(pending.body.orders.map((o) => [o.order_id, o.status])).toEqual([[b.order_id, 'pending']]);
        const byDevice = await stack.admin<{ orders: Array<{ order_id: string }> }>('GET', '/orders?device_id=dev-1');
        expect(byDevice.body.orders.map((o) => o.order_id)).toEqual([a.order_id]);
        const limited = await stack.admin<{ orders: unknown[] }>('GET', '/orders?limit=1');
        expect(limited.body.orders).toHaveLength(1);
        const before = await stack.admin<{ orders: unknown[] }>('GET', '/orders?created_before=2000-01-01T00:00:00Z');
        expect(before.body.orders).toHaveLength(0);

        for (const query of [
          'status=bogus',
          'limit=0',
          'limit=501',
          'limit=abc',
          'device_id=..%2Fx',
          'created_before=yesterday',
          'sort=id',
        ]) {
          expectError(await stack.admin('GET', `/orders?${query}`), 400, 'invalid_query');
        }

        const detail = await stack.detail(b.order_id);
        expect(detail.status).toBe('pending');
        expect(detail.version).toBe(1);
        expect(detail.order.order_id).toBe(b.order_id);
        expect(detail.events.map((e) => [e.event, e.to, e.applied])).toEqual([
          ['ORDER_CREATED', 'created', true],
          ['PAYMENT_INITIATED', 'pending', true],
        ]);
        expect(detail.events[1]?.payload).toMatchObject({
          provider_payment_id: stack.yookassa.paymentFor(b.order_id)?.id,
        });
      },
      T,
    );

    it(
      'manual actions: mark_made on make_failed -> successful; refund -> refunded at the provider; disallowed -> 409; bad bodies -> 400',
      async () => {
        stack.tmetr.mode = 'reject';
        const order = await stack.createOrder('dev-1');
        const id = order.order_id;
        const { paymentId } = await stack.pay(id);
        await stack.customerPays(paymentId);
        await stack.waitForStatus(id, 'make_failed', 5000);

        for (const body of [
          { action: 'explode', operator: 'ann' },
          { action: 'mark_made' },
          { action: 'mark_made', operator: '' },
          { action: 'mark_made', operator: 'ann', extra: 1 },
        ]) {
          expectError(await stack.admin('POST', `/orders/${id}/actions`, body), 400, 'validation_failed');
        }
        expectError(
          await stack.request('POST', `/v1/admin/orders/${id}/actions`, { raw: '{"action"', token: ADMIN_TOKEN }),
          400,
          'malformed_json',
        );
        // make_failed cannot be "resolved" as not paid: the money was taken.
        expectError(
          await stack.admin('POST', `/orders/${id}/actions`, { action: 'resolve', operator: 'ann' }),
          409,
          'action_not_allowed',
        );
        expect((await stack.status(id)).status).toBe('make_failed');

        const marked = await stack.admin('POST', `/orders/${id}/actions`, {
          action: 'mark_made',
          operator: 'ann',
          note: 'made by hand',
        });
        expect(marked.status).toBe(200);
        expect(marked.body).toEqual({ order_id: id, status: 'successful' });
        expect((await stack.status(id)).status).toBe('successful');
        expectError(
          await stack.admin('POST', `/orders/${id}/actions`, { action: 'mark_made', operator: 'ann' }),
          409,
          'action_not_allowed',
        );

        const refunded = await stack.admin('POST', `/orders/${id}/actions`, { action: 'refund', operator: 'bob' });
        expect(refunded.body).toEqual({ order_id: id, status: 'refunded' });
        await waitFor(
          () => stack.yookassa.payment(paymentId).refunded.amountMinor === 15000,
          3000,
          'the refund at the sandbox',
        );
        await stack.settled();
        await stack.runtime.dispatcher.kick();
        expect(stack.yookassa.payment(paymentId).refunded).toEqual({ amountMinor: 15000, currency: 'RUB' });
        expect((await stack.status(id)).status).toBe('refunded');

        const detail = await stack.detail(id);
        const operatorRows = detail.events.filter((e) => e.source === 'operator');
        expect(operatorRows.map((e) => [e.event, e.from, e.to, e.applied])).toEqual([
          ['OPERATOR_RESOLVE', 'make_failed', 'make_failed', false],
          ['OPERATOR_MARK_MADE', 'make_failed', 'successful', true],
          ['OPERATOR_MARK_MADE', 'successful', 'successful', false],
          ['OPERATOR_REFUND', 'successful', 'refunded', true],
        ]);
        expect(operatorRows[1]?.payload).toMatchObject({ operator: 'ann', note: 'made by hand' });
        // The operator's mark never sent a second make command.
        expect(stack.tmetr.received).toHaveLength(1);

        const fresh = await stack.createOrder('dev-1');
        expectError(
          await stack.admin('POST', `/orders/${fresh.order_id}/actions`, { action: 'mark_made', operator: 'ann' }),
          409,
          'action_not_allowed',
        );
        expect((await stack.status(fresh.order_id)).status).toBe('created');
      },
      T,
    );
  });

  describe('operations', () => {
    it(
      '/healthz answers 200',
      async () => {
        const reply = await stack.request('GET', '/healthz');
        expect(reply.status).toBe(200);
        expect(reply.body).toEqual({ status: 'ok' });
      },
      T,
    );

    it(
      '/metrics answers Prometheus text with paystate metrics',
      async () => {
        const order = await stack.createOrder('dev-1');
        await stack.pay(order.order_id);
        const reply = await stack.request('GET', '/metrics');
        expect(reply.status).toBe(200);
        expect(reply.headers.get('content-type')).toMatch(/^text\/plain/);
        expect(reply.text).toContain('# TYPE paystate_http_requests_total counter');
        expect(reply.text).toMatch(/paystate_http_requests_total\{method="POST",route="\/v1\/orders",status="201"\} 1/);
        expect(reply.text).toMatch(/paystate_orders\{status="pending"\} 1/);
        expect(reply.text).toMatch(/paystate_effects_pending 0/);
      },
      T,
    );

    it(
      'webhooks to made-up provider names add no metrics series (one `unknown` label for all of them)',
      async () => {
        for (let i = 0; i < 25; i++) await stack.request('POST', `/v1/webhooks/nosuch${i}`, { body: {} });
        const text = (await stack.request('GET', '/metrics')).text;
        expect(text).not.toMatch(/nosuch\d/);
        expect(text).toMatch(/paystate_webhooks_total\{provider="unknown",outcome="unknown_provider"\} 25/);
      },
      T,
    );

    it(
      'made-up paths and methods add no metrics series: labels are route patterns, unknown ones one label',
      async () => {
        const series = async () =>
          (await stack.request('GET', '/metrics')).text
            .split('\n')
            .filter((line) => line.startsWith('paystate_http_requests_total{'));
        for (let i = 0; i < 3; i++) await stack.request('GET', `/warmup-${i}`);
        const before = await series();
        for (let i = 0; i < 40; i++) {
          await stack.request('GET', `/no/such/page-${i}`);
          await stack.request('PATCH', `/v1/orders/x-${i}`);
          await stack.request('GET', `/v1/order-status/id-${i}`);
        }
        const after = await series();
        expect(after.join('\n')).not.toMatch(/page-\d|x-\d|id-\d/);
        // At most one new series per (method, route pattern, status) the requests above could reach.
        expect(after.length - before.length).toBeLessThanOrEqual(4);
      },
      T,
    );

    it(
      'text a database cannot hold (NUL, a lone surrogate) is refused with 400 on every backend, nothing written',
      async () => {
        const before = (await stack.request<{ orders: unknown[] }>('GET', '/v1/admin/orders', { token: ADMIN_TOKEN }))
          .body.orders.length;
        for (const productName of ['Latte\u0000', 'Latte \ud800', '\udc00 Latte']) {
          const raw = JSON.stringify({
            device_id: 'dev-1',
            product_id: 'latte',
            product_name: productName,
            size: 'M',
            price: 15000,
            currency: 'RUB',
          });
          expectError(await stack.request('POST', '/v1/orders', { raw }), 400, 'validation_failed');
        }
        expectError(
          await stack.request('GET', '/v1/admin/orders?created_before=%00', { token: ADMIN_TOKEN }),
          400,
          'invalid_query',
        );
        const after = (await stack.request<{ orders: unknown[] }>('GET', '/v1/admin/orders', { token: ADMIN_TOKEN }))
          .body.orders.length;
        expect(after).toBe(before);
      },
      T,
    );

    it(
      'an unknown route answers 404 in the error shape',
      async () => {
        expectError(await stack.request('GET', '/nowhere'), 404, 'not_found');
        expectError(await stack.request('POST', '/v1/order-status/abc'), 404, 'not_found');
        expectError(await stack.request('DELETE', '/v1/orders'), 404, 'not_found');
        expectError(await stack.request('GET', '/v1/orders/abc/pay'), 404, 'not_found');
      },
      T,
    );
  });
});

describe('webhook sender allowlist', () => {
  let stack: Stack;
  afterEach(async () => {
    await stack?.stop();
  });

  it(
    "a notification from outside YooKassa's networks answers 401 and changes nothing",
    async () => {
      stack = await startStack({ env: { YOOKASSA_ALLOWED_NETWORKS: 'yookassa' } });
      await stack.createDevice('dev-1');
      const order = await stack.createOrder('dev-1');
      const { paymentId } = await stack.pay(order.order_id);
      stack.yookassa.payment(paymentId).status = 'succeeded';
      const object = stack.yookassa.paymentJson(stack.yookassa.payment(paymentId));
      const reply = await stack.request('POST', '/v1/webhooks/yookassa', {
        body: { type: 'notification', event: 'payment.succeeded', object },
      });
      expectError(reply, 401, 'webhook_unverified');
      expect((await stack.status(order.order_id)).status).toBe('pending');
      await stack.runtime.dispatcher.kick();
      expect(stack.tmetr.received).toHaveLength(0);
    },
    T,
  );
});
