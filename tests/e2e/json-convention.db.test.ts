/**
 * One JSON convention for the whole API (docs/architecture.md section 4, issue 15): every key of
 * every JSON answer is snake_case, at any depth (audit payloads, alert details and error bodies
 * included). A representative request goes to every JSON route of the app, on the real server;
 * a route added without one here fails the test, so a new answer cannot slip past the rule.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SumUpSandbox, type LoopbackServer } from '@paystate/sandbox';
import { ADMIN_TOKEN, DEVICE_TOKEN, startStack, type Reply, type Stack } from '../support/harness.js';
import { testBackend } from '../support/temp-db.js';

const SNAKE = /^[a-z0-9_]+$/;
const MERCHANT = 'conv-1';
const OAUTH = { clientId: 'paystate-platform', clientSecret: `cs_${randomBytes(12).toString('hex')}` };
const T = 60_000;

/** Routes that answer no JSON of ours, and why: everything else must be driven below. */
const NOT_JSON: Record<string, string> = {
  'GET /orders/:id': 'the HTML status page',
  'GET /orders/:id/return': 'the HTML status page',
  'POST /orders/:id/pay': "the status page's Pay button: a redirect",
  'GET /pos/:merchantId/payments/:paymentId/return': 'the HTML POS return page',
  'GET /metrics': 'Prometheus text',
  'GET /openapi.json': "the OpenAPI document, in OpenAPI's own vocabulary",
  'GET /docs/api': 'the HTML API reference',
  'GET /favicon.svg': 'an icon',
  'GET /favicon.ico': 'an icon',
  'GET /': 'the HTML root page',
};
/** The same handler as a route driven below. */
const SAME_HANDLER: Record<string, string> = {
  'PUT /v1/webhooks/:provider': 'POST /v1/webhooks/:provider',
  'POST /v1/webhooks/:provider/:accountId': 'POST /v1/webhooks/:provider',
  'PUT /v1/webhooks/:provider/:accountId': 'POST /v1/webhooks/:provider',
};

/** Every key that is not snake_case, with where it sits (`$.order.deviceId`). */
function camelKeys(value: unknown, at = '$'): string[] {
  if (Array.isArray(value)) return value.flatMap((item, i) => camelKeys(item, `${at}[${i}]`));
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, item]) => [
    ...(SNAKE.test(key) ? [] : [`${at}.${key}`]),
    ...camelKeys(item, `${at}.${key}`),
  ]);
}

describe(`every JSON answer is snake_case, on ${testBackend}`, () => {
  let stack: Stack;
  let sumup: SumUpSandbox;
  let sumupServer: LoopbackServer;
  /** `METHOD /route/:param` of every route driven, and what each answered out of convention. */
  const driven = new Set<string>();
  const offending: string[] = [];

  beforeAll(async () => {
    sumup = new SumUpSandbox({
      apiKey: `sup_sk_${randomBytes(8).toString('hex')}`,
      merchantCode: 'MCONV01',
      oauth: OAUTH,
    });
    sumupServer = await sumup.start();
    stack = await startStack({
      merchants: [],
      env: {
        PAYSTATE_MASTER_KEY: randomBytes(32).toString('base64'),
        SUMUP_OAUTH_CLIENT_ID: OAUTH.clientId,
        SUMUP_OAUTH_CLIENT_SECRET: OAUTH.clientSecret,
        SUMUP_OAUTH_URL: sumupServer.url,
      },
    });
    // The device report comes from this test, not from the machine's sandbox.
    stack.tmetr.resultCallbackUrl = undefined;
  }, T);

  afterAll(async () => {
    await stack?.stop();
    await sumupServer?.close();
  });

  /**
   * One request to `route` (`'POST /v1/orders/:id/pay'`), its parameters filled in; the answer
   * must have `status`, and every key of a JSON answer is checked.
   */
  async function call<T = Record<string, unknown>>(
    route: string,
    status: number,
    options: {
      params?: Record<string, string>;
      token?: string | null;
      body?: unknown;
      raw?: string;
      query?: string;
      headers?: Record<string, string>;
    } = {},
  ): Promise<Reply<T>> {
    const [method, pattern] = route.split(' ') as [string, string];
    const path = pattern.replace(/:(\w+)/g, (_, name: string) => {
      const value = options.params?.[name];
      if (value === undefined) throw new Error(`${route}: no value for :${name}`);
      return encodeURIComponent(value);
    });
    const token = options.token === undefined ? ADMIN_TOKEN : options.token;
    const reply = await stack.request<T>(method, `${path}${options.query ?? ''}`, {
      ...(options.body === undefined ? {} : { body: options.body }),
      ...(options.raw === undefined ? {} : { raw: options.raw }),
      ...(options.headers ? { headers: options.headers } : {}),
      ...(token === null ? {} : { token }),
    });
    expect(reply.status, `${route}: ${reply.text}`).toBe(status);
    if (reply.status === 204) expect(reply.text).toBe('');
    else {
      expect(reply.headers.get('content-type'), route).toMatch(/^application\/json/);
      offending.push(...camelKeys(reply.body).map((key) => `${route} ${reply.status}: ${key}`));
    }
    driven.add(route);
    return reply;
  }

  it(
    'orders, devices, webhooks, operators, merchants, keys, provider accounts, POS, alerts, ops and errors',
    async () => {
      // The tenant registry and its keys.
      await call('POST /v1/admin/merchants', 201, { body: { id: MERCHANT, name: 'Chez Awa' } });
      await call('GET /v1/admin/merchants', 200);
      await call('GET /v1/admin/merchants/:merchantId', 200, { params: { merchantId: MERCHANT } });
      await call('PATCH /v1/admin/merchants/:merchantId', 200, {
        params: { merchantId: MERCHANT },
        body: { name: 'Chez Awa (Lomé)' },
      });
      const newKey = (scope: string, label: string) =>
        call<{ id: string; key: string }>('POST /v1/admin/api-keys', 201, {
          body: { scope, label, merchant_id: MERCHANT },
        });
      const owner = (await newKey('merchant_admin', 'Awa')).body.key;
      const cashier = (await newKey('cashier', 'Kossi')).body.key;
      const spare = (await newKey('read_only', 'spare')).body.id;
      await call('GET /v1/admin/api-keys', 200, { query: `?merchant_id=${MERCHANT}` });
      await call('DELETE /v1/admin/api-keys/:keyId', 200, { params: { keyId: spare } });

      // Devices: one sells, one is deleted.
      for (const id of ['kiosk-1', 'kiosk-2'])
        await call('PUT /v1/admin/devices/:id', 201, {
          params: { id },
          body: {
            name: 'Kiosk',
            location: 'Hall',
            merchant_id: MERCHANT,
            client_info: '<p>Ask at the bar</p>',
            client_info_make_failed: '<p>Show this page at the bar</p>',
          },
        });
      await call('GET /v1/admin/devices', 200);
      await call('GET /v1/admin/devices/:id', 200, { params: { id: 'kiosk-1' } });
      await call('DELETE /v1/admin/devices/:id', 204, { params: { id: 'kiosk-2' } });

      // An order end to end: created, paid (the provider's notification), made (the device's report).
      const newOrder = { device_id: 'kiosk-1', product_id: 'latte', product_name: 'Latte', size: 'M', price: 15000 };
      // The names of the old convention are refused, not ignored: the schemas are strict.
      const camel = await call<{ error: { message: string } }>('POST /v1/orders', 400, {
        token: null,
        body: {
          deviceId: 'kiosk-1',
          productId: 'latte',
          productName: 'Latte',
          size: 'M',
          price: 15000,
          currency: 'RUB',
        },
      });
      expect(camel.body.error.message).toMatch(/deviceId|unrecognized/i);
      const order = (
        await call<{ order_id: string }>('POST /v1/orders', 201, {
          token: null,
          body: { ...newOrder, currency: 'RUB', customer_email: 'ada@example.org' },
        })
      ).body.order_id;
      await call('POST /v1/orders/:id/pay', 200, { token: null, params: { id: order } });
      await call('GET /v1/order-status/:id', 200, { token: null, params: { id: order } });
      const payment = stack.yookassa.paymentFor(order)!;
      await stack.yookassa.setStatus(payment.id, 'succeeded', false);
      const notified = await call<{ outcome: string }>('POST /v1/webhooks/:provider', 200, {
        token: null,
        params: { provider: 'yookassa' },
        body: { type: 'notification', event: 'payment.succeeded', object: stack.yookassa.paymentJson(payment) },
      });
      expect(notified.body.outcome).toBe('applied');
      await stack.waitForStatus(order, 'make_pending', 10_000);
      await call('POST /v1/devices/:deviceId/orders/:id/result', 200, {
        token: DEVICE_TOKEN,
        params: { deviceId: 'kiosk-1', id: order },
        body: { result: 'made' },
      });
      // Another order, paid at the provider but not yet seen: the operator verifies it.
      const second = (
        await call<{ order_id: string }>('POST /v1/orders', 201, {
          token: null,
          body: { ...newOrder, currency: 'RUB' },
        })
      ).body.order_id;
      await call('POST /v1/orders/:id/pay', 200, { token: null, params: { id: second } });
      await call('GET /v1/admin/orders', 200, { query: `?merchant_id=${MERCHANT}` });
      // The audit trail: every event's payload (the created order's fields, the observed amount) too.
      await call('GET /v1/admin/orders/:id', 200, { params: { id: order } });
      await call('POST /v1/admin/orders/:id/actions', 200, {
        token: owner,
        params: { id: second },
        body: { action: 'verify', note: 'asked at the bar' },
      });

      // The merchant's provider accounts: one with sealed settings, one connected by OAuth.
      const wave = await call<{ id: string }>('POST /v1/merchants/:merchantId/provider-accounts', 201, {
        token: owner,
        params: { merchantId: MERCHANT },
        body: {
          provider_code: 'wave',
          label: 'Wave',
          credentials: { WAVE_API_URL: 'http://127.0.0.1:9', WAVE_API_KEY: 'wave_key', WAVE_WEBHOOK_SECRET: 'whs' },
        },
      });
      await call('GET /v1/merchants/:merchantId/provider-accounts', 200, {
        token: owner,
        params: { merchantId: MERCHANT },
      });
      await call('GET /v1/merchants/:merchantId/provider-accounts/:accountId', 200, {
        token: owner,
        params: { merchantId: MERCHANT, accountId: wave.body.id },
      });
      const started = await call<{ authorize_url: string }>(
        'POST /v1/merchants/:merchantId/provider-accounts/sumup/connect',
        200,
        { token: owner, params: { merchantId: MERCHANT }, body: { label: 'SumUp', merchant_code: 'MCONV01' } },
      );
      const consent = await fetch(started.body.authorize_url, { redirect: 'manual' });
      const callback = new URL(consent.headers.get('location')!);
      await call('GET /v1/oauth/sumup/callback', 201, { token: null, query: callback.search });

      // The till: methods, the drawer, a cash sale, its check and a partial refund.
      const pos = (route: string, status: number, params: Record<string, string> = {}, body?: unknown) =>
        call<Record<string, unknown>>(
          `${route.split(' ')[0]} /v1/merchants/:merchantId${route.split(' ')[1]}`,
          status,
          {
            token: route.includes('payment-methods') ? owner : cashier,
            params: { merchantId: MERCHANT, ...params },
            ...(body === undefined ? {} : { body }),
            headers: { 'Idempotency-Key': randomUUID() },
          },
        );
      await pos(
        'POST /payment-methods',
        201,
        {},
        {
          provider_code: 'cash',
          display_name: 'Espèces',
          public_config: { till_note: 'exact change please' },
        },
      );
      await pos(
        'POST /payment-methods',
        201,
        {},
        { provider_code: 'wave', account_id: wave.body.id, display_name: 'Wave' },
      );
      await pos('PATCH /payment-methods/:providerCode', 200, { providerCode: 'cash' }, { sort_order: 1 });
      await pos('DELETE /payment-methods/:providerCode', 204, { providerCode: 'wave' });
      await call('GET /v1/merchants/:merchantId/payment-methods', 200, {
        token: owner,
        params: { merchantId: MERCHANT },
      });
      await pos('POST /drawer/open', 201, {}, { opening_minor: 10_000, currency: 'XOF' });
      await call('GET /v1/merchants/:merchantId/drawer', 200, { token: cashier, params: { merchantId: MERCHANT } });
      await pos('POST /drawer/cash', 200, {}, { direction: 'in', amount_minor: 500, note: 'change' });
      const sale = await pos('POST /payments', 201, {}, { method: 'cash', amount_minor: 2_500, currency: 'XOF' });
      const paymentId = String(sale.body.payment_id);
      await pos('POST /payments/:paymentId/confirm-cash', 200, { paymentId });
      await pos('POST /payments/:paymentId/check', 200, { paymentId });
      await pos('POST /payments/:paymentId/refunds', 201, { paymentId }, { amount_minor: 500, reason: 'cold' });
      const read = { token: cashier, params: { merchantId: MERCHANT, paymentId } };
      await call('GET /v1/merchants/:merchantId/payments', 200, read);
      await call('GET /v1/merchants/:merchantId/payments/:paymentId', 200, read);
      await call('GET /v1/merchants/:merchantId/payments/:paymentId/refunds', 200, read);
      await call('GET /pos/:merchantId/payments/:paymentId/status', 200, { ...read, token: null });
      const closed = await pos('POST /drawer/close', 200, {}, { counted_minor: 12_400, note: 'short by 100' });
      await call('GET /v1/merchants/:merchantId/drawer/sessions', 200, read);
      await call('GET /v1/merchants/:merchantId/drawer/sessions/:sessionId', 200, {
        ...read,
        params: { merchantId: MERCHANT, sessionId: String(closed.body.session_id) },
      });

      // Alerts (details as the POS poller raises them, camelCase in code) and the merchant's channels.
      const alert = await stack.runtime.alerts.record('stuck', { merchantId: MERCHANT, paymentId, failedChecks: 3 });
      await call('GET /v1/admin/alerts', 200, { query: `?merchant_id=${MERCHANT}` });
      await call('GET /v1/admin/alerts/:alertId', 200, { params: { alertId: alert.id } });
      const acked = await call<{ details: unknown }>('POST /v1/admin/alerts/:alertId/acknowledge', 200, {
        token: owner,
        params: { alertId: alert.id },
      });
      expect(acked.body.details).toEqual({ merchant_id: MERCHANT, payment_id: paymentId, failed_checks: 3 });
      const channel = await call<{ id: string }>('POST /v1/merchants/:merchantId/alert-channels', 201, {
        token: owner,
        params: { merchantId: MERCHANT },
        // A webhook channel: its one answer with the signing secret is checked too.
        body: { kind: 'webhook', target: 'http://127.0.0.1:9/alerts' },
      });
      const channelRoute = { token: owner, params: { merchantId: MERCHANT, channelId: channel.body.id } };
      await call('GET /v1/merchants/:merchantId/alert-channels', 200, channelRoute);
      await call('GET /v1/merchants/:merchantId/alert-channels/:channelId', 200, channelRoute);
      await call('DELETE /v1/merchants/:merchantId/alert-channels/:channelId', 200, channelRoute);

      for (const probe of ['GET /healthz', 'GET /livez', 'GET /readyz']) await call(probe, 200, { token: null });

      expect(offending).toEqual([]);
    },
    T,
  );

  it('every JSON route of the app was driven above (a new one needs its request there)', () => {
    const routes = new Set<string>();
    for (const route of stack.runtime.app.routes) {
      // `use` registers ALL; a path ending in `*` is middleware; the console is a UI, not JSON.
      if (route.method === 'ALL' || route.path.includes('*')) continue;
      if (route.path === '/console' || route.path.startsWith('/console/')) continue;
      routes.add(`${route.method} ${route.path}`);
    }
    const missing = [...routes].filter(
      (route) => !driven.has(route) && !(route in NOT_JSON) && !(route in SAME_HANDLER),
    );
    expect(missing).toEqual([]);
    // The exceptions name real routes: a renamed one must not hide here.
    for (const route of [...Object.keys(NOT_JSON), ...Object.keys(SAME_HANDLER)]) expect(routes).toContain(route);
  });
});
