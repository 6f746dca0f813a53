import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decodePaymentRef } from '@paystate/server/testing';
import { OrangeMoneySandbox, type LoopbackServer } from '@paystate/sandbox';
import { ADMIN_TOKEN, startStack, type ErrorBody, type Stack } from '../support/harness.js';
import { testBackend } from '../support/temp-db.js';

const CLIENT_ID = 'om-e2e-client';
const CLIENT_SECRET = 'om-e2e-secret';
const MERCHANT_KEY = 'om-e2e-merchant-key';
const T = 10_000;

describe(`Orange Money end to end through the real server on ${testBackend}`, () => {
  let stack: Stack;
  let orange: OrangeMoneySandbox;
  let orangeServer: LoopbackServer;

  beforeEach(async () => {
    orange = new OrangeMoneySandbox({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, merchantKey: MERCHANT_KEY });
    orangeServer = await orange.start();
    stack = await startStack({
      env: {
        ORANGE_MONEY_API_URL: orangeServer.url,
        ORANGE_MONEY_CLIENT_ID: CLIENT_ID,
        ORANGE_MONEY_CLIENT_SECRET: CLIENT_SECRET,
        ORANGE_MONEY_MERCHANT_KEY: MERCHANT_KEY,
      },
    });
    await stack.createDevice('dev-abidjan');
  });
  afterEach(async () => {
    await Promise.race([orange.settled(), new Promise((resolve) => setTimeout(resolve, 2000))]);
    await stack?.stop();
    await orangeServer?.close();
  });

  it(
    "the customer pays on Orange's page; the notification (a hint) is verified by its notif_token and the payment re-read; a forged token is 401",
    async () => {
      const created = await stack.request<{ order_id: string }>('POST', '/v1/orders', {
        body: {
          device_id: 'dev-abidjan',
          product_id: 'garba',
          product_name: 'Garba',
          size: 'M',
          price: 2500,
          currency: 'XOF',
          provider: 'orange_money',
        },
      });
      const orderId = created.body.order_id;
      const paid = await stack.request<{ confirmation_url: string }>('POST', `/v1/orders/${orderId}/pay`);
      expect(paid.status).toBe(200);
      const payment = orange.paymentFor(orderId)!;
      expect(payment).toMatchObject({
        amount: 2500,
        currency: 'OUV',
        notifUrl: `${stack.server.url}/v1/webhooks/orange_money`,
      });
      expect(paid.body.confirmation_url).toBe(`${orangeServer.url}/webpayment/${payment.payToken}`);
      const detail = await stack.detail(orderId);
      expect(decodePaymentRef(detail.order.provider_payment_id!)).toEqual({
        payToken: payment.payToken,
        orderId,
        amount: { amountMinor: 2500, currency: 'XOF' },
      });

      // A forger who knows the order but not the notif_token.
      const forged = await stack.request<ErrorBody>('POST', '/v1/webhooks/orange_money', {
        body: { status: 'SUCCESS', notif_token: 'f'.repeat(32), txnid: 'MP-forged' },
      });
      expect(forged.status).toBe(401);
      // The notif_token is right but the claim is false (the payment is not paid): re-read, nothing changes.
      const early = await stack.request<{ outcome: string }>('POST', '/v1/webhooks/orange_money', {
        body: { status: 'SUCCESS', notif_token: payment.notifToken, txnid: 'MP-early' },
      });
      expect(early.status).toBe(200);
      expect((await stack.status(orderId)).status).toBe('pending');
      expect(
        (await stack.detail(orderId)).events
          .filter((e) => e.event === 'PAYMENT_OBSERVED' && e.source === 'webhook')
          .map((e) => e.to),
      ).toEqual(['pending']);

      const page = await fetch(`${orangeServer.url}/webpayment/${payment.payToken}/pay`, {
        method: 'POST',
        redirect: 'manual',
      });
      await page.body?.cancel();
      expect(page.headers.get('location')).toBe(`${stack.server.url}/orders/${orderId}/return`);
      await stack.waitForStatus(orderId, 'successful', T);
      expect(orange.deliveries.at(-1)?.status).toBe(200);
      const observed = (await stack.detail(orderId)).events.filter(
        (e) => e.event === 'PAYMENT_OBSERVED' && e.to === 'paid',
      );
      expect(observed).toHaveLength(1);
      expect(observed[0]).toMatchObject({ source: 'webhook', applied: true });
      expect(stack.tmetr.received).toHaveLength(1);
    },
    T * 2,
  );

  // Issue 11, path 3: two `pay` calls at once each created an Orange payment; the second answer
  // carried one paystate never recorded, so the money paid into it reached no order.
  it(
    'a burst of pay requests creates one provider payment; every URL handed out is the recorded one, and paying it makes the order',
    async () => {
      const created = await stack.request<{ order_id: string }>('POST', '/v1/orders', {
        body: {
          device_id: 'dev-abidjan',
          product_id: 'garba',
          product_name: 'Garba',
          size: 'M',
          price: 2500,
          currency: 'XOF',
          provider: 'orange_money',
        },
      });
      const orderId = created.body.order_id;
      // The provider answers slowly, so the requests really overlap.
      orange.faults.inject('create', { delayMs: 300, times: 5 });
      const answers = await Promise.all(
        Array.from({ length: 5 }, () =>
          stack.request<{ confirmation_url?: string; error?: { code: string } }>('POST', `/v1/orders/${orderId}/pay`),
        ),
      );
      const atProvider = [...orange.payments.values()].filter((payment) => payment.orderId === orderId);
      expect(atProvider).toHaveLength(1);
      const recorded = atProvider[0]!;
      for (const answer of answers) {
        if (answer.status === 200)
          expect(answer.body.confirmation_url).toBe(`${orangeServer.url}/webpayment/${recorded.payToken}`);
        else expect(answer).toMatchObject({ status: 409, body: { error: { code: 'payment_in_progress' } } });
      }
      expect(answers.filter((answer) => answer.status === 200).length).toBeGreaterThanOrEqual(1);
      // A retry once the first attempt is done re-presents the same payment.
      const again = await stack.request<{ confirmation_url: string }>('POST', `/v1/orders/${orderId}/pay`);
      expect(again.body.confirmation_url).toBe(`${orangeServer.url}/webpayment/${recorded.payToken}`);

      const page = await fetch(`${orangeServer.url}/webpayment/${recorded.payToken}/pay`, {
        method: 'POST',
        redirect: 'manual',
      });
      await page.body?.cancel();
      await stack.waitForStatus(orderId, 'successful', T);
      expect(stack.tmetr.received).toHaveLength(1);
    },
    T * 2,
  );

  it(
    'a POS payment being started while cashiers check it: one Orange payment, the one the POS records (docs/architecture.md section 9)',
    async () => {
      const pos = <B>(method: string, path: string, body?: unknown) =>
        stack.request<B>(method, `/v1/merchants/abidjan-1/${path}`, {
          token: ADMIN_TOKEN,
          ...(body === undefined ? {} : { body }),
        });
      expect(
        (await pos('POST', 'payment-methods', { provider_code: 'orange_money', display_name: 'Orange Money' })).status,
      ).toBe(201);
      orange.faults.inject('create', { delayMs: 300, times: 6 });
      const creating = pos<{ payment_id: string; confirmation_url: string | null }>('POST', 'payments', {
        method: 'orange_money',
        amount_minor: 2500,
        currency: 'XOF',
      });
      await new Promise((resolve) => setTimeout(resolve, 100));
      const listed = await pos<{ payments: Array<{ payment_id: string }> }>('GET', 'payments');
      const paymentId = listed.body.payments[0]!.payment_id;
      const checks = await Promise.all(
        Array.from({ length: 5 }, () =>
          pos<{ confirmation_url: string | null }>('POST', `payments/${paymentId}/check`),
        ),
      );
      const created = await creating;
      expect([201, 202]).toContain(created.status);
      const atProvider = [...orange.payments.values()].filter((payment) => payment.orderId === paymentId);
      expect(atProvider).toHaveLength(1);
      const recorded = await pos<{ confirmation_url: string }>('GET', `payments/${paymentId}`);
      expect(recorded.body.confirmation_url).toBe(`${orangeServer.url}/webpayment/${atProvider[0]!.payToken}`);
      for (const check of checks) expect(check.status).toBe(200);
    },
    T * 2,
  );
});
