import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OrangeMoneySandbox, type LoopbackServer } from '@paystate/server/sandbox';
import { startStack, type Stack } from '../support/harness.js';
import { testBackend } from '../support/temp-db.js';

const CLIENT_ID = 'om-pay-client';
const CLIENT_SECRET = 'om-pay-secret';
const MERCHANT_KEY = 'om-pay-merchant-key';
const T = 10_000;

// Issue 11, path 3: two `pay` calls at once each created an Orange payment; the second answer
// carried one paystate never recorded, so the money paid into it reached no order.
describe(`concurrent pay on ${testBackend}: one payment attempt in flight per order`, () => {
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
    await stack.createDevice('dev-pay');
  });
  afterEach(async () => {
    await Promise.race([orange.settled(), new Promise((resolve) => setTimeout(resolve, 2000))]);
    await stack?.stop();
    await orangeServer?.close();
  });

  it(
    'a burst of pay requests creates one provider payment; every URL handed out is the recorded one, and paying it makes the order',
    async () => {
      const created = await stack.request<{ order_id: string }>('POST', '/v1/orders', {
        body: { deviceId: 'dev-pay', productId: 'garba', productName: 'Garba', size: 'M', price: 2500, currency: 'XOF', provider: 'orange_money' },
      });
      const orderId = created.body.order_id;
      // The provider answers slowly, so the requests really overlap.
      orange.faults.inject('create', { delayMs: 300, times: 5 });
      const answers = await Promise.all(
        Array.from({ length: 5 }, () => stack.request<{ confirmationUrl?: string; error?: { code: string } }>('POST', `/v1/orders/${orderId}/pay`)),
      );
      const atProvider = [...orange.payments.values()].filter((payment) => payment.orderId === orderId);
      expect(atProvider).toHaveLength(1);
      const recorded = atProvider[0]!;
      for (const answer of answers) {
        if (answer.status === 200) expect(answer.body.confirmationUrl).toBe(`${orangeServer.url}/webpayment/${recorded.payToken}`);
        else expect(answer).toMatchObject({ status: 409, body: { error: { code: 'payment_in_progress' } } });
      }
      expect(answers.filter((answer) => answer.status === 200).length).toBeGreaterThanOrEqual(1);
      // A retry once the first attempt is done re-presents the same payment.
      const again = await stack.request<{ confirmationUrl: string }>('POST', `/v1/orders/${orderId}/pay`);
      expect(again.body.confirmationUrl).toBe(`${orangeServer.url}/webpayment/${recorded.payToken}`);

      const page = await fetch(`${orangeServer.url}/webpayment/${recorded.payToken}/pay`, { method: 'POST', redirect: 'manual' });
      await page.body?.cancel();
      await stack.waitForStatus(orderId, 'successful', T);
      expect(stack.tmetr.received).toHaveLength(1);
    },
    T * 2,
  );
});
