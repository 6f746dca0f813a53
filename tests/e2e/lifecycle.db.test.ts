import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock, orderStatuses } from '@paystate/core';
import { startStack, waitFor, type Stack } from '../support/harness.js';
import { testBackend } from '../support/temp-db.js';

const T = 10_000;

describe(`order lifecycle over real HTTP and a real ${testBackend} database`, () => {
  let stack: Stack;

  beforeEach(async () => {
    stack = await startStack();
    await stack.createDevice('dev-lobby');
  });
  afterEach(async () => {
    await stack?.stop();
  });

  /** An order paid at the sandbox, with the webhook delivered and the make command sent. */
  async function paidOrder() {
    const order = await stack.createOrder('dev-lobby');
    const { paymentId } = await stack.pay(order.order_id);
    await stack.customerPays(paymentId);
    return { orderId: order.order_id, paymentId };
  }

  it(
    'create -> pay -> customer pays -> webhook -> make_pending -> one make command -> device callback -> successful',
    async () => {
      // The machine reports only when the test says so, so make_pending can be observed.
      stack.tmetr.resultCallbackUrl = undefined;

      const created = await stack.request<{ order_id: string; status: string; price: { amount_minor: number } }>(
        'POST',
        '/v1/orders',
        {
          body: {
            device_id: 'dev-lobby',
            product_id: 'latte',
            product_name: 'Latte',
            size: 'M',
            price: 15000,
            currency: 'RUB',
          },
        },
      );
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ status: 'created', price: { amount_minor: 15000, currency: 'RUB' } });
      const orderId = created.body.order_id;
      expect(orderId).toMatch(/^[0-9a-f-]{36}$/);

      const paid = await stack.request<{ confirmation_url: string }>('POST', `/v1/orders/${orderId}/pay`);
      expect(paid.status).toBe(200);
      const payment = stack.yookassa.paymentFor(orderId);
      expect(payment).toBeDefined();
      expect(payment).toMatchObject({ status: 'pending', amount: { amountMinor: 15000, currency: 'RUB' } });
      expect(paid.body.confirmation_url).toBe(`${stack.yookassaUrl}/checkout/${payment!.id}`);
      expect(payment!.returnUrl).toBe(`${stack.server.url}/orders/${orderId}/return`);

      const pending = await stack.status(orderId);
      expect(pending.status).toBe('pending');
      expect(pending.confirmation_url).toBe(paid.body.confirmation_url);

      // Paying again re-presents the same payment instead of creating a second one.
      const again = await stack.request<{ confirmation_url: string }>('POST', `/v1/orders/${orderId}/pay`);
      expect(again.body.confirmation_url).toBe(paid.body.confirmation_url);
      expect(stack.yookassa.payments.size).toBe(1);

      // The customer follows the confirmation URL and presses Pay on the checkout page.
      const checkout = await fetch(paid.body.confirmation_url);
      expect(checkout.status).toBe(200);
      expect(await checkout.text()).toContain(`/checkout/${payment!.id}/pay`);
      const redirect = await stack.customerPays(payment!.id);
      expect(redirect).toEqual({ status: 303, location: `${stack.server.url}/orders/${orderId}/return` });

      const making = await stack.waitForStatus(orderId, 'make_pending', 5000);
      expect(making.terminal).toBe(false);
      expect(making.confirmation_url).toBeNull();
      await stack.settled();
      expect(stack.yookassa.deliveries.map((d) => d.status)).toEqual([200]);
      expect(stack.tmetr.received).toEqual([
        {
          device_id: 'dev-lobby',
          order_id: orderId,
          drink_id: 'latte',
          size: 'M',
          price_minor: 15000,
          currency: 'RUB',
        },
      ]);

      const report = await stack.deviceReport('dev-lobby', orderId, 'made');
      expect(report.status).toBe(200);
      expect(report.body).toEqual({ order_id: orderId, status: 'successful', applied: true });

      const done = await stack.status(orderId);
      expect(done).toMatchObject({ status: 'successful', terminal: true });

      const detail = await stack.detail(orderId);
      expect(detail.status).toBe('successful');
      expect(detail.order.provider_payment_id).toBe(payment!.id);
      expect(detail.events.map((e) => [e.event, e.from, e.to, e.source, e.applied])).toEqual([
        ['ORDER_CREATED', null, 'created', 'api', true],
        ['PAYMENT_INITIATED', 'created', 'pending', 'api', true],
        ['PAYMENT_OBSERVED', 'pending', 'paid', 'webhook', true],
        ['MAKE_ACCEPTED', 'paid', 'make_pending', 'dispatcher', true],
        ['DEVICE_REPORTED', 'make_pending', 'successful', 'device', true],
      ]);
      expect(stack.tmetr.received).toHaveLength(1);
    },
    T,
  );

  it(
    "the machine's own report completes the order",
    async () => {
      const { orderId } = await paidOrder();
      await stack.waitForStatus(orderId, 'successful', 5000);
      await stack.settled();
      expect(stack.tmetr.deliveries.map((d) => d.status)).toEqual([200]);
      expect([...stack.tmetr.made.keys()]).toEqual([orderId]);
      expect(stack.tmetr.received).toHaveLength(1);
    },
    T,
  );

  it(
    'a machine that refuses the drink: make_failed, and the webhook is still answered 200',
    async () => {
      stack.tmetr.mode = 'reject';
      const { orderId } = await paidOrder();
      const failed = await stack.waitForStatus(orderId, 'make_failed', 5000);
      await stack.settled();
      expect(stack.yookassa.deliveries.length).toBeGreaterThan(0);
      expect(stack.yookassa.deliveries.every((d) => d.status === 200)).toBe(true);
      expect(stack.tmetr.received.map((c) => c.order_id)).toEqual([orderId]);
      expect(stack.tmetr.made.size).toBe(0);
      expect(failed.terminal).toBe(true);
      expect(failed.status_description.length).toBeGreaterThan(0);
      const detail = await stack.detail(orderId);
      expect(detail.events.at(-1)).toMatchObject({
        event: 'MAKE_REJECTED',
        from: 'paid',
        to: 'make_failed',
        source: 'dispatcher',
      });
    },
    T,
  );

  it(
    'a redelivered notification answers 200 duplicate and changes nothing',
    async () => {
      stack.tmetr.resultCallbackUrl = undefined;
      const { orderId, paymentId } = await paidOrder();
      await stack.waitForStatus(orderId, 'make_pending', 5000);
      await stack.settled();
      const before = await stack.detail(orderId);

      const object = stack.yookassa.paymentJson(stack.yookassa.payment(paymentId));
      expect(await stack.yookassa.notify('payment.succeeded', object)).toBe(true);
      expect(stack.yookassa.deliveries.at(-1)?.status).toBe(200);
      const direct = await stack.request('POST', '/v1/webhooks/yookassa', {
        body: { type: 'notification', event: 'payment.succeeded', object },
      });
      expect(direct.status).toBe(200);
      expect(direct.body).toEqual({ outcome: 'duplicate' });

      await stack.runtime.dispatcher.kick();
      const after = await stack.detail(orderId);
      expect(after).toEqual(before);
      expect(stack.tmetr.received).toHaveLength(1);
    },
    T,
  );

  it(
    'a forged payment.succeeded for a payment still pending at the API changes nothing, and the real one still counts',
    async () => {
      const order = await stack.createOrder('dev-lobby');
      const orderId = order.order_id;
      const { paymentId } = await stack.pay(orderId);
      const forged = {
        ...stack.yookassa.paymentJson(stack.yookassa.payment(paymentId)),
        status: 'succeeded',
        paid: true,
      };

      const answer = await stack.request('POST', '/v1/webhooks/yookassa', {
        body: { type: 'notification', event: 'payment.succeeded', object: forged },
      });
      // Answered 200 (rule: accepted), but what counts is the payment as re-read from the API.
      expect(answer.status).toBe(200);

      await stack.runtime.dispatcher.kick();
      const view = await stack.status(orderId);
      expect(view.status).toBe('pending');
      expect(stack.tmetr.received).toHaveLength(0);
      const detail = await stack.detail(orderId);
      expect(detail.status).toBe('pending');
      expect(detail.events.at(-1)).toMatchObject({
        event: 'PAYMENT_OBSERVED',
        from: 'pending',
        to: 'pending',
        source: 'webhook',
      });
      expect(detail.events.at(-1)?.payload).toMatchObject({ status: 'pending' });
      expect(detail.events.some((e) => e.to === 'paid')).toBe(false);

      // The customer really pays: YooKassa's own notification (same event, same payment) must not
      // be taken for a duplicate of the forgery.
      await stack.customerPays(paymentId);
      await stack.waitForStatus(orderId, 'successful', 5000);
      await stack.settled();
      expect(stack.yookassa.deliveries.map((d) => d.status)).toEqual([200]);
      expect(stack.tmetr.received.map((c) => c.order_id)).toEqual([orderId]);
    },
    T,
  );

  it(
    'a notification for a payment nobody knows answers 409 so the provider delivers it again',
    async () => {
      const object = { id: 'no-such-payment', status: 'succeeded', amount: { value: '150.00', currency: 'RUB' } };
      const answer = await stack.request('POST', '/v1/webhooks/yookassa', {
        body: { type: 'notification', event: 'payment.succeeded', object },
      });
      expect(answer.status).toBe(409);
      expect(answer.body).toMatchObject({ error: { code: 'unknown_payment' } });
      // Not recorded as handled: the retry gets the same answer, not "duplicate".
      const retry = await stack.request('POST', '/v1/webhooks/yookassa', {
        body: { type: 'notification', event: 'payment.succeeded', object },
      });
      expect(retry.status).toBe(409);
    },
    T,
  );

  it(
    'a canceled payment ends the order as not_paid without a make command',
    async () => {
      const order = await stack.createOrder('dev-lobby');
      const { paymentId } = await stack.pay(order.order_id);
      await stack.yookassa.setStatus(paymentId, 'canceled');
      const view = await stack.waitForStatus(order.order_id, 'not_paid');
      expect(view.terminal).toBe(true);
      expect(stack.yookassa.deliveries.map((d) => d.status)).toEqual([200]);
      await stack.runtime.dispatcher.kick();
      expect(stack.tmetr.received).toHaveLength(0);
    },
    T,
  );

  it(
    'the status JSON carries every client_info_<status> field, sanitised',
    async () => {
      await stack.createDevice('dev-info', {
        client_info: '<p>Welcome</p>',
        client_info_pending: 'Pay <a href="javascript:alert(1)">here</a>',
        client_info_successful: '<b>Enjoy</b><script>alert(1)</script>',
      });
      const order = await stack.createOrder('dev-info');
      const view = await stack.status(order.order_id);
      for (const status of orderStatuses) expect(view.device).toHaveProperty(`client_info_${status}`);
      expect(view.device).toMatchObject({
        location: 'Lobby',
        logo_url: null,
        client_info: '<p>Welcome</p>',
        client_info_pending: 'Pay <a>here</a>',
        client_info_successful: '<b>Enjoy</b>',
        client_info_created: null,
      });
      expect(view).toMatchObject({
        order_id: order.order_id,
        status: 'created',
        item_name: 'Latte',
        item_size: 'M',
        price: { amount_minor: 15000, currency: 'RUB', display: '150\u00a0₽', display_en: '₽150' },
      });
      expect(Date.parse(view.expires_at)).toBeGreaterThan(Date.now());
      expect(typeof view.status_description).toBe('string');
    },
    T,
  );

  it(
    'the status page renders with a CSP header and only sanitised client_info',
    async () => {
      await stack.createDevice('dev-xss', { client_info: '<img src=x onerror=alert(1)><b>hi</b>' });
      const device = await stack.admin<{ client_info: string }>('GET', '/devices/dev-xss');
      expect(device.body.client_info).toBe('<b>hi</b>');
      const order = await stack.createOrder('dev-xss', { product_name: '</script><script>alert(2)</script>' });

      for (const path of [`/orders/${order.order_id}`, `/orders/${order.order_id}/return`]) {
        const page = await stack.request('GET', path);
        expect(page.status).toBe(200);
        expect(page.headers.get('content-type')).toMatch(/^text\/html/);
        const csp = page.headers.get('content-security-policy') ?? '';
        expect(csp).toContain("default-src 'none'");
        const nonce = /script-src 'nonce-([^']+)'/.exec(csp)?.[1];
        expect(nonce).toBeTruthy();
        expect(page.text).toContain(`<script nonce="${nonce}">`);
        // Every script on the page carries the nonce: nothing injected can run.
        expect(page.text.match(/<script\b/g)).toHaveLength(1);
        expect(page.text).not.toMatch(/onerror/i);
        expect(page.text).not.toContain('<img');
        expect(page.text).not.toContain('alert(2)</script>');
        expect(page.text).toContain('data-status="created"');
        expect(page.text).toContain('hi');
        expect(page.headers.get('cache-control')).toBe('no-store');
      }
    },
    T,
  );

  it(
    'the return URL never marks anything paid',
    async () => {
      const order = await stack.createOrder('dev-lobby');
      const orderId = order.order_id;
      await stack.pay(orderId);
      const before = await stack.detail(orderId);
      for (let i = 0; i < 3; i++) {
        const page = await stack.request('GET', `/orders/${orderId}/return`);
        expect(page.status).toBe(200);
        expect(page.text).toContain('data-status="pending"');
      }
      // Even a customer who claims success in the query string changes nothing.
      const claimed = await stack.request('GET', `/orders/${orderId}/return?status=succeeded&paid=true`);
      expect(claimed.status).toBe(200);
      await stack.runtime.dispatcher.kick();
      expect(await stack.detail(orderId)).toEqual(before);
      expect((await stack.status(orderId)).status).toBe('pending');
      expect(stack.tmetr.received).toHaveLength(0);
    },
    T,
  );

  it(
    'a failed payment re-check answers 503; the provider retry is processed, not taken for a duplicate',
    async () => {
      stack.tmetr.resultCallbackUrl = undefined;
      const order = await stack.createOrder('dev-lobby');
      const { paymentId } = await stack.pay(order.order_id);
      stack.yookassa.faults.inject('get', { status: 500 });
      await stack.yookassa.setStatus(paymentId, 'succeeded');
      await stack.waitForStatus(order.order_id, 'make_pending', 5000);
      expect(stack.yookassa.deliveries.map((d) => d.status)).toEqual([503, 200]);
      expect(stack.tmetr.received).toHaveLength(1);
    },
    T,
  );

  it(
    'an amount that differs from the order goes to manual review, never to a make command',
    async () => {
      const order = await stack.createOrder('dev-lobby');
      const { payment } = await stack.pay(order.order_id);
      payment.amount = { amountMinor: 100, currency: 'RUB' };
      await stack.yookassa.setStatus(payment.id, 'succeeded');
      await stack.waitForStatus(order.order_id, 'requires_manual_review');
      await stack.runtime.dispatcher.kick();
      expect(stack.tmetr.received).toHaveLength(0);
      await waitFor(() => stack.yookassa.deliveries.length === 1);
      expect(stack.yookassa.deliveries[0]?.status).toBe(200);
    },
    T,
  );

  it(
    "money paid after expiry (provider down at the final ask, webhook lost): the operator's verify finds it over HTTP -> manual_make",
    async () => {
      await stack.stop();
      const clock = new ManualClock(new Date());
      stack = await startStack({ clock, env: { ORDER_TTL_S: '60' } });
      await stack.createDevice('dev-lobby');
      const order = await stack.createOrder('dev-lobby');
      const { paymentId } = await stack.pay(order.order_id);
      stack.yookassa.faults.inject('get', { status: 503, times: 1 });
      clock.advance(61);
      await stack.runtime.poller.runCycle();
      expect((await stack.status(order.order_id)).status).toBe('expired');
      await stack.yookassa.setStatus(paymentId, 'succeeded', false);
      const verified = await stack.admin<{ status: string }>('POST', `/orders/${order.order_id}/actions`, {
        action: 'verify',
        operator: 'maria',
      });
      expect(verified.status).toBe(200);
      expect(verified.body.status).toBe('manual_make');
      await stack.runtime.dispatcher.kick();
      expect(stack.tmetr.received).toHaveLength(0);
    },
    T,
  );
});
