import { Hono } from 'hono';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CreatePaymentInput, Money } from '@paystate/core';
import {
  OutboundHttpError,
  OutboundNetworkError,
  OutboundTimeoutError,
  UnknownProviderStatusError,
  WebhookParseError,
  WebhookVerificationError,
  YOOKASSA_NOTIFICATION_NETWORKS,
  YooKassaProvider,
  yookassaStatusMap,
} from '@paystate/server';
import { startOnLoopback, YooKassaSandbox, type LoopbackServer, type SandboxPaymentStatus } from '@paystate/sandbox';
import { REMOTE_ADDRESS_HEADER } from '../../packages/server/src/providers/yookassa.js';

const SHOP_ID = 'shop-4711';
const SECRET_KEY = 'test_secret_key';
const silent = pino({ level: 'silent' });

function input(orderId: string, amount: Money = { amountMinor: 15050, currency: 'RUB' }): CreatePaymentInput {
  return { orderId, amount, description: `Latte for ${orderId}`, returnUrl: 'https://shop.example/return' };
}

async function failureOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail, it succeeded');
}

describe('YooKassaProvider against YooKassaSandbox on loopback', () => {
  let sandbox: YooKassaSandbox;
  let server: LoopbackServer & { apiUrl: string };
  let provider: YooKassaProvider;
  const extraServers: LoopbackServer[] = [];

  const providerWith = (overrides: Partial<{ apiUrl: string; secretKey: string; timeoutMs: number }> = {}) =>
    new YooKassaProvider({
      apiUrl: server.apiUrl,
      shopId: SHOP_ID,
      secretKey: SECRET_KEY,
      timeoutMs: 500,
      logger: silent,
      ...overrides,
    });

  beforeEach(async () => {
    sandbox = new YooKassaSandbox({ shopId: SHOP_ID, secretKey: SECRET_KEY });
    server = await sandbox.start();
    provider = providerWith();
  });
  afterEach(async () => {
    await Promise.all(extraServers.splice(0).map((extra) => extra.close()));
    await server.close();
  });

  async function succeededPayment(orderId: string, amountMinor = 15050): Promise<string> {
    const { providerPaymentId } = await provider.createPayment(
      input(orderId, { amountMinor, currency: 'RUB' }),
      `create-${orderId}`,
    );
    await sandbox.setStatus(providerPaymentId, 'succeeded', false);
    return providerPaymentId;
  }

  describe('createPayment', () => {
    it('creates the payment the sandbox records, with amount, description, return URL and order id', async () => {
      const created = await provider.createPayment(input('order-1'), 'key-order-1');
      expect(sandbox.payments.size).toBe(1);
      const stored = sandbox.payment(created.providerPaymentId);
      expect(stored).toMatchObject({
        status: 'pending',
        amount: { amountMinor: 15050, currency: 'RUB' },
        refunded: { amountMinor: 0, currency: 'RUB' },
        description: 'Latte for order-1',
        returnUrl: 'https://shop.example/return',
        orderId: 'order-1',
      });
      expect(created.confirmationUrl).toBe(`${server.url}/checkout/${created.providerPaymentId}`);
    });

    it('sends Basic shopId:secretKey authorization and the Idempotence-Key header', async () => {
      const seen: Headers[] = [];
      const front = new Hono();
      front.all('*', (c) => {
        seen.push(new Headers(c.req.raw.headers));
        return sandbox.app.fetch(c.req.raw, c.env);
      });
      const recorder = await startOnLoopback(front);
      extraServers.push(recorder);

      await providerWith({ apiUrl: `${recorder.url}/v3` }).createPayment(input('order-h'), 'idem-key-h');
      expect(seen).toHaveLength(1);
      const headers = seen[0]!;
      expect(headers.get('authorization')).toBe(`Basic ${Buffer.from(`${SHOP_ID}:${SECRET_KEY}`).toString('base64')}`);
      expect(headers.get('idempotence-key')).toBe('idem-key-h');
      expect(headers.get('content-type')).toBe('application/json');
      expect(sandbox.paymentFor('order-h')).toBeDefined();
    });

    it('the same Idempotence-Key returns the same payment and creates no second one', async () => {
      const first = await provider.createPayment(input('order-2'), 'key-order-2');
      const again = await provider.createPayment(input('order-2'), 'key-order-2');
      expect(again).toEqual(first);
      expect(sandbox.payments.size).toBe(1);

      const other = await provider.createPayment(input('order-2'), 'another-key');
      expect(other.providerPaymentId).not.toBe(first.providerPaymentId);
      expect(sandbox.payments.size).toBe(2);
    });

    it('a wrong secret key -> OutboundHttpError 401, not transient, and nothing is created', async () => {
      const error = await failureOf(
        providerWith({ secretKey: 'wrong' }).createPayment(input('order-3'), 'key-order-3'),
      );
      expect(error).toBeInstanceOf(OutboundHttpError);
      expect((error as OutboundHttpError).status).toBe(401);
      expect((error as OutboundHttpError).isTransient).toBe(false);
      expect(sandbox.payments.size).toBe(0);
    });

    it('an injected 503 on create -> transient OutboundHttpError, and the retry with the same key creates one payment', async () => {
      sandbox.faults.inject('create', { status: 503 });
      const error = await failureOf(provider.createPayment(input('order-4'), 'key-order-4'));
      expect(error).toBeInstanceOf(OutboundHttpError);
      expect((error as OutboundHttpError).status).toBe(503);
      expect((error as OutboundHttpError).isTransient).toBe(true);
      expect(sandbox.payments.size).toBe(0);
      await provider.createPayment(input('order-4'), 'key-order-4');
      expect(sandbox.payments.size).toBe(1);
    });
  });

  describe('getPaymentStatus', () => {
    it.each(['pending', 'waiting_for_capture', 'succeeded', 'canceled'] as const)(
      'maps sandbox status %s through yookassaStatusMap',
      async (status: SandboxPaymentStatus) => {
        const { providerPaymentId } = await provider.createPayment(input(`order-${status}`), `key-${status}`);
        await sandbox.setStatus(providerPaymentId, status, false);
        const report = await provider.getPaymentStatus(providerPaymentId);
        expect(report.status).toBe(yookassaStatusMap[status]);
        expect(report.status).toBe(status);
        expect(report.amount).toEqual({ amountMinor: 15050, currency: 'RUB' });
        expect(report.raw).toMatchObject({
          id: providerPaymentId,
          status,
          amount: { value: '150.50', currency: 'RUB' },
        });
      },
    );

    it('the status map covers exactly the four YooKassa statuses', () => {
      expect(Object.keys(yookassaStatusMap).sort()).toEqual([
        'canceled',
        'pending',
        'succeeded',
        'waiting_for_capture',
      ]);
    });

    it.each([
      [{ amountMinor: 15050, currency: 'RUB' }, '150.50'],
      [{ amountMinor: 1, currency: 'RUB' }, '0.01'],
      [{ amountMinor: 100000, currency: 'RUB' }, '1000.00'],
      [{ amountMinor: 999999999, currency: 'EUR' }, '9999999.99'],
      [{ amountMinor: 500, currency: 'JPY' }, '500'],
      [{ amountMinor: 1234, currency: 'KWD' }, '1.234'],
    ] as const)('amount %o travels as "%s" and comes back as the same integer minor units', async (amount, wire) => {
      const { providerPaymentId } = await provider.createPayment(
        input('order-amt', amount),
        `key-${wire}-${amount.currency}`,
      );
      expect(sandbox.payment(providerPaymentId).amount).toEqual(amount);
      const report = await provider.getPaymentStatus(providerPaymentId);
      expect((report.raw as { amount: { value: string } }).amount.value).toBe(wire);
      expect(report.amount).toEqual(amount);
      expect(Number.isInteger(report.amount.amountMinor)).toBe(true);
    });

    it('an unknown status string -> UnknownProviderStatusError, never guessed', async () => {
      const { providerPaymentId } = await provider.createPayment(input('order-weird'), 'key-weird');
      (sandbox.payment(providerPaymentId) as { status: string }).status = 'partially_refunded_maybe';
      await expect(provider.getPaymentStatus(providerPaymentId)).rejects.toBeInstanceOf(UnknownProviderStatusError);
    });

    it('an unknown payment id -> OutboundHttpError 404, not transient', async () => {
      const error = await failureOf(provider.getPaymentStatus('no-such-payment'));
      expect(error).toBeInstanceOf(OutboundHttpError);
      expect((error as OutboundHttpError).status).toBe(404);
      expect((error as OutboundHttpError).isTransient).toBe(false);
    });

    it('an injected delay beyond a 200 ms client timeout -> OutboundTimeoutError', async () => {
      const { providerPaymentId } = await provider.createPayment(input('order-slow'), 'key-slow');
      sandbox.faults.inject('get', { delayMs: 2000 });
      const started = performance.now();
      const error = await failureOf(providerWith({ timeoutMs: 200 }).getPaymentStatus(providerPaymentId));
      expect(error).toBeInstanceOf(OutboundTimeoutError);
      expect(performance.now() - started).toBeLessThan(800);
      // The fault was consumed: the next call answers.
      await expect(provider.getPaymentStatus(providerPaymentId)).resolves.toMatchObject({ status: 'pending' });
    });

    it('an injected 503 -> transient OutboundHttpError; the fault applies only `times` calls', async () => {
      const { providerPaymentId } = await provider.createPayment(input('order-503'), 'key-503');
      sandbox.faults.inject('get', { status: 503, times: 2 });
      for (let i = 0; i < 2; i += 1) {
        const error = await failureOf(provider.getPaymentStatus(providerPaymentId));
        expect(error).toBeInstanceOf(OutboundHttpError);
        expect((error as OutboundHttpError).status).toBe(503);
        expect((error as OutboundHttpError).isTransient).toBe(true);
      }
      await expect(provider.getPaymentStatus(providerPaymentId)).resolves.toMatchObject({ status: 'pending' });
    });

    it('an injected connection reset -> OutboundNetworkError', async () => {
      const { providerPaymentId } = await provider.createPayment(input('order-reset'), 'key-reset');
      sandbox.faults.inject('get', { reset: true });
      await expect(provider.getPaymentStatus(providerPaymentId)).rejects.toBeInstanceOf(OutboundNetworkError);
    });
  });

  describe('refund', () => {
    it('refunds a succeeded payment: the sandbox records the refunded amount', async () => {
      const id = await succeededPayment('order-r1');
      await provider.refund(id, { amountMinor: 5050, currency: 'RUB' }, 'refund-r1');
      expect(sandbox.payment(id).refunded).toEqual({ amountMinor: 5050, currency: 'RUB' });
    });

    it('a refund beyond the captured amount -> OutboundHttpError 400 and nothing refunded', async () => {
      const id = await succeededPayment('order-r2');
      const error = await failureOf(provider.refund(id, { amountMinor: 15051, currency: 'RUB' }, 'refund-r2'));
      expect(error).toBeInstanceOf(OutboundHttpError);
      expect((error as OutboundHttpError).status).toBe(400);
      expect((error as OutboundHttpError).isTransient).toBe(false);
      expect(sandbox.payment(id).refunded.amountMinor).toBe(0);
    });

    it('partial refunds add up; the one that would exceed the rest is refused', async () => {
      const id = await succeededPayment('order-r3');
      await provider.refund(id, { amountMinor: 10000, currency: 'RUB' }, 'refund-r3-a');
      await expect(provider.refund(id, { amountMinor: 5051, currency: 'RUB' }, 'refund-r3-b')).rejects.toBeInstanceOf(
        OutboundHttpError,
      );
      await provider.refund(id, { amountMinor: 5050, currency: 'RUB' }, 'refund-r3-c');
      expect(sandbox.payment(id).refunded.amountMinor).toBe(15050);
    });

    it('reads refunds back: getPaymentStatus reports refunded_amount (0 before any refund); the adapter declares read-back and a key', async () => {
      const id = await succeededPayment('order-r5');
      expect((await provider.getPaymentStatus(id)).refunded).toEqual({ amountMinor: 0, currency: 'RUB' });
      await provider.refund(id, { amountMinor: 4000, currency: 'RUB' }, 'refund-r5-a');
      await provider.refund(id, { amountMinor: 1050, currency: 'RUB' }, 'refund-r5-b');
      expect((await provider.getPaymentStatus(id)).refunded).toEqual({ amountMinor: 5050, currency: 'RUB' });
      expect(provider.refundGuarantees).toEqual({ readBack: true, idempotencyKey: true });
    });

    it('replaying the same idempotency key does not refund twice', async () => {
      const id = await succeededPayment('order-r4');
      await provider.refund(id, { amountMinor: 10000, currency: 'RUB' }, 'refund-r4');
      await provider.refund(id, { amountMinor: 10000, currency: 'RUB' }, 'refund-r4');
      expect(sandbox.payment(id).refunded.amountMinor).toBe(10000);
      // A new key is a new refund, and 2 x 100.00 exceeds 150.50.
      await expect(
        provider.refund(id, { amountMinor: 10000, currency: 'RUB' }, 'refund-r4-again'),
      ).rejects.toBeInstanceOf(OutboundHttpError);
      expect(sandbox.payment(id).refunded.amountMinor).toBe(10000);
    });

    it('a payment that has not succeeded cannot be refunded -> 400', async () => {
      const { providerPaymentId } = await provider.createPayment(input('order-r5'), 'key-r5');
      const error = await failureOf(
        provider.refund(providerPaymentId, { amountMinor: 100, currency: 'RUB' }, 'refund-r5'),
      );
      expect((error as OutboundHttpError).status).toBe(400);
      expect(sandbox.payment(providerPaymentId).refunded.amountMinor).toBe(0);
    });

    it('an injected 500 on refund -> transient, and the retry with the same key refunds once', async () => {
      const id = await succeededPayment('order-r6');
      sandbox.faults.inject('refund', { status: 500 });
      const error = await failureOf(provider.refund(id, { amountMinor: 50, currency: 'RUB' }, 'refund-r6'));
      expect((error as OutboundHttpError).isTransient).toBe(true);
      expect(sandbox.payment(id).refunded.amountMinor).toBe(0);
      await provider.refund(id, { amountMinor: 50, currency: 'RUB' }, 'refund-r6');
      await provider.refund(id, { amountMinor: 50, currency: 'RUB' }, 'refund-r6');
      expect(sandbox.payment(id).refunded.amountMinor).toBe(50);
    });
  });
});

describe('YooKassaProvider webhooks', () => {
  const provider = new YooKassaProvider({
    apiUrl: 'http://127.0.0.1:9/v3',
    shopId: SHOP_ID,
    secretKey: SECRET_KEY,
    timeoutMs: 200,
    logger: silent,
  });
  const guarded = new YooKassaProvider({
    apiUrl: 'http://127.0.0.1:9/v3',
    shopId: SHOP_ID,
    secretKey: SECRET_KEY,
    timeoutMs: 200,
    logger: silent,
    allowedNetworks: YOOKASSA_NOTIFICATION_NETWORKS,
  });

  describe('parseWebhook', () => {
    it('payment.succeeded names the payment and reports no status (YooKassa is re-read, never trusted)', async () => {
      const sandbox = new YooKassaSandbox({ shopId: SHOP_ID, secretKey: SECRET_KEY });
      const server = await sandbox.start();
      try {
        const real = new YooKassaProvider({
          apiUrl: server.apiUrl,
          shopId: SHOP_ID,
          secretKey: SECRET_KEY,
          timeoutMs: 500,
          logger: silent,
        });
        const { providerPaymentId } = await real.createPayment(input('order-w1'), 'key-w1');
        await sandbox.setStatus(providerPaymentId, 'succeeded', false);
        // The body exactly as the sandbox would send it.
        const body = JSON.stringify({
          type: 'notification',
          event: 'payment.succeeded',
          object: sandbox.paymentJson(sandbox.payment(providerPaymentId)),
        });
        const parsed = provider.parseWebhook(body);
        expect(parsed).toEqual({
          eventId: `payment.succeeded:${providerPaymentId}`,
          providerPaymentId,
          status: null,
          amount: null,
          raw: JSON.parse(body),
        });
      } finally {
        await server.close();
      }
    });

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

    it.each([
      ['not JSON', '{"type":"notification",'],
      ['empty body', ''],
      ['a JSON array', '[]'],
      ['JSON null', 'null'],
      ['wrong type', JSON.stringify({ type: 'event', event: 'payment.succeeded', object: { id: 'p' } })],
      ['no object', JSON.stringify({ type: 'notification', event: 'payment.succeeded' })],
      ['empty object id', JSON.stringify({ type: 'notification', event: 'payment.succeeded', object: { id: '' } })],
      ['malformed event', JSON.stringify({ type: 'notification', event: 'PAYMENT SUCCEEDED', object: { id: 'p' } })],
      ['payout event', JSON.stringify({ type: 'notification', event: 'payout.succeeded', object: { id: 'po-1' } })],
      [
        'refund without payment_id',
        JSON.stringify({ type: 'notification', event: 'refund.succeeded', object: { id: 'rf-2' } }),
      ],
    ])('%s -> WebhookParseError', (_label, body) => {
      expect(() => provider.parseWebhook(body)).toThrow(WebhookParseError);
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
