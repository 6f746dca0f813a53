import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startStack, waitFor, type ErrorBody, type Stack } from '../support/harness.js';
import { startMailSink } from '@paystate/sandbox';
import { testBackend } from '../support/temp-db.js';
import { ManualClock } from '@paystate/core';

const T = 10_000;
const BUYER = 'ada@example.org';

describe(`ticket sales (SumUp-style fulfilment: issue + e-mail) on ${testBackend}`, () => {
  let stack: Stack;
  let smtp: Awaited<ReturnType<typeof startMailSink>>;

  beforeEach(async () => {
    smtp = await startMailSink();
    stack = await startStack({
      env: { FULFILMENT: 'tickets', SMTP_URL: smtp.url, MAIL_FROM: 'Box office <tickets@example.org>' },
    });
    await stack.createDevice('concert-hall');
  });
  afterEach(async () => {
    await stack?.stop();
    await smtp?.close();
  });

  async function ticketOrder() {
    const created = await stack.request<{ order_id: string }>('POST', '/v1/orders', {
      body: {
        device_id: 'concert-hall',
        product_id: 'standing',
        product_name: 'Autumn concert',
        size: 'Standing',
        price: 250_000,
        currency: 'RUB',
        customer_email: BUYER,
      },
    });
    expect(created.status).toBe(201);
    const orderId = created.body.order_id;
    const { payment } = await stack.pay(orderId);
    return { orderId, paymentId: payment.id };
  }

  it(
    'a paid order gets one ticket and one confirmation e-mail, however often the payment is announced',
    async () => {
      const { orderId, paymentId } = await ticketOrder();
      await stack.yookassa.setStatus(paymentId, 'succeeded', false);
      // The same news from every side at once: notifications (repeated), polls and dispatcher passes.
      const news = [];
      for (let i = 0; i < 4; i++) {
        news.push(
          stack.yookassa.notify('payment.succeeded', stack.yookassa.paymentJson(stack.yookassa.payment(paymentId))),
        );
        news.push(stack.runtime.dispatcher.kick());
      }
      await Promise.all(news);
      await stack.waitForStatus(orderId, 'successful', T);
      await stack.runtime.dispatcher.kick();

      const detail = await stack.admin<{ ticket: { id: string; holder_email: string; mailed_at: string | null } }>(
        'GET',
        `/orders/${orderId}`,
      );
      expect(detail.body.ticket).toMatchObject({ holder_email: BUYER, mailed_at: expect.any(String) });
      expect(await stack.runtime.tickets.list(10)).toHaveLength(1);
      const mails = smtp.mails.filter((mail) => mail.to.includes(BUYER));
      expect(mails).toHaveLength(1);
      expect(mails[0]!.raw).toContain(detail.body.ticket.id);
      expect(mails[0]!.raw).toContain('Autumn concert');
      expect(stack.tmetr.received).toHaveLength(0);
      const view = await stack.status(orderId);
      expect(view.status_description_en).toBe('Done! Your ticket has been sent to your e-mail.');
      expect(view.status_description).toBe('Готово! Билет отправлен вам на почту.');
    },
    T * 2,
  );

  it(
    'a mail relay that fails at first: the ticket stays one, the e-mail goes out once it accepts',
    async () => {
      smtp.failNext(1);
      const { orderId, paymentId } = await ticketOrder();
      await stack.yookassa.setStatus(paymentId, 'succeeded');
      await waitFor(async () => smtp.mails.length === 0 && (await stack.runtime.tickets.byOrder(orderId)) !== null, T);
      // The outbox retries after its backoff (1 s): same ticket, mail now delivered.
      await stack.waitForStatus(orderId, 'successful', T);
      expect(await stack.runtime.tickets.list(10)).toHaveLength(1);
      expect(smtp.mails.filter((mail) => mail.to.includes(BUYER))).toHaveLength(1);
    },
    T * 2,
  );

  it(
    'a payment that fails issues nothing and mails nobody: no money was paid, so the address is unproven',
    async () => {
      const { orderId, paymentId } = await ticketOrder();
      await stack.yookassa.setStatus(paymentId, 'canceled');
      await stack.waitForStatus(orderId, 'not_paid', T);
      await stack.runtime.dispatcher.kick();
      await waitFor(async () => (await stack.runtime.store.hasPendingEffects(orderId)) === false, T);
      expect(smtp.mails).toHaveLength(0);
      expect(await stack.runtime.tickets.byOrder(orderId)).toBeNull();
    },
    T * 2,
  );

  it(
    'an operator verifies an order against the provider: paid there -> ticket; again -> no change; no payment -> 409',
    async () => {
      const { orderId, paymentId } = await ticketOrder();
      const pending = await stack.admin<{ status: string }>('POST', `/orders/${orderId}/actions`, {
        action: 'verify',
        operator: 'maria',
      });
      expect(pending.body.status).toBe('pending');
      await stack.yookassa.setStatus(paymentId, 'succeeded', false);
      const verified = await stack.admin<{ status: string }>('POST', `/orders/${orderId}/actions`, {
        action: 'verify',
        operator: 'maria',
      });
      expect(verified.status).toBe(200);
      await stack.waitForStatus(orderId, 'successful', T);
      expect(await stack.runtime.tickets.byOrder(orderId)).not.toBeNull();
      // Verify works on any order with a provider payment (rule 5); a settled one just stays settled.
      const again = await stack.admin<{ status: string }>('POST', `/orders/${orderId}/actions`, {
        action: 'verify',
        operator: 'maria',
      });
      expect(again.status).toBe(200);
      expect(again.body.status).toBe('successful');
      expect(await stack.runtime.tickets.list(10)).toHaveLength(1);
      const unpaid = await stack.request<{ order_id: string }>('POST', '/v1/orders', {
        body: {
          device_id: 'concert-hall',
          product_id: 'standing',
          product_name: 'Autumn concert',
          size: 'Standing',
          price: 250_000,
          currency: 'RUB',
          customer_email: BUYER,
        },
      });
      const refused = await stack.admin<ErrorBody>('POST', `/orders/${unpaid.body.order_id}/actions`, {
        action: 'verify',
        operator: 'maria',
      });
      expect(refused.status).toBe(409);
      expect(refused.body.error.code).toBe('action_not_allowed');
    },
    T * 2,
  );

  it(
    "a buyer who pays after FAST_TRACK_LIMIT_S, within the order's life, still gets the ticket; tickets live 2 h by default",
    async () => {
      await stack.stop();
      const clock = new ManualClock(new Date());
      stack = await startStack({
        clock,
        env: { FULFILMENT: 'tickets', SMTP_URL: smtp.url, MAIL_FROM: 'Box office <tickets@example.org>' },
      });
      await stack.createDevice('concert-hall');
      const { orderId, paymentId } = await ticketOrder();
      const order = (await stack.runtime.store.getOrder(orderId))!.order;
      expect(Date.parse(order.expiresAt) - Date.parse(order.createdAt)).toBe(7200 * 1000);
      clock.advance(301);
      await stack.yookassa.setStatus(paymentId, 'succeeded');
      await stack.waitForStatus(orderId, 'successful', T);
      expect(await stack.runtime.tickets.byOrder(orderId)).not.toBeNull();
      await waitFor(() => smtp.mails.some((mail) => mail.to.includes(BUYER)), T);
    },
    T * 2,
  );

  it('refuses a malformed customer e-mail', async () => {
    const bad = await stack.request<ErrorBody>('POST', '/v1/orders', {
      body: {
        device_id: 'concert-hall',
        product_id: 'standing',
        product_name: 'Autumn concert',
        size: 'Standing',
        price: 250_000,
        currency: 'RUB',
        customer_email: 'not-an-address',
      },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('validation_failed');
  });
});
