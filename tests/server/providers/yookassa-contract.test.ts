import { describe, expect, it } from 'vitest';
import type { CreatePaymentInput, Money } from '@paystate/core';
import { OutboundHttpError, WebhookVerificationError, YooKassaProvider } from '@paystate/server';
import { YOOKASSA_NOTIFICATION_NETWORKS, yookassaStatusMap } from '@paystate/server/testing';
import { YooKassaSandbox, type SandboxPaymentStatus } from '@paystate/sandbox';
import { REMOTE_ADDRESS_HEADER } from '../../../packages/server/src/providers/yookassa.js';
import { providerContract, silent, type AdapterOptions } from '../../support/provider-contract.js';

const SHOP_ID = 'shop-4711';
const SECRET_KEY = 'test_secret_key';
const rub = (amountMinor: number): Money => ({ amountMinor, currency: 'RUB' });

function input(orderId: string, amount: Money = rub(15050)): CreatePaymentInput {
  return { orderId, amount, description: `Latte for ${orderId}`, returnUrl: 'https://shop.example/return' };
}

const yookassa = (options: AdapterOptions<typeof YooKassaProvider>) =>
  new YooKassaProvider({ shopId: SHOP_ID, secretKey: SECRET_KEY, ...options });

describe('YooKassaProvider against YooKassaSandbox on loopback', () => {
  const ctx = providerContract({
    name: 'YooKassa',
    sandbox: () => new YooKassaSandbox({ shopId: SHOP_ID, secretKey: SECRET_KEY }),
    adapterFor: yookassa,
    wrongCredentials: [{ label: 'a wrong secret key', overrides: { secretKey: 'wrong' }, status: 401 }],
    payments: {
      input,
      amount: rub(15050),
      idempotentOn: 'idempotency key',
      declares: {
        code: 'yookassa',
        canQueryStatus: true,
        refundGuarantees: { readBack: true, idempotencyKey: true },
      },
      statuses: {
        // YooKassa's four statuses are paystate's own.
        table: Object.keys(yookassaStatusMap).map((status) => [status, status] as const),
        set: (sandbox, id, status) => sandbox.setStatus(id, status as SandboxPaymentStatus, false),
        raw: (status, id) => ({ id, status, amount: { value: '150.50', currency: 'RUB' } }),
        undocumented: ['partially_refunded_maybe'],
        force: (sandbox, id, status) => void ((sandbox.payment(id) as { status: string }).status = status),
      },
      unknownPayment: { id: () => 'no-such-payment', status: 404 },
      amounts: {
        cases: [
          [rub(15050), '150.50'],
          [rub(1), '0.01'],
          [rub(100000), '1000.00'],
          [{ amountMinor: 999999999, currency: 'EUR' }, '9999999.99'],
          [{ amountMinor: 500, currency: 'JPY' }, '500'],
          [{ amountMinor: 1234, currency: 'KWD' }, '1.234'],
        ],
        wire: (raw) => (raw as { amount: { value: string } }).amount.value,
        stored: (sandbox, id) => sandbox.payment(id).amount,
      },
      refunds: {
        supported: true,
        partial: true,
        pay: (sandbox, id) => sandbox.setStatus(id, 'succeeded', false),
        refusal: OutboundHttpError,
        refusalStatus: 400,
        unpaid: [{ label: 'a pending payment', refusal: OutboundHttpError, status: 400 }],
        shows: (sandbox, id, refundedMinor) => expect(sandbox.payment(id).refunded).toEqual(rub(refundedMinor)),
      },
      malformedWebhooks: [
        ['a truncated notification', '{"type":"notification",'],
        ['wrong type', JSON.stringify({ type: 'event', event: 'payment.succeeded', object: { id: 'p' } })],
        ['no object', JSON.stringify({ type: 'notification', event: 'payment.succeeded' })],
        ['empty object id', JSON.stringify({ type: 'notification', event: 'payment.succeeded', object: { id: '' } })],
        ['malformed event', JSON.stringify({ type: 'notification', event: 'PAYMENT SUCCEEDED', object: { id: 'p' } })],
        ['payout event', JSON.stringify({ type: 'notification', event: 'payout.succeeded', object: { id: 'po-1' } })],
        [
          'refund without payment_id',
          JSON.stringify({ type: 'notification', event: 'refund.succeeded', object: { id: 'rf-2' } }),
        ],
      ],
    },
  });

  it('creates the payment the sandbox records, with amount, description, return URL and order id', async () => {
    const created = await ctx.adapter.createPayment(input('order-1'), 'key-order-1');
    expect(ctx.sandbox.payments.size).toBe(1);
    expect(ctx.sandbox.payment(created.providerPaymentId)).toMatchObject({
      status: 'pending',
      amount: rub(15050),
      refunded: rub(0),
      description: 'Latte for order-1',
      returnUrl: 'https://shop.example/return',
      orderId: 'order-1',
    });
    expect(created.confirmationUrl).toBe(`${ctx.server.url}/checkout/${created.providerPaymentId}`);
  });

  it('sends Basic shopId:secretKey authorization and the Idempotence-Key header', async () => {
    const { seen, adapter } = await ctx.record();
    await adapter.createPayment(input('order-h'), 'idem-key-h');
    expect(seen).toHaveLength(1);
    const { headers } = seen[0]!;
    expect(headers.get('authorization')).toBe(`Basic ${Buffer.from(`${SHOP_ID}:${SECRET_KEY}`).toString('base64')}`);
    expect(headers.get('idempotence-key')).toBe('idem-key-h');
    expect(headers.get('content-type')).toBe('application/json');
    expect(ctx.sandbox.paymentFor('order-h')).toBeDefined();
  });

  it('the status map covers exactly the four YooKassa statuses, each as itself', () => {
    expect(yookassaStatusMap).toEqual({
      pending: 'pending',
      waiting_for_capture: 'waiting_for_capture',
      succeeded: 'succeeded',
      canceled: 'canceled',
    });
  });

  it('payment.succeeded names the payment and reports no status (YooKassa is re-read, never trusted)', async () => {
    const { providerPaymentId } = await ctx.adapter.createPayment(input('order-w1'), 'key-w1');
    await ctx.sandbox.setStatus(providerPaymentId, 'succeeded', false);
    // The body exactly as the sandbox would send it.
    const body = JSON.stringify({
      type: 'notification',
      event: 'payment.succeeded',
      object: ctx.sandbox.paymentJson(ctx.sandbox.payment(providerPaymentId)),
    });
    expect(ctx.adapter.parseWebhook(body)).toEqual({
      eventId: `payment.succeeded:${providerPaymentId}`,
      providerPaymentId,
      status: null,
      amount: null,
      raw: JSON.parse(body),
    });
  });
});

describe('YooKassaProvider webhooks', () => {
  const offline = { apiUrl: 'http://127.0.0.1:9/v3', timeoutMs: 200, logger: silent };
  const provider = yookassa(offline);
  const guarded = yookassa({ ...offline, allowedNetworks: YOOKASSA_NOTIFICATION_NETWORKS });

  describe('parseWebhook', () => {
    it('refund.succeeded names the payment through object.payment_id; the event id is the refund id', () => {
      const body = JSON.stringify({
        type: 'notification',
        event: 'refund.succeeded',
        object: { id: 'rf-1', payment_id: 'pay-1', status: 'succeeded', amount: { value: '1.00', currency: 'RUB' } },
      });
      expect(provider.parseWebhook(body)).toMatchObject({
        eventId: 'refund.succeeded:rf-1',
        providerPaymentId: 'pay-1',
        status: null,
        amount: null,
      });
    });

    it.each(['payment.waiting_for_capture', 'payment.canceled'])('%s also reports no status', (event) => {
      const parsed = provider.parseWebhook(
        JSON.stringify({ type: 'notification', event, object: { id: 'pay-2', status: 'canceled' } }),
      );
      expect(parsed).toMatchObject({ eventId: `${event}:pay-2`, providerPaymentId: 'pay-2', status: null });
    });
  });

  describe('verifyWebhook', () => {
    it.each([
      '185.71.76.5',
      '185.71.77.1',
      '77.75.153.10',
      '77.75.156.11',
      '77.75.156.35',
      '77.75.154.200',
      '::ffff:185.71.77.1',
      '2a02:5180::1',
      '2a02:5180:ffff::42',
    ])('a notification from %s passes the allowlist', async (address) => {
      await expect(guarded.verifyWebhook({ [REMOTE_ADDRESS_HEADER]: address })).resolves.toBeUndefined();
    });

    it.each([
      '127.0.0.1',
      '8.8.8.8',
      '185.71.76.32',
      '77.75.156.12',
      '::ffff:8.8.8.8',
      '::1',
      '2a02:5181::1',
      '',
      'not-an-ip',
    ])('a notification from %j -> WebhookVerificationError', async (address) => {
      await expect(guarded.verifyWebhook({ [REMOTE_ADDRESS_HEADER]: address })).rejects.toBeInstanceOf(
        WebhookVerificationError,
      );
    });

    it('a notification without the remote address header -> WebhookVerificationError', async () => {
      await expect(guarded.verifyWebhook({})).rejects.toBeInstanceOf(WebhookVerificationError);
    });

    it('the header name is x-paystate-remote-addr', () => {
      expect(REMOTE_ADDRESS_HEADER).toBe('x-paystate-remote-addr');
    });

    it('without allowedNetworks any sender passes', async () => {
      for (const address of ['127.0.0.1', '8.8.8.8', '']) {
        await expect(provider.verifyWebhook({ [REMOTE_ADDRESS_HEADER]: address })).resolves.toBeUndefined();
      }
      await expect(provider.verifyWebhook({})).resolves.toBeUndefined();
    });
  });
});
