import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Validator } from '@seriousme/openapi-schema-validator';
import { answerSchema, documentedOperations, type DocumentedOperation } from '@paystate/server/testing';
import { ADMIN_TOKEN, DEVICE_TOKEN, startStack, type Reply, type Stack } from '../support/harness.js';

/**
 * The OpenAPI document (GET /openapi.json) against the app it describes: every route is in it and
 * nothing else, it is valid OpenAPI 3.1, every example it shows fits the zod schema it was
 * generated from, and what the running server really answers fits the documented schemas.
 */

interface Document {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
}
interface Operation {
  operationId?: string;
  summary?: string;
  tags?: string[];
  security?: Array<Record<string, string[]>>;
  requestBody?: { content: Record<string, { examples?: Record<string, unknown> }> };
  responses: Record<string, { content?: Record<string, { examples?: Record<string, unknown> }> }>;
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch'];

const openApiPath = (path: string) => path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

let stack: Stack;
let doc: Document;
let operations: DocumentedOperation[];

beforeAll(async () => {
  stack = await startStack({ env: { PAYSTATE_MASTER_KEY: randomBytes(32).toString('base64') } });
  const reply = await stack.request<Document>('GET', '/openapi.json');
  expect(reply.status).toBe(200);
  doc = reply.body;
  operations = documentedOperations(stack.runtime.app);
});
afterAll(async () => {
  await stack?.stop();
});

/** Every route of the app as `METHOD /path/{param}`: not the console (a UI), not middleware. */
function appRoutes(): Set<string> {
  const routes = new Set<string>();
  for (const route of stack.runtime.app.routes) {
    // `use` registers ALL; a path ending in `*` is middleware over a prefix (auth, idempotency).
    if (route.method === 'ALL' || route.path.includes('*')) continue;
    if (route.path === '/console' || route.path.startsWith('/console/')) continue;
    routes.add(`${route.method} ${openApiPath(route.path)}`);
  }
  return routes;
}

function documentRoutes(): Set<string> {
  const routes = new Set<string>();
  for (const [path, item] of Object.entries(doc.paths))
    for (const method of Object.keys(item)) if (METHODS.includes(method)) routes.add(`${method.toUpperCase()} ${path}`);
  return routes;
}

/** Checks a real answer against the documented schema of its route, status and media type. */
function expectDocumented(method: string, route: string, reply: Reply) {
  if (reply.text === '') {
    const operation = operations.find((o) => o.method === method && o.path === route);
    expect(operation?.statuses, `${method} ${route} answered ${reply.status}: not documented`).toContain(reply.status);
    return;
  }
  const contentType = (reply.headers.get('content-type') ?? '').split(';')[0]!.trim();
  const schema = answerSchema(operations, method, route, reply.status, contentType);
  expect(schema, `${method} ${route} answered ${reply.status} ${contentType}: not documented`).toBeDefined();
  const value = contentType === 'application/json' ? reply.body : reply.text;
  const parsed = schema!.safeParse(value);
  expect(parsed.success, `${method} ${route} ${reply.status}: ${JSON.stringify(parsed.error?.issues)}`).toBe(true);
}

describe('the OpenAPI document', () => {
  it('describes every route of the app, and only those', () => {
    const app = appRoutes();
    const documented = documentRoutes();
    expect([...app].filter((r) => !documented.has(r)).sort(), 'routes missing from the document').toEqual([]);
    expect([...documented].filter((r) => !app.has(r)).sort(), 'documented routes the app does not have').toEqual([]);
    expect(app.size).toBeGreaterThan(5);
  });

  it('is valid OpenAPI 3.1', async () => {
    expect(doc.openapi).toBe('3.1.0');
    const validator = new Validator();
    const result = await validator.validate(JSON.parse(JSON.stringify(doc)));
    expect(result.errors ?? [], JSON.stringify(result.errors, null, 2)).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it('gives every operation an id, a summary, a tag, its security and examples of its bodies', () => {
    const ids = new Set<string>();
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        const where = `${method.toUpperCase()} ${path}`;
        expect(op.operationId, where).toBeTruthy();
        expect(ids.has(op.operationId!), `${where}: operationId ${op.operationId} is used twice`).toBe(false);
        ids.add(op.operationId!);
        expect(op.summary, where).toBeTruthy();
        expect(op.tags?.length, where).toBeGreaterThan(0);
        expect(op.security, `${where}: security is not said`).toBeDefined();
        for (const [type, media] of Object.entries(op.requestBody?.content ?? {}))
          expect(Object.keys(media.examples ?? {}).length, `${where} request ${type}: no example`).toBeGreaterThan(0);
        for (const [status, response] of Object.entries(op.responses))
          for (const [type, media] of Object.entries(response.content ?? {}))
            expect(Object.keys(media.examples ?? {}).length, `${where} ${status} ${type}: no example`).toBeGreaterThan(
              0,
            );
      }
    }
  });

  it('shows examples that fit the zod schemas the routes validate with and answer by', () => {
    expect(operations.length).toBe(documentRoutes().size);
    let checked = 0;
    for (const operation of operations) {
      for (const { where, content } of operation.bodies) {
        for (const [name, example] of Object.entries(content.examples)) {
          const parsed = content.schema.safeParse(example);
          expect(
            parsed.success,
            `${operation.method} ${operation.path} ${where} ${content.contentType} example "${name}": ${JSON.stringify(parsed.error?.issues)}`,
          ).toBe(true);
          checked += 1;
        }
      }
    }
    expect(checked).toBeGreaterThan(operations.length);
  });

  it('is drawn as a reference page with no script, under a CSP that admits nothing else', async () => {
    const reply = await stack.request('GET', '/docs/api');
    expect(reply.status).toBe(200);
    expect(reply.headers.get('content-type')).toMatch(/^text\/html/);
    const csp = reply.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(reply.text.toLowerCase().startsWith('<!doctype html>')).toBe(true);
    // Nothing runs and nothing is loaded: no script, stylesheet, image or frame, no link off the page.
    expect(reply.text).not.toMatch(/<script|<link|<img|<iframe|<object|\s(?:src|href)="(?!#|\/)/i);
    for (const item of Object.values(doc.paths))
      for (const op of Object.values(item)) expect(reply.text).toContain(`id="${op.operationId}"`);
  });
});

describe('what the server answers fits the documented schemas', () => {
  it('ops and reference', async () => {
    expectDocumented('GET', '/healthz', await stack.request('GET', '/healthz'));
    expectDocumented('GET', '/metrics', await stack.request('GET', '/metrics'));
    expectDocumented('GET', '/openapi.json', await stack.request('GET', '/openapi.json'));
    expectDocumented('GET', '/docs/api', await stack.request('GET', '/docs/api'));
  });

  it('device reports', async () => {
    const route = '/v1/devices/:deviceId/orders/:id/result';
    const report = (token: string | undefined, body: unknown = { result: 'made' }) =>
      stack.request('POST', '/v1/devices/dev-x/orders/no-such-order/result', {
        body,
        ...(token ? { token } : {}),
      });
    expectDocumented('POST', route, await report(undefined));
    expectDocumented('POST', route, await report(DEVICE_TOKEN));
    expectDocumented('POST', route, await report(DEVICE_TOKEN, { result: 'burnt' }));
    expectDocumented(
      'POST',
      route,
      await stack.request('POST', '/v1/devices/a.b/orders/x/result', { token: DEVICE_TOKEN }),
    );
  });

  it('webhooks', async () => {
    expectDocumented(
      'POST',
      '/v1/webhooks/:provider',
      await stack.request('POST', '/v1/webhooks/paypal', { body: { hello: 1 } }),
    );
    expectDocumented(
      'PUT',
      '/v1/webhooks/:provider/:accountId',
      await stack.request('PUT', '/v1/webhooks/yookassa/acct-none', { body: {} }),
    );
  });

  it('merchants, API keys and provider accounts', async () => {
    const call = (method: string, path: string, body?: unknown, token: string | null = ADMIN_TOKEN) =>
      stack.request(method, path, { ...(body === undefined ? {} : { body }), ...(token ? { token } : {}) });
    const check = async (method: string, route: string, path: string, body?: unknown, token?: string | null) => {
      const reply = await call(method, path, body, token);
      expectDocumented(method, route, reply);
      return reply;
    };
    await check('GET', '/v1/admin/merchants', '/v1/admin/merchants');
    await check('GET', '/v1/admin/merchants', '/v1/admin/merchants', undefined, null);
    await check('POST', '/v1/admin/merchants', '/v1/admin/merchants', { id: 'oa-1', name: 'Chez Awa' });
    await check('POST', '/v1/admin/merchants', '/v1/admin/merchants', { id: 'oa-1', name: 'Chez Awa' });
    await check('POST', '/v1/admin/merchants', '/v1/admin/merchants', { id: 'oa 2' });
    await check('GET', '/v1/admin/merchants/:merchantId', '/v1/admin/merchants/oa-1');
    await check('GET', '/v1/admin/merchants/:merchantId', '/v1/admin/merchants/oa-9');
    await check('PATCH', '/v1/admin/merchants/:merchantId', '/v1/admin/merchants/oa-1', { name: 'Chez Awa, Lomé' });
    await check('PATCH', '/v1/admin/merchants/:merchantId', '/v1/admin/merchants/oa-1', {});
    const owner = await check('POST', '/v1/admin/api-keys', '/v1/admin/api-keys', {
      scope: 'merchant_admin',
      label: 'owner',
      merchant_id: 'oa-1',
    });
    const ownerKey = (owner.body as { key: string }).key;
    const cashier = await check('POST', '/v1/admin/api-keys', '/v1/admin/api-keys', {
      scope: 'cashier',
      label: 'Awa',
      merchant_id: 'oa-1',
    });
    const cashierKey = cashier.body as { id: string; key: string };
    await check('POST', '/v1/admin/merchants', '/v1/admin/merchants', { id: 'oa-3', name: 'x' }, cashierKey.key);
    await check('GET', '/v1/admin/api-keys', '/v1/admin/api-keys', undefined, ownerKey);
    await check('DELETE', '/v1/admin/api-keys/:keyId', `/v1/admin/api-keys/${cashierKey.id}`, undefined, ownerKey);
    await check('DELETE', '/v1/admin/api-keys/:keyId', '/v1/admin/api-keys/nope', undefined, ownerKey);

    const accounts = '/v1/merchants/:merchantId/provider-accounts';
    const created = await check('POST', accounts, '/v1/merchants/oa-1/provider-accounts', {
      provider_code: 'wave',
      label: 'Wave main',
      credentials: { WAVE_API_URL: 'http://127.0.0.1:9', WAVE_API_KEY: 'wave_k', WAVE_WEBHOOK_SECRET: 'wave_s' },
    });
    expect(created.status).toBe(201);
    const accountId = (created.body as { id: string }).id;
    await check('POST', accounts, '/v1/merchants/oa-1/provider-accounts', {
      provider_code: 'wave',
      label: 'Wave main',
      credentials: { WAVE_API_URL: 'http://127.0.0.1:9', WAVE_API_KEY: 'wave_k', WAVE_WEBHOOK_SECRET: 'wave_s' },
    });
    await check('GET', accounts, '/v1/merchants/oa-1/provider-accounts', undefined, ownerKey);
    await check('GET', `${accounts}/:accountId`, `/v1/merchants/oa-1/provider-accounts/${accountId}`);
    await check('GET', `${accounts}/:accountId`, '/v1/merchants/oa-1/provider-accounts/none');
    await check('POST', `${accounts}/sumup/connect`, '/v1/merchants/oa-1/provider-accounts/sumup/connect', {
      label: 'SumUp',
      merchant_code: 'MH4H92C7',
    });
    await check('GET', '/v1/oauth/sumup/callback', '/v1/oauth/sumup/callback?code=x', undefined, null);
    await check('GET', '/v1/oauth/sumup/callback', '/v1/oauth/sumup/callback?code=x&state=y', undefined, null);
  });

  it('the restaurant POS', async () => {
    const base = '/v1/merchants/:merchantId';
    const check = async (method: string, route: string, path: string, body?: unknown) => {
      const reply = await stack.request(method, `/v1/merchants/dakar-1${path}`, {
        ...(body === undefined ? {} : { body }),
        token: ADMIN_TOKEN,
      });
      expectDocumented(method, `${base}${route}`, reply);
      return reply;
    };
    await check('POST', '/payment-methods', '/payment-methods', { provider_code: 'cash', display_name: 'Espèces' });
    await check('POST', '/payment-methods', '/payment-methods', { provider_code: 'yookassa', display_name: 'Card' });
    await check('POST', '/payment-methods', '/payment-methods', { provider_code: 'cash', display_name: 'Espèces' });
    await check('GET', '/payment-methods', '/payment-methods?offered=true');
    await check('PATCH', '/payment-methods/:providerCode', '/payment-methods/yookassa', { sort_order: 2 });
    await check('PATCH', '/payment-methods/:providerCode', '/payment-methods/wave', { sort_order: 2 });
    await check('GET', '/drawer', '/drawer');
    await check('POST', '/drawer/open', '/drawer/open', { opening_minor: 20000, currency: 'RUB' });
    await check('GET', '/drawer', '/drawer');
    const cash = await check('POST', '/payments', '/payments', { method: 'cash', amount_minor: 5000, currency: 'RUB' });
    const cashId = (cash.body as { payment_id: string }).payment_id;
    await check('POST', '/payments/:paymentId/confirm-cash', `/payments/${cashId}/confirm-cash`);
    await check('POST', '/payments/:paymentId/confirm-cash', `/payments/${cashId}/confirm-cash`);
    await check('POST', '/payments/:paymentId/refunds', `/payments/${cashId}/refunds`, { amount_minor: 1000 });
    await check('POST', '/payments/:paymentId/refunds', `/payments/${cashId}/refunds`, { amount_minor: 9000 });
    await check('GET', '/payments/:paymentId/refunds', `/payments/${cashId}/refunds`);
    await check('GET', '/payments/:paymentId', `/payments/${cashId}`);
    await check('POST', '/payments/:paymentId/check', `/payments/${cashId}/check`);
    const card = await check('POST', '/payments', '/payments', {
      method: 'yookassa',
      amount_minor: 15000,
      currency: 'RUB',
    });
    const cardId = (card.body as { payment_id: string }).payment_id;
    await check('POST', '/payments/:paymentId/check', `/payments/${cardId}/check`);
    await check('GET', '/payments/:paymentId', '/payments/nope');
    await check('GET', '/payments', '/payments?limit=5');
    await check('GET', '/payments', '/payments?limit=5000');
    await check('POST', '/drawer/cash', '/drawer/cash', { direction: 'in', amount_minor: 500, note: 'float' });
    await check('POST', '/drawer/close', '/drawer/close', { counted_minor: 24500, note: 'counted twice' });
    await check('POST', '/drawer/close', '/drawer/close', { counted_minor: 24500 });
    const sessions = await check('GET', '/drawer/sessions', '/drawer/sessions');
    const sessionId = (sessions.body as { sessions: Array<{ session_id: string }> }).sessions[0]!.session_id;
    await check('GET', '/drawer/sessions/:sessionId', `/drawer/sessions/${sessionId}`);
    await check('DELETE', '/payment-methods/:providerCode', '/payment-methods/yookassa');
    await check('DELETE', '/payment-methods/:providerCode', '/payment-methods/yookassa');
  });

  /** One request, its answer checked against the documented route; `path` defaults to the route. */
  async function call(
    method: string,
    route: string,
    path = route,
    options: { body?: unknown; raw?: string; token?: string | null; headers?: Record<string, string> } = {},
  ) {
    const { token = ADMIN_TOKEN, ...rest } = options;
    const reply = await stack.request(method, path, { ...rest, ...(token ? { token } : {}), redirect: 'manual' });
    expectDocumented(method, route, reply);
    return reply;
  }

  it('devices, orders, the customer pages and the operator actions', async () => {
    const device = '/v1/admin/devices/:id';
    await call('PUT', device, '/v1/admin/devices/oa-lobby', { body: { name: 'Lobby', client_info: '<p>Help</p>' } });
    await call('PUT', device, '/v1/admin/devices/oa-lobby', {
      body: { name: 'Lobby', location: 'Main hall', client_info_make_failed: '<p>Ask at the desk</p>' },
    });
    await call('PUT', device, '/v1/admin/devices/oa-spare', { body: { name: 'Spare', logo_url: 'http://x' } });
    await call('PUT', device, '/v1/admin/devices/oa-spare', { body: { name: 'Spare' } });
    await call('GET', '/v1/admin/devices');
    await call('GET', device, '/v1/admin/devices/oa-lobby');
    await call('GET', device, '/v1/admin/devices/oa-none');
    await call('DELETE', device, '/v1/admin/devices/oa-spare');

    const newOrder = {
      device_id: 'oa-lobby',
      product_id: 'cappuccino',
      product_name: 'Cappuccino',
      size: '300 ml',
      price: 18900,
      currency: 'RUB',
    };
    const created = await call('POST', '/v1/orders', '/v1/orders', { body: newOrder, token: null });
    expect(created.status).toBe(201);
    const orderId = (created.body as { order_id: string }).order_id;
    await call('POST', '/v1/orders', '/v1/orders', { body: { ...newOrder, price: 0 }, token: null });
    await call('POST', '/v1/orders', '/v1/orders', { body: { ...newOrder, device_id: 'oa-none' }, token: null });
    await call('POST', '/v1/orders', '/v1/orders', {
      raw: 'device_id=oa-lobby',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      token: null,
    });
    await call('DELETE', device, '/v1/admin/devices/oa-lobby');
    const status = '/v1/order-status/:id';
    await call('GET', status, `/v1/order-status/${orderId}`, { token: null });
    await call('GET', status, '/v1/order-status/oa-none', { token: null });
    await call('GET', '/orders/:id', `/orders/${orderId}?lang=en`, { token: null });
    await call('GET', '/orders/:id', '/orders/oa-none', { token: null });
    await call('GET', '/orders/:id/return', `/orders/${orderId}/return`, { token: null });
    const pay = '/v1/orders/:id/pay';
    await call('POST', pay, `/v1/orders/${orderId}/pay`, { token: null });
    await call('POST', pay, `/v1/orders/${orderId}/pay`, { token: null, headers: { 'Idempotency-Key': 'oa-1' } });
    await call('POST', pay, `/v1/orders/${orderId}/pay`, { token: null, headers: { 'Idempotency-Key': 'oa-1' } });
    await call('POST', pay, '/v1/orders/oa-none/pay', { token: null });
    await call('POST', '/orders/:id/pay', `/orders/${orderId}/pay`, {
      raw: 'lang=en',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      token: null,
    });
    await call('POST', '/orders/:id/pay', '/orders/oa-none/pay', { token: null });
    await call('GET', status, `/v1/order-status/${orderId}`, { token: null });

    // The customer pays; YooKassa's notification, then a repeat of it.
    const payment = stack.yookassa.paymentFor(orderId)!;
    await stack.customerPays(payment.id);
    const notification = { type: 'notification', event: 'payment.succeeded', object: { id: payment.id } };
    await call('POST', '/v1/webhooks/:provider', '/v1/webhooks/yookassa', { body: notification, token: null });
    await call('POST', '/v1/webhooks/:provider', '/v1/webhooks/yookassa', { body: notification, token: null });
    await stack.waitForStatus(orderId, 'successful', 5000);
    await call('POST', '/v1/devices/:deviceId/orders/:id/result', `/v1/devices/oa-lobby/orders/${orderId}/result`, {
      body: { result: 'made' },
      token: DEVICE_TOKEN,
    });
    await call('GET', status, `/v1/order-status/${orderId}`, { token: null });
    await call('POST', pay, `/v1/orders/${orderId}/pay`, { token: null });
    await call('DELETE', device, '/v1/admin/devices/oa-lobby');

    await call('GET', '/v1/admin/orders', '/v1/admin/orders?limit=5');
    await call('GET', '/v1/admin/orders', '/v1/admin/orders?status=done');
    await call('GET', '/v1/admin/orders/:id', `/v1/admin/orders/${orderId}`);
    await call('GET', '/v1/admin/orders/:id', '/v1/admin/orders/oa-none');
    const action = '/v1/admin/orders/:id/actions';
    await call('POST', action, `/v1/admin/orders/${orderId}/actions`, { body: { action: 'mark_made' } });
    await call('POST', action, `/v1/admin/orders/${orderId}/actions`, {
      body: { action: 'mark_made', operator: 'anna' },
    });
    await call('POST', action, `/v1/admin/orders/${orderId}/actions`, {
      body: { action: 'verify', operator: 'anna', note: 'checking' },
    });
    await call('POST', action, `/v1/admin/orders/${orderId}/actions`, {
      body: { action: 'refund', operator: 'anna' },
    });
    await call('GET', '/v1/admin/orders/:id', `/v1/admin/orders/${orderId}`);
    await call('GET', '/orders/:id', `/orders/${orderId}`, { token: null });
  });

  it("the POS customer's return page and its JSON", async () => {
    await call('POST', '/v1/merchants/:merchantId/payment-methods', '/v1/merchants/dakar-2/payment-methods', {
      body: { provider_code: 'yookassa', display_name: 'Card' },
    });
    const payment = await call('POST', '/v1/merchants/:merchantId/payments', '/v1/merchants/dakar-2/payments', {
      body: { method: 'yookassa', amount_minor: 5000, currency: 'RUB', description: 'Table 4' },
    });
    const paymentId = (payment.body as { payment_id: string }).payment_id;
    const page = '/pos/:merchantId/payments/:paymentId/return';
    const json = '/pos/:merchantId/payments/:paymentId/status';
    await call('GET', page, `/pos/dakar-2/payments/${paymentId}/return?lang=fr`, { token: null });
    await call('GET', page, '/pos/dakar-2/payments/none/return', { token: null });
    await call('GET', json, `/pos/dakar-2/payments/${paymentId}/status`, { token: null });
    await call('GET', json, '/pos/dakar-1/payments/none/status', { token: null });
  });

  it("the site's own pages", async () => {
    await call('GET', '/', '/', { token: null, headers: { accept: 'text/html' } });
    await call('GET', '/favicon.svg', '/favicon.svg', { token: null });
    await call('GET', '/favicon.ico', '/favicon.ico', { token: null });
  });

  it('alerts and alert channels', async () => {
    await call('GET', '/v1/admin/alerts', '/v1/admin/alerts?status=open');
    await call('GET', '/v1/admin/alerts', '/v1/admin/alerts?limit=0');
    await call('GET', '/v1/admin/alerts/:alertId', '/v1/admin/alerts/none');
    await call('POST', '/v1/admin/alerts/:alertId/acknowledge', '/v1/admin/alerts/none/acknowledge');
    const channels = '/v1/merchants/:merchantId/alert-channels';
    const hook = await call('POST', channels, '/v1/merchants/dakar-1/alert-channels', {
      body: { kind: 'webhook', target: 'http://127.0.0.1:9/alerts' },
    });
    const channelId = (hook.body as { id: string }).id;
    await call('POST', channels, '/v1/merchants/dakar-1/alert-channels', {
      body: { kind: 'email', target: 'owner@example.com' },
    });
    await call('POST', channels, '/v1/merchants/dakar-1/alert-channels', { body: { kind: 'sms', target: '1' } });
    await call('GET', channels, '/v1/merchants/dakar-1/alert-channels');
    await call('GET', `${channels}/:channelId`, `/v1/merchants/dakar-1/alert-channels/${channelId}`);
    await call('DELETE', `${channels}/:channelId`, `/v1/merchants/dakar-1/alert-channels/${channelId}`);
    await call('DELETE', `${channels}/:channelId`, '/v1/merchants/dakar-1/alert-channels/none');
  });
});
