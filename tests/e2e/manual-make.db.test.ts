import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '@paystate/core';
import { startMailSink } from '@paystate/sandbox';
import { ADMIN_TOKEN, startStack, waitFor, type ErrorBody, type Stack } from '../support/harness.js';
import { testBackend } from '../support/temp-db.js';

const T = 20_000;

describe(`manual_make reaches the customer on ${testBackend}`, () => {
  let stack: Stack;
  let smtp: Awaited<ReturnType<typeof startMailSink>>;

  afterEach(async () => {
    await stack?.stop();
    await smtp?.close();
  });

  it(
    'a payment too late for the machine: the status page says so, the customer gets an e-mail, an alert is recorded',
    async () => {
      smtp = await startMailSink();
      const clock = new ManualClock(new Date());
      stack = await startStack({ clock, env: { SMTP_URL: smtp.url } });
      await stack.createDevice('dev-lobby');
      const created = await stack.request<{ order_id: string }>('POST', '/v1/orders', {
        body: {
          device_id: 'dev-lobby',
          product_id: 'latte',
          product_name: 'Latte',
          size: 'M',
          price: 15000,
          currency: 'RUB',
          customer_email: 'ada@example.org',
        },
      });
      expect(created.status).toBe(201);
      const orderId = created.body.order_id;
      const { paymentId } = await stack.pay(orderId);
      clock.advance(301); // past FAST_TRACK_LIMIT_S (300), before the order's expiry
      await stack.yookassa.setStatus(paymentId, 'succeeded');
      const view = await stack.waitForStatus(orderId, 'manual_make', 5000);
      await stack.runtime.dispatcher.kick();

      expect(view.status_description_en).toBe(
        'The payment arrived too late to start the machine automatically. Please ask the staff: your order will be made by hand.',
      );
      const mails = await waitFor(() => {
        const found = smtp.mails.filter((mail) => mail.to.includes('ada@example.org'));
        return found.length > 0 ? found : null;
      }, 5000);
      expect(mails).toHaveLength(1);
      expect(mails[0]!.raw).toContain('made by hand');
      expect(mails[0]!.raw).toContain(orderId);
      expect(stack.tmetr.received).toHaveLength(0);

      const alerts = await stack.admin<{ alerts: Array<{ order_id: string; merchant_id: string }> }>(
        'GET',
        '/alerts?kind=manual_make',
      );
      expect(alerts.body.alerts).toEqual([expect.objectContaining({ order_id: orderId, merchant_id: 'default' })]);

      // Without PAYSTATE_MASTER_KEY a webhook channel cannot be made (its secret is sealed with it).
      const channel = await stack.request<ErrorBody>('POST', '/v1/merchants/default/alert-channels', {
        token: ADMIN_TOKEN,
        body: { kind: 'webhook', target: 'https://ops.example/hooks' },
      });
      expect(channel.status).toBe(503);
      expect(channel.body.error.code).toBe('master_key_missing');
    },
    T,
  );
});
