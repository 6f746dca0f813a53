/**
 * The operator console over real HTTP (docs/console.md): login with a key or a user and
 * password, the session cookie's attributes, the form token, the nonce CSP, the operator's
 * merchant on every page, and an action from the browser with its audit row.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, startStack, type Stack } from '../support/harness.js';
import { ConsoleClient, failedYooKassaDelivery } from '../support/console-client.js';
import { testBackend } from '../support/temp-db.js';

const T = 20_000;

describe(`the operator console on ${testBackend}`, () => {
  let stack: Stack;
  let ownerKey: string;
  let otherKey: string;
  let readerKey: string;
  let failedOrder: string;
  let otherOrder: string;

  beforeAll(async () => {
    stack = await startStack({ merchants: ['cafe-a', 'cafe-b'] });
    const key = async (scope: string, merchant: string, label: string) =>
      (
        await stack.request<{ key: string }>('POST', '/v1/admin/api-keys', {
          token: ADMIN_TOKEN,
          body: { scope, label, merchant_id: merchant },
        })
      ).body.key;
    ownerKey = await key('merchant_admin', 'cafe-a', 'Ana (owner)');
    readerKey = await key('read_only', 'cafe-a', 'Accountant');
    otherKey = await key('merchant_admin', 'cafe-b', 'Bo (owner)');
    await stack.createDevice('dev-a', { merchant_id: 'cafe-a' });
    await stack.createDevice('dev-b', { merchant_id: 'cafe-b' });
    stack.tmetr.mode = 'reject';
    for (const device of ['dev-a', 'dev-b']) {
      const order = await stack.createOrder(device);
      const { paymentId } = await stack.pay(order.order_id);
      await stack.customerPays(paymentId);
      await stack.waitForStatus(order.order_id, 'make_failed', 5000);
      if (device === 'dev-a') failedOrder = order.order_id;
      else otherOrder = order.order_id;
    }
  }, 60_000);

  afterAll(async () => {
    await stack?.stop();
  });

  const loggedIn = (key: string) => ConsoleClient.loggedIn(stack.server.url, key);

  it(
    'login sets an HttpOnly SameSite=Strict cookie; every page has a nonce CSP; logout ends the session',
    async () => {
      const browser = new ConsoleClient(stack.server.url);
      expect((await browser.get('/console')).status).toBe(303);
      const refused = await browser.post('/console/login', { key: `${ownerKey.slice(0, -2)}xx` });
      expect(refused.status).toBe(401);
      expect(refused.text).toContain('not valid');

      const login = await new ConsoleClient(stack.server.url).post('/console/login', { key: ownerKey });
      expect(login.headers.get('set-cookie')).toMatch(/HttpOnly/i);
      expect(login.headers.get('set-cookie')).toMatch(/SameSite=Strict/i);
      expect(login.headers.get('set-cookie')).toMatch(/Path=\/console/);

      const owner = await loggedIn(ownerKey);
      const home = await owner.get('/console');
      expect(home.status).toBe(200);
      expect(home.text).toContain('Needs attention');
      expect(home.text).toContain(failedOrder.slice(0, 8));
      expect(home.text).not.toContain(otherOrder.slice(0, 8));
      const csp = home.headers.get('content-security-policy') ?? '';
      const nonce = /'nonce-([^']+)'/.exec(csp)?.[1];
      expect(csp).toContain("default-src 'none'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(home.text).toContain(`<style nonce="${nonce}">`);
      expect(home.text).not.toMatch(/<script/);

      const out = await owner.post('/console/logout', { csrf: ConsoleClient.csrfOf(home.text) });
      expect(out.status).toBe(303);
      expect((await owner.get('/console')).status).toBe(303);
    },
    T,
  );

  it(
    "an operator sees and acts on their merchant's orders only; an action needs the form token and a note, and is audited",
    async () => {
      const owner = await loggedIn(ownerKey);
      expect((await owner.get(`/console/orders/${otherOrder}`)).status).toBe(404);
      const list = await owner.get('/console/orders?status=make_failed');
      expect(list.text).toContain(failedOrder.slice(0, 8));
      expect(list.text).not.toContain(otherOrder.slice(0, 8));

      const confirm = await owner.get(`/console/orders/${failedOrder}/actions/mark_made`);
      expect(confirm.status).toBe(200);
      const csrf = ConsoleClient.csrfOf(confirm.text);
      // A forged form: no token, a wrong one, or posted from another site.
      expect(
        (await owner.post(`/console/orders/${failedOrder}/actions/mark_made`, { note: 'made by hand' })).status,
      ).toBe(403);
      expect(
        (await owner.post(`/console/orders/${failedOrder}/actions/mark_made`, { note: 'made by hand', csrf: 'x' }))
          .status,
      ).toBe(403);
      expect(
        (
          await owner.post(
            `/console/orders/${failedOrder}/actions/mark_made`,
            { note: 'made by hand', csrf },
            { origin: 'https://evil.example' },
          )
        ).status,
      ).toBe(403);
      expect((await stack.status(failedOrder)).status).toBe('make_failed');
      // No note: refused, nothing changed.
      expect((await owner.post(`/console/orders/${failedOrder}/actions/mark_made`, { note: '', csrf })).status).toBe(
        400,
      );
      expect((await stack.status(failedOrder)).status).toBe('make_failed');

      const done = await owner.post(`/console/orders/${failedOrder}/actions/mark_made`, {
        note: 'customer got a drink from the barista',
        csrf,
      });
      expect(done.status).toBe(303);
      expect((await stack.status(failedOrder)).status).toBe('successful');
      const detail = await owner.get(`/console/orders/${failedOrder}`);
      expect(detail.text).toContain('OPERATOR_MARK_MADE');
      expect(detail.text).toContain('Ana (owner)');
      expect(detail.text).toContain('customer got a drink from the barista');
      expect(detail.text).toMatch(/<li aria-current="step">successful<\/li>/);

      // A read-only login reads but cannot act.
      const reader = await loggedIn(readerKey);
      expect((await reader.get(`/console/orders/${failedOrder}`)).status).toBe(200);
      expect((await reader.get(`/console/orders/${failedOrder}/actions/refund`)).status).toBe(403);
      // The other merchant's owner does not see this merchant's order at all.
      const other = await loggedIn(otherKey);
      expect((await other.get(`/console/orders/${failedOrder}`)).status).toBe(404);
    },
    T,
  );

  it(
    'a console user logs in with a password; the webhook inbox is for platform operators only',
    async () => {
      await stack.runtime.console.sessions.createUser({
        username: 'ana',
        password: 'correct horse battery',
        scope: 'merchant_admin',
        merchantId: 'cafe-a',
      });
      const browser = new ConsoleClient(stack.server.url);
      expect((await browser.post('/console/login', { username: 'ana', password: 'wrong password!!' })).status).toBe(
        401,
      );
      expect(
        (await browser.post('/console/login', { username: 'ana', password: 'correct horse battery' })).status,
      ).toBe(303);
      const home = await browser.get('/console');
      expect(home.text).toContain('ana · merchant_admin · cafe-a');
      expect((await browser.get('/console/webhooks')).status).toBe(403);

      const platform = await loggedIn(ADMIN_TOKEN);
      const inbox = await platform.get('/console/webhooks');
      expect(inbox.status).toBe(200);
      expect(inbox.text).toContain('yookassa');
      const first = /href="\/console\/webhooks\/(\d+)"/.exec(inbox.text)?.[1];
      const raw = await platform.get(`/console/webhooks/${first}`);
      expect(raw.text).toContain('Raw body');
      const outbox = await platform.get('/console/outbox');
      expect(outbox.status).toBe(200);
    },
    T,
  );

  it(
    'open alerts are on the first page and acknowledged with the operator name; a failed webhook delivery is replayed',
    async () => {
      const owner = await loggedIn(ownerKey);
      const home = await owner.get('/console');
      expect(home.text).toContain('make_failed');
      const alertId = /action="\/console\/alerts\/([^/]+)\/acknowledge"/.exec(home.text)?.[1];
      expect(alertId).toBeDefined();
      // Another merchant's operator cannot acknowledge it.
      const other = await loggedIn(otherKey);
      const otherHome = await other.get('/console/alerts');
      expect(
        (await other.post(`/console/alerts/${alertId}/acknowledge`, { csrf: ConsoleClient.csrfOf(otherHome.text) }))
          .status,
      ).toBe(404);
      const acked = await owner.post(`/console/alerts/${alertId}/acknowledge`, {
        csrf: ConsoleClient.csrfOf(home.text),
      });
      expect(acked.status).toBe(303);
      const listed = await stack.request<{ alerts: Array<{ id: string; acknowledged_by: string | null }> }>(
        'GET',
        '/v1/admin/alerts?status=acknowledged',
        { token: ownerKey },
      );
      expect(listed.body.alerts.find((a) => a.id === alertId)?.acknowledged_by).toBe('Ana (owner)');

      // A notification whose re-read failed (YooKassa answering 500) is kept as an error...
      const { orderId, paymentId } = await failedYooKassaDelivery(stack, 'dev-a');
      // ...and a platform operator replays it from the inbox: the provider is asked again, the order is paid.
      const platform = await loggedIn(ADMIN_TOKEN);
      const inbox = await platform.get('/console/webhooks?outcome=error');
      const deliveryId = /href="\/console\/webhooks\/(\d+)"/.exec(inbox.text)?.[1];
      const page = await platform.get(`/console/webhooks/${deliveryId}`);
      expect(page.text).toContain(paymentId);
      const replayed = await platform.post(`/console/webhooks/${deliveryId}/replay`, {
        csrf: ConsoleClient.csrfOf(page.text),
      });
      expect(replayed.status).toBe(303);
      expect(replayed.headers.get('location')).toContain('replayed=applied');
      await stack.waitForStatus(orderId, 'successful', 5000);
      // Replayed once: the delivery is settled and offers no second replay.
      expect((await platform.get(`/console/webhooks/${deliveryId}`)).text).not.toContain('>Replay<');
    },
    T,
  );
});
