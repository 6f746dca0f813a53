import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MtnMomoSandbox, type LoopbackServer } from '@paystate/sandbox';
import { startStack, type ErrorBody, type Stack } from '../support/harness.js';
import { testBackend } from '../support/temp-db.js';

const MOMO = { subscriptionKey: 'momo-sub', apiUser: '9f0d3a57-4b6e-4f0e-8c59-2b8d7f1e6a10', apiKey: 'momo-key' };

describe(`MTN MoMo through the real server on ${testBackend}`, () => {
  let stack: Stack;
  let momo: MtnMomoSandbox;
  let momoServer: LoopbackServer;

  beforeEach(async () => {
    momo = new MtnMomoSandbox(MOMO);
    momoServer = await momo.start();
    stack = await startStack({
      env: {
        MTN_MOMO_API_URL: momoServer.url,
        MTN_MOMO_SUBSCRIPTION_KEY: MOMO.subscriptionKey,
        MTN_MOMO_API_USER: MOMO.apiUser,
        MTN_MOMO_API_KEY: MOMO.apiKey,
      },
    });
    await stack.createDevice('dev-accra');
  });
  afterEach(async () => {
    await stack?.stop();
    await momoServer?.close();
  });

  it('pay needs the payer phone; the PUT callback (a hint) is re-read and pays the order', async () => {
    const created = await stack.request<{ order_id: string }>('POST', '/v1/orders', {
      body: {
        device_id: 'dev-accra',
        product_id: 'waakye',
        product_name: 'Waakye',
        size: 'L',
        price: 3000,
        currency: 'XOF',
        provider: 'mtn_momo',
      },
    });
    const orderId = created.body.order_id;

    const noPhone = await stack.request<ErrorBody>('POST', `/v1/orders/${orderId}/pay`);
    expect(noPhone.status).toBe(400);
    expect(noPhone.body.error.code).toBe('payer_required');
    const badPhone = await stack.request<ErrorBody>('POST', `/v1/orders/${orderId}/pay`, {
      body: { payer_msisdn: '+233 24' },
    });
    expect(badPhone.status).toBe(400);
    expect(momo.requestToPayCalls).toHaveLength(0);
    expect((await stack.status(orderId)).status).toBe('created');

    const paid = await stack.request<{ confirmation_url: string }>('POST', `/v1/orders/${orderId}/pay`, {
      body: { payer_msisdn: '233240000001' },
    });
    expect(paid.status).toBe(200);
    const [reference] = momo.requestToPayCalls;
    expect(momo.request(reference!).payer).toEqual({ partyIdType: 'MSISDN', partyId: '233240000001' });

    await momo.setStatus(reference!, 'SUCCESSFUL', false);
    const callback = await fetch(`${stack.server.url}/v1/webhooks/mtn_momo`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(momo.requestJson(momo.request(reference!))),
    });
    expect(callback.status).toBe(200);
    await stack.waitForStatus(orderId, 'successful', 10_000);
    expect(stack.tmetr.received.filter((c) => c.order_id === orderId)).toHaveLength(1);
  }, 20_000);
});
