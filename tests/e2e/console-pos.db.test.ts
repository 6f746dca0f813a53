/**
 * The console's POS and device pages over real HTTP (docs/console.md, docs/pos.md): every page
 * for its merchant's operators and 404 for another merchant's; closing a till with a note from
 * the console (expected, counted, variance, the note, also over the API); the daily report as
 * HTML and CSV with a cash sale and a partial refund; a device key rotated from the console (the
 * old key answers 401 on the device route, the new one is accepted).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, startStack, type Stack } from '../support/harness.js';
import { ConsoleClient } from '../support/console-client.js';
import { testBackend } from '../support/temp-db.js';

const T = 20_000;

interface Payment {
  payment_id: string;
  created_at: string;
}
interface Drawer {
  session_id: string;
  expected_minor: number;
  counted_minor: number | null;
  variance_minor: number | null;
  close_note: string | null;
  closed_by: string | null;
}

describe(`the console's POS and device pages on ${testBackend}`, () => {
  let stack: Stack;
  let ownerKey: string;
  let readerKey: string;
  let cashierKey: string;
  let otherKey: string;
  let deviceKey: string;
  let sessionA: string;
  let sessionB: string;
  let day: string;

  beforeAll(async () => {
    stack = await startStack({ merchants: ['cafe-a', 'cafe-b'] });
    const key = async (scope: string, merchant: string, label: string, deviceId?: string) => {
      const reply = await stack.request<{ key: string }>('POST', '/v1/admin/api-keys', {
        token: ADMIN_TOKEN,
        body: { scope, label, merchant_id: merchant, ...(deviceId ? { device_id: deviceId } : {}) },
      });
      expect(reply.status, reply.text).toBe(201);
      return reply.body.key;
    };
    ownerKey = await key('merchant_admin', 'cafe-a', 'Ana (owner)');
    readerKey = await key('read_only', 'cafe-a', 'Accountant');
    cashierKey = await key('cashier', 'cafe-a', 'Kossi');
    otherKey = await key('merchant_admin', 'cafe-b', 'Bo (owner)');
    await stack.createDevice('dev-a', {
      merchant_id: 'cafe-a',
      location: 'Lobby, ground floor',
      logo_url: 'https://cdn.example/cafe-a.png',
      client_info: '<p>Call <b>Ana</b></p><script>alert(1)</script>',
      client_info_make_failed: '<p>Sorry: <a href="tel:+221770000000">call us</a></p>',
    });
    await stack.createDevice('dev-b', { merchant_id: 'cafe-b', location: 'Terrace' });
    deviceKey = await key('device', 'cafe-a', 'machine A', 'dev-a');

    const pos = async <T>(merchant: string, path: string, body?: unknown, status = 201) => {
      const reply = await stack.request<T>('POST', `/v1/merchants/${merchant}/${path}`, {
        token: ADMIN_TOKEN,
        headers: { 'idempotency-key': randomUUID() },
        ...(body === undefined ? {} : { body }),
      });
      expect(reply.status, reply.text).toBe(status);
      return reply.body;
    };
    for (const merchant of ['cafe-a', 'cafe-b'])
      await pos(merchant, 'payment-methods', { provider_code: 'cash', display_name: 'Espèces' });
    sessionA = (await pos<Drawer>('cafe-a', 'drawer/open', { opening_minor: 10_000, currency: 'XOF', operator: 'awa' }))
      .session_id;
    sessionB = (await pos<Drawer>('cafe-b', 'drawer/open', { opening_minor: 5_000, currency: 'XOF', operator: 'bo' }))
      .session_id;
    const sale = await pos<Payment>('cafe-a', 'payments', {
      method: 'cash',
      amount_minor: 2500,
      currency: 'XOF',
      description: 'Thieboudienne',
    });
    await pos('cafe-a', `payments/${sale.payment_id}/confirm-cash`, undefined, 200);
    await pos('cafe-a', `payments/${sale.payment_id}/refunds`, { amount_minor: 1000, reason: 'plat froid' });
    day = sale.created_at.slice(0, 10);
  }, 60_000);

  afterAll(async () => {
    await stack?.stop();
  });

  const loggedIn = (key: string) => ConsoleClient.loggedIn(stack.server.url, key);

  it(
    "every POS and device page answers its merchant's operators; another merchant's operator gets 404",
    async () => {
      const owner = await loggedIn(ownerKey);
      const home = await owner.get('/console');
      expect(home.text).toContain('href="/console/pos"');
      expect(home.text).toContain('href="/console/devices"');

      const pos = await owner.get('/console/pos');
      expect(pos.status, pos.text).toBe(200);
      expect(pos.text).toContain('Espèces');
      expect(pos.text).toContain(`/console/pos/tills/${sessionA}`);
      expect(pos.text).not.toContain(sessionB);
      expect(pos.headers.get('content-security-policy')).toContain("default-src 'none'");

      const payments = await owner.get(`/console/pos/payments?from=${day}&to=${day}`);
      expect(payments.status, payments.text).toBe(200);
      expect(payments.text).toContain('2500 XOF');
      expect(payments.text).toContain('1000 XOF');
      expect(payments.text).toContain('plat froid');
      expect((await owner.get('/console/pos/payments?from=2025-02-30')).status).toBe(400);

      const report = await owner.get(`/console/pos/report?day=${day}`);
      expect(report.status).toBe(200);
      expect(report.text).toContain(`/console/pos/report.csv?day=${day}`);

      const till = await owner.get(`/console/pos/tills/${sessionA}`);
      expect(till.status).toBe(200);
      expect(till.text).toContain('Close till');

      const devices = await owner.get('/console/devices');
      expect(devices.status).toBe(200);
      expect(devices.text).toContain('dev-a');
      expect(devices.text).not.toContain('dev-b');
      expect(devices.text).toContain('Lobby, ground floor');
      expect(devices.text).toContain('<img src="https://cdn.example/cafe-a.png" alt="Logo of Machine dev-a"');

      const device = await owner.get('/console/devices/dev-a');
      expect(device.status).toBe(200);
      // Sanitised when written, sanitised again when drawn: no script reaches the page.
      expect(device.text).toContain('<p>Call <b>Ana</b></p>');
      expect(device.text).toContain('make_failed');
      expect(device.text).toContain('<a href="tel:+221770000000">call us</a>');
      expect(device.text).not.toMatch(/<script/);
      expect(device.text).toContain('Rotate device key');

      const other = await loggedIn(otherKey);
      expect((await other.get(`/console/pos/tills/${sessionA}`)).status).toBe(404);
      expect((await other.get('/console/pos?merchant_id=cafe-a')).status).toBe(404);
      expect((await other.get(`/console/pos/report.csv?day=${day}&merchant_id=cafe-a`)).status).toBe(404);
      expect((await other.get('/console/devices/dev-a')).status).toBe(404);
      const otherDevices = await other.get('/console/devices');
      expect(otherDevices.text).toContain('dev-b');
      expect(otherDevices.text).not.toContain('dev-a');
      const otherPos = await other.get('/console/pos');
      expect(otherPos.text).toContain(sessionB);
      expect(otherPos.text).not.toContain(sessionA);
      const otherTill = await other.get(`/console/pos/tills/${sessionB}`);
      expect(otherTill.status).toBe(200);
      expect(
        (
          await other.post(`/console/pos/tills/${sessionA}/close`, {
            csrf: ConsoleClient.csrfOf(otherTill.text),
            counted: '1',
            confirm: 'yes',
          })
        ).status,
      ).toBe(404);
      expect(
        (
          await other.post('/console/devices/dev-a/rotate-key', {
            csrf: ConsoleClient.csrfOf(otherTill.text),
            confirm: 'yes',
          })
        ).status,
      ).toBe(404);

      // A read-only login reads, and neither closes a till nor rotates a key.
      const reader = await loggedIn(readerKey);
      const readTill = await reader.get(`/console/pos/tills/${sessionA}`);
      expect(readTill.status).toBe(200);
      expect(readTill.text).not.toContain('name="counted"');
      const csrf = ConsoleClient.csrfOf(readTill.text);
      expect(
        (await reader.post(`/console/pos/tills/${sessionA}/close`, { csrf, counted: '1', confirm: 'yes' })).status,
      ).toBe(403);
      expect((await reader.post('/console/devices/dev-a/rotate-key', { csrf, confirm: 'yes' })).status).toBe(403);

      // A platform login picks the merchant.
      const platform = await loggedIn(ADMIN_TOKEN);
      const picker = await platform.get('/console/pos');
      expect(picker.status).toBe(200);
      expect(picker.text).toContain('name="merchant_id"');
      expect((await platform.get('/console/pos?merchant_id=cafe-a')).text).toContain(sessionA);
      expect((await platform.get('/console/pos?merchant_id=nobody')).status).toBe(404);
      expect((await platform.get(`/console/pos/report.csv?day=${day}`)).status).toBe(400);
      const all = await platform.get('/console/devices');
      expect(all.text).toContain('dev-a');
      expect(all.text).toContain('dev-b');
    },
    T,
  );

  it(
    'the daily report: a cash sale and a partial refund as count, gross, refunds and net, in HTML and CSV',
    async () => {
      const owner = await loggedIn(ownerKey);
      const report = await owner.get(`/console/pos/report?day=${day}`);
      expect(report.text).toMatch(
        /<td>cash<\/td><td>XOF<\/td><td>1<\/td><td>2500 XOF<\/td><td>1<\/td><td>1000 XOF<\/td>/,
      );

      const csv = await owner.get(`/console/pos/report.csv?day=${day}`);
      expect(csv.status).toBe(200);
      expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
      expect(csv.headers.get('content-disposition')).toBe(`attachment; filename="pos-report-cafe-a-${day}.csv"`);
      expect(csv.text).toBe(
        'day,merchant_id,method,currency,count,gross,refund_count,refunds,net\r\n' +
          `${day},cafe-a,cash,XOF,1,2500,1,1000,1500\r\n`,
      );
      // Another day has nothing; a day that is not one is refused.
      const empty = await owner.get('/console/pos/report.csv?day=2001-01-01');
      expect(empty.text).toBe('day,merchant_id,method,currency,count,gross,refund_count,refunds,net\r\n');
      expect((await owner.get('/console/pos/report.csv?day=2001-13-01')).status).toBe(400);
      expect((await owner.get('/console/pos/report?day=yesterday')).status).toBe(400);
    },
    T,
  );

  it(
    'a cashier closes a till from the console with a note: expected, counted, variance and the note are shown and kept',
    async () => {
      const cashier = await loggedIn(cashierKey);
      const till = await cashier.get(`/console/pos/tills/${sessionA}`);
      const csrf = ConsoleClient.csrfOf(till.text);
      const close = `/console/pos/tills/${sessionA}/close`;
      // No form token, no confirmation, not an amount: refused, the till stays open.
      expect((await cashier.post(close, { counted: '11450', confirm: 'yes' })).status).toBe(403);
      expect((await cashier.post(close, { csrf, counted: '11450' })).status).toBe(400);
      const wrong = await cashier.post(close, { csrf, counted: '114.5', confirm: 'yes', note: 'kept' });
      expect(wrong.status).toBe(400);
      expect(wrong.text).toContain('not an amount in XOF');
      expect(wrong.text).toContain('>kept</textarea>');

      const closed = await cashier.post(close, {
        csrf,
        counted: '11450',
        confirm: 'yes',
        note: 'a 50 XOF coin went to the tip jar',
      });
      expect(closed.status, closed.text).toBe(303);
      const shown = await cashier.get(closed.headers.get('location')!);
      expect(shown.text).toContain('The till is closed.');
      expect(shown.text).toContain('11500 XOF');
      expect(shown.text).toContain('11450 XOF');
      expect(shown.text).toContain('-50 XOF');
      expect(shown.text).toContain('a 50 XOF coin went to the tip jar');
      expect(shown.text).not.toContain('name="counted"');
      expect((await cashier.post(close, { csrf, counted: '11450', confirm: 'yes' })).status).toBe(409);

      const api = await stack.request<Drawer>('GET', `/v1/merchants/cafe-a/drawer/sessions/${sessionA}`, {
        token: ADMIN_TOKEN,
      });
      expect(api.body).toMatchObject({
        expected_minor: 11_500,
        counted_minor: 11_450,
        variance_minor: -50,
        close_note: 'a 50 XOF coin went to the tip jar',
        closed_by: 'Kossi',
      });

      // The API takes the note too.
      const viaApi = await stack.request<Drawer>('POST', '/v1/merchants/cafe-b/drawer/close', {
        token: ADMIN_TOKEN,
        headers: { 'idempotency-key': randomUUID() },
        body: { counted_minor: 5000, note: 'all there', operator: 'bo' },
      });
      expect(viaApi.status, viaApi.text).toBe(200);
      expect(viaApi.body).toMatchObject({ session_id: sessionB, variance_minor: 0, close_note: 'all there' });
    },
    T,
  );

  it(
    'rotating a device key revokes the old key (401 on the device route) and issues a new one, shown once, that works',
    async () => {
      const report = (key: string) =>
        stack.request('POST', `/v1/devices/dev-a/orders/${randomUUID()}/result`, {
          token: key,
          body: { result: 'made' },
        });
      // A live device key reaches the route (an unknown order is 404, not 401).
      expect((await report(deviceKey)).status).toBe(404);

      const owner = await loggedIn(ownerKey);
      const page = await owner.get('/console/devices/dev-a');
      expect(page.text).toContain(deviceKey.slice(0, 16));
      const csrf = ConsoleClient.csrfOf(page.text);
      expect((await owner.post('/console/devices/dev-a/rotate-key', { csrf })).status).toBe(400);
      expect((await report(deviceKey)).status).toBe(404);

      const rotated = await owner.post('/console/devices/dev-a/rotate-key', { csrf, confirm: 'yes' });
      expect(rotated.status, rotated.text).toBe(200);
      expect(rotated.headers.get('cache-control')).toBe('no-store');
      const fresh = /(psk_[A-Za-z0-9_-]+)/.exec(rotated.text)?.[1];
      expect(fresh).toBeDefined();
      expect(fresh).not.toBe(deviceKey);

      expect((await report(deviceKey)).status).toBe(401);
      expect((await report(fresh!)).status).toBe(404);
      // The new key is this device's only: another device's route refuses it.
      const elsewhere = await stack.request('POST', `/v1/devices/dev-b/orders/${randomUUID()}/result`, {
        token: fresh!,
        body: { result: 'made' },
      });
      expect(elsewhere.status).toBe(404);

      const after = await owner.get('/console/devices/dev-a');
      expect(after.text).not.toContain(fresh!);
      expect(after.text).toContain('machine A');
    },
    T,
  );

  it("a payment's own page refunds part of it with a reason; the same form sent twice is one refund; another merchant's is 404", async () => {
    const sale = (
      await stack.request<Payment>('POST', '/v1/merchants/cafe-b/payments', {
        token: ADMIN_TOKEN,
        headers: { 'idempotency-key': 'console-refund-sale' },
        body: { method: 'cash', amount_minor: 2_000, currency: 'XOF', description: 'Yassa' },
      })
    ).body;
    // Into a till of its own ("bar"): the refund from the console takes the cash back out of that till.
    await stack.request('POST', '/v1/merchants/cafe-b/drawer/open', {
      token: ADMIN_TOKEN,
      headers: { 'idempotency-key': 'console-refund-till' },
      body: { opening_minor: 0, currency: 'XOF', till_id: 'bar', operator: 'bo' },
    });
    const confirmed = await stack.request('POST', `/v1/merchants/cafe-b/payments/${sale.payment_id}/confirm-cash`, {
      token: ADMIN_TOKEN,
      headers: { 'idempotency-key': 'console-refund-confirm' },
      body: { till_id: 'bar' },
    });
    expect(confirmed.status, confirmed.text).toBe(200);
    const owner = await loggedIn(otherKey);
    const page = await owner.get(`/console/pos/payments/${sale.payment_id}`);
    expect(page.status).toBe(200);
    const csrf = ConsoleClient.csrfOf(page.text);
    const requestKey = /name="request_key" value="([^"]+)"/.exec(page.text)?.[1] ?? '';
    const refund = { csrf, request_key: requestKey, amount: '700', reason: 'plat froid', confirm: 'yes' };
    const action = `/console/pos/payments/${sale.payment_id}/refunds`;
    expect((await owner.post(action, { ...refund, confirm: '' })).status).toBe(400);
    expect((await owner.post(action, refund)).status).toBe(303);
    expect((await owner.post(action, refund)).status).toBe(303);
    const after = await stack.request<{ refunded_minor: number; refunds: Array<{ requested_by: string | null }> }>(
      'GET',
      `/v1/merchants/cafe-b/payments/${sale.payment_id}`,
      { token: ADMIN_TOKEN },
    );
    expect(after.body.refunded_minor).toBe(700);
    expect(after.body.refunds).toHaveLength(1);
    expect(after.body.refunds[0]?.requested_by).toBe('Bo (owner)');
    const bar = await stack.request<{ expected_minor: number }>('GET', '/v1/merchants/cafe-b/drawer?till_id=bar', {
      token: ADMIN_TOKEN,
    });
    expect(bar.body.expected_minor).toBe(1_300);
    const beyond = await owner.post(action, { ...refund, request_key: 'another-form-key', amount: '5000' });
    expect(beyond.status).toBe(422);
    expect((await (await loggedIn(ownerKey)).get(`/console/pos/payments/${sale.payment_id}`)).status).toBe(404);
  }, 60_000);

  it('a POS refund whose answer was lost is on the first page until it is settled', async () => {
    const api = <T>(path: string, body?: unknown) =>
      stack.request<T>('POST', `/v1/merchants/cafe-b/${path}`, {
        token: ADMIN_TOKEN,
        headers: { 'idempotency-key': `attention-${path}` },
        ...(body === undefined ? {} : { body }),
      });
    await api('payment-methods', { provider_code: 'yookassa', display_name: 'Card' });
    const sale = (
      await api<Payment & { provider_payment_id: string }>('payments', {
        method: 'yookassa',
        amount_minor: 5_000,
        currency: 'RUB',
      })
    ).body;
    await stack.yookassa.setStatus(sale.provider_payment_id, 'succeeded', false);
    await api(`payments/${sale.payment_id}/check`);
    stack.yookassa.faults.inject('refund', { delayMs: 1_500, times: 1 });
    const refund = await api(`payments/${sale.payment_id}/refunds`, { amount_minor: 2_000 });
    expect(refund.status).toBe(202);
    const owner = await loggedIn(otherKey);
    const home = await owner.get('/console');
    expect(home.text).toContain('POS refunds open or in review');
    expect(home.text).toContain(`/console/pos/payments/${sale.payment_id}`);
    // The merchant's other operator sees it; cafe-a's does not.
    expect((await (await loggedIn(ownerKey)).get('/console')).text).not.toContain(sale.payment_id);
  });
});
