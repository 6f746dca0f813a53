/**
 * The isolation matrix (docs/merchants.md): every protected route, sent with a key of merchant
 * iso-a in each scope, at merchant iso-b's resources, answers 403 or 404 and writes nothing: the
 * row count of every table is the same before and after. Listing routes answer only iso-a's rows.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, DEVICE_TOKEN, startStack, type Stack } from '../support/harness.js';
import { pgQuery, sqliteQuery } from '../support/inspect.js';
import { testBackend } from '../support/temp-db.js';

const TABLES = [
  'merchants',
  'api_keys',
  'provider_accounts',
  'devices',
  'orders',
  'order_events',
  'effects',
  'webhook_inbox',
  'payment_methods',
  'payments',
  'payment_refunds',
  'cash_drawer_sessions',
  'cash_drawer_movements',
  'idempotency_keys',
  'tickets',
  'alerts',
  'alert_channels',
  'alert_deliveries',
  'console_users',
  'console_sessions',
];

describe(`merchant isolation on ${testBackend}: another merchant's key, every route, every scope`, () => {
  let stack: Stack;
  const b = { orderId: '', paymentId: '', sessionId: '', accountId: '', keyId: '', channelId: '', alertId: '' };
  const keysOfA = new Map<string, string>();

  const call = <T = unknown>(token: string, method: string, path: string, body?: unknown) =>
    stack.request<T>(method, path, {
      token,
      ...(body === undefined ? {} : { body }),
      ...(method === 'POST' ? { headers: { 'idempotency-key': randomBytes(8).toString('hex') } } : {}),
    });
  const created = async <T>(reply: Promise<{ status: number; body: T; text: string }>) => {
    const answer = await reply;
    expect(answer.status, answer.text).toBeLessThan(300);
    return answer.body;
  };

  async function rowCounts(): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    for (const table of TABLES) {
      const statement = `select count(*) as n from ${table}`;
      const [row] =
        stack.db.backend === 'postgres'
          ? await pgQuery<{ n: string }>(stack.db, statement)
          : sqliteQuery<{ n: number }>(stack.db, statement);
      counts[table] = Number(row?.n);
    }
    return counts;
  }

  beforeAll(async () => {
    stack = await startStack({
      merchants: ['iso-a', 'iso-b'],
      env: { PAYSTATE_MASTER_KEY: randomBytes(32).toString('base64') },
    });
    // iso-b: a device with an order, a cash method, an open till with a confirmed cash sale, a key, an account.
    for (const [merchant, device] of [
      ['iso-a', 'dev-a'],
      ['iso-b', 'dev-b'],
    ] as const)
      await created(call(ADMIN_TOKEN, 'PUT', `/v1/admin/devices/${device}`, { name: device, merchant_id: merchant }));
    const order = await created(
      stack.request<{ order_id: string }>('POST', '/v1/orders', {
        body: { device_id: 'dev-b', product_id: 'p', product_name: 'Latte', size: 'M', price: 100, currency: 'RUB' },
      }),
    );
    b.orderId = order.order_id;
    await created(
      call(ADMIN_TOKEN, 'POST', '/v1/merchants/iso-b/payment-methods', { provider_code: 'cash', display_name: 'Cash' }),
    );
    const session = await created(
      call<{ session_id: string }>(ADMIN_TOKEN, 'POST', '/v1/merchants/iso-b/drawer/open', {
        opening_minor: 1_000,
        currency: 'XOF',
        operator: 'bea',
      }),
    );
    b.sessionId = session.session_id;
    const payment = await created(
      call<{ payment_id: string }>(ADMIN_TOKEN, 'POST', '/v1/merchants/iso-b/payments', {
        method: 'cash',
        amount_minor: 500,
        currency: 'XOF',
      }),
    );
    b.paymentId = payment.payment_id;
    await created(call(ADMIN_TOKEN, 'POST', `/v1/merchants/iso-b/payments/${b.paymentId}/confirm-cash`));
    const key = await created(
      call<{ id: string }>(ADMIN_TOKEN, 'POST', '/v1/admin/api-keys', {
        scope: 'cashier',
        label: 'bea',
        merchant_id: 'iso-b',
      }),
    );
    b.keyId = key.id;
    const account = await created(
      call<{ id: string }>(ADMIN_TOKEN, 'POST', '/v1/merchants/iso-b/provider-accounts', {
        provider_code: 'wave',
        label: 'main',
        credentials: { WAVE_API_KEY: 'wave_b_key', WAVE_WEBHOOK_SECRET: 'wave_b_secret' },
      }),
    );
    b.accountId = account.id;
    const channel = await created(
      call<{ id: string }>(ADMIN_TOKEN, 'POST', '/v1/merchants/iso-b/alert-channels', {
        kind: 'webhook',
        target: 'http://127.0.0.1:9/iso-b',
      }),
    );
    b.channelId = channel.id;
    b.alertId = (await stack.runtime.alerts.record('stuck', { merchantId: 'iso-b', orderId: b.orderId })).id;
    for (const scope of ['merchant_admin', 'cashier', 'read_only', 'device'] as const) {
      const issued = await created(
        call<{ key: string }>(ADMIN_TOKEN, 'POST', '/v1/admin/api-keys', {
          scope,
          label: `a ${scope}`,
          merchant_id: 'iso-a',
          ...(scope === 'device' ? { device_id: 'dev-a' } : {}),
        }),
      );
      keysOfA.set(scope, issued.key);
    }
  }, 60_000);

  afterAll(async () => {
    await stack?.stop();
  });

  /** Routes at iso-b's resources, with a body that would be valid for iso-b's own keys. */
  const routes = (): Array<[string, string, unknown?]> => {
    const m = '/v1/merchants/iso-b';
    const p = `${m}/payments/${b.paymentId}`;
    return [
      ['GET', `${m}/payment-methods`],
      ['POST', `${m}/payment-methods`, { provider_code: 'wave', display_name: 'Wave' }],
      ['PATCH', `${m}/payment-methods/cash`, { display_name: 'Cash!' }],
      ['DELETE', `${m}/payment-methods/cash`],
      ['POST', `${m}/payments`, { method: 'cash', amount_minor: 100, currency: 'XOF' }],
      ['GET', `${m}/payments`],
      ['GET', p],
      ['POST', `${p}/confirm-cash`],
      ['POST', `${p}/check`],
      ['GET', `${p}/refunds`],
      ['POST', `${p}/refunds`, { amount_minor: 100 }],
      ['POST', `${m}/drawer/open`, { opening_minor: 0, currency: 'XOF' }],
      ['GET', `${m}/drawer`],
      ['POST', `${m}/drawer/cash`, { direction: 'in', amount_minor: 100 }],
      ['POST', `${m}/drawer/close`, { counted_minor: 1_500 }],
      ['GET', `${m}/drawer/sessions`],
      ['GET', `${m}/drawer/sessions/${b.sessionId}`],
      ['GET', `${m}/provider-accounts`],
      [
        'POST',
        `${m}/provider-accounts`,
        { provider_code: 'wave', label: 'x', credentials: { WAVE_API_KEY: 'k', WAVE_WEBHOOK_SECRET: 's' } },
      ],
      ['GET', `${m}/provider-accounts/${b.accountId}`],
      ['GET', '/v1/admin/merchants/iso-b'],
      ['PATCH', '/v1/admin/merchants/iso-b', { name: 'Taken over' }],
      ['PATCH', '/v1/admin/merchants/iso-a', { status: 'disabled' }],
      ['POST', '/v1/admin/merchants', { id: 'iso-c', name: 'New' }],
      ['POST', '/v1/admin/api-keys', { scope: 'cashier', label: 'mole', merchant_id: 'iso-b' }],
      ['POST', '/v1/admin/api-keys', { scope: 'platform_admin', label: 'root' }],
      ['DELETE', `/v1/admin/api-keys/${b.keyId}`],
      ['GET', '/v1/admin/devices/dev-b'],
      ['PUT', '/v1/admin/devices/dev-b', { name: 'mine now' }],
      ['DELETE', '/v1/admin/devices/dev-b'],
      ['GET', `/v1/admin/orders/${b.orderId}`],
      ['POST', `/v1/admin/orders/${b.orderId}/actions`, { action: 'resolve', note: 'x' }],
      ['POST', `/v1/devices/dev-b/orders/${b.orderId}/result`, { result: 'made' }],
      ['POST', `/v1/devices/dev-a/orders/${b.orderId}/result`, { result: 'made' }],
      ['GET', `${m}/alert-channels`],
      ['POST', `${m}/alert-channels`, { kind: 'webhook', target: 'http://127.0.0.1:9/x' }],
      ['GET', `${m}/alert-channels/${b.channelId}`],
      ['DELETE', `${m}/alert-channels/${b.channelId}`],
      ['GET', `/v1/admin/alerts/${b.alertId}`],
      ['POST', `/v1/admin/alerts/${b.alertId}/acknowledge`],
    ];
  };

  it('every route x every scope of another merchant: 403 or 404, and not one row written', async () => {
    const before = await rowCounts();
    const answers: string[] = [];
    for (const [scope, key] of keysOfA) {
      for (const [method, path, body] of routes()) {
        const reply = await call(key, method, path, body);
        answers.push(`${scope} ${method} ${path} -> ${reply.status}`);
        expect([403, 404], `${scope} ${method} ${path}: ${reply.text}`).toContain(reply.status);
      }
    }
    expect(await rowCounts()).toEqual(before);
    expect(answers).toHaveLength(4 * routes().length);
  });

  it("listing routes show a merchant's keys only their own merchant, whatever the query asks", async () => {
    const bMarkers = [b.orderId, b.paymentId, b.sessionId, b.accountId, b.keyId, 'dev-b'];
    for (const [scope, key] of keysOfA) {
      for (const path of [
        '/v1/admin/merchants',
        '/v1/admin/orders?merchant_id=iso-b',
        '/v1/admin/devices?merchant_id=iso-b',
        '/v1/admin/api-keys?merchant_id=iso-b',
      ]) {
        const reply = await call(key, 'GET', path);
        expect([200, 403], `${scope} ${path}`).toContain(reply.status);
        for (const marker of bMarkers) expect(reply.text, `${scope} ${path}`).not.toContain(marker);
        expect(reply.text).not.toContain('"iso-b"');
      }
    }
    // A device key reports for its own machine: an order of dev-a is answered (not refused).
    const own = await created(
      stack.request<{ order_id: string }>('POST', '/v1/orders', {
        body: { device_id: 'dev-a', product_id: 'p', product_name: 'Latte', size: 'M', price: 100, currency: 'RUB' },
      }),
    );
    const reported = await call(keysOfA.get('device')!, 'POST', `/v1/devices/dev-a/orders/${own.order_id}/result`, {
      result: 'made',
    });
    expect(reported.status, reported.text).toBe(200);
    // The bootstrap tokens keep their single-merchant powers.
    expect((await call(ADMIN_TOKEN, 'GET', `/v1/admin/orders/${b.orderId}`)).status).toBe(200);
    expect((await call(DEVICE_TOKEN, 'GET', '/v1/admin/orders')).status).toBe(403);
  });
});
