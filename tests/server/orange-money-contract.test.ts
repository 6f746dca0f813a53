import { Hono } from 'hono';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock, type CreatePaymentInput, type Money } from '@paystate/core';
import {
  decodePaymentRef,
  encodePaymentRef,
  ORANGE_MONEY_DEV_CURRENCY,
  OrangeMoneyProvider,
  orangeMoneyStatusMap,
  OutboundHttpError,
  OutboundNetworkError,
  OutboundTimeoutError,
  RefundNotSupportedError,
  UnknownProviderStatusError,
  WebhookParseError,
  WebhookVerificationError,
} from '@paystate/server';
import { OrangeMoneySandbox, startOnLoopback, type LoopbackServer, type OrangeSandboxStatus } from '@paystate/sandbox';

const CLIENT_ID = 'om-client-id';
const CLIENT_SECRET = 'om-client-secret';
const MERCHANT_KEY = 'om-merchant-key-7f3a';
const NOTIF_URL = 'http://127.0.0.1:9/v1/webhooks/orange_money';
const silent = pino({ level: 'silent' });
const xof = (amountMinor: number): Money => ({ amountMinor, currency: 'XOF' });

function input(orderId: string, amount: Money = xof(3500)): CreatePaymentInput {
  return {
    orderId,
    amount,
    description: `Yassa for ${orderId}`,
    returnUrl: `https://pay.example/orders/${orderId}/return`,
  };
}

async function failureOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail, it succeeded');
}

describe('Orange Money payment ids', () => {
  it('carry pay_token, order id and amount, and read back exactly', () => {
    const ref = { payToken: 'v1abc123', orderId: '6baac491-0b5e-4c1e-9d0f-2f8d6b1c0a11', amount: xof(3500) };
    const id = encodePaymentRef(ref);
    expect(id).toBe('v1abc123:6baac491-0b5e-4c1e-9d0f-2f8d6b1c0a11:3500:XOF');
    expect(decodePaymentRef(id)).toEqual(ref);
    const odd = { payToken: 'a:b%c', orderId: 'o:1', amount: { amountMinor: 0, currency: 'GNF' } };
    expect(decodePaymentRef(encodePaymentRef(odd))).toEqual(odd);
  });

  it.each([
    '',
    'just-a-pay-token',
    'a:b:c',
    'a:b:1.5:XOF',
    'a:b:-1:XOF',
    'a:b:10:xof',
    'a:b:10:XOF:extra',
    ':b:10:XOF',
    'a::10:XOF',
    'a:b:99999999999999999999:XOF',
  ])('%j is refused', (id) => {
    expect(() => decodePaymentRef(id)).toThrow(/not an Orange Money payment id/);
  });
});

describe('OrangeMoneyProvider against OrangeMoneySandbox on loopback', () => {
  let sandbox: OrangeMoneySandbox;
  let server: LoopbackServer;
  let clock: ManualClock;
  let provider: OrangeMoneyProvider;
  const extraServers: LoopbackServer[] = [];

  const providerWith = (overrides: Partial<ConstructorParameters<typeof OrangeMoneyProvider>[0]> = {}) =>
    new OrangeMoneyProvider({
      apiUrl: server.url,
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      merchantKey: MERCHANT_KEY,
      country: 'dev',
      notifUrl: NOTIF_URL,
      reference: 'Chez Fatou',
      timeoutMs: 500,
      logger: silent,
      clock,
      ...overrides,
    });

  beforeEach(async () => {
    sandbox = new OrangeMoneySandbox({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, merchantKey: MERCHANT_KEY });
    server = await sandbox.start();
    clock = new ManualClock(Date.now());
    provider = providerWith();
  });
  afterEach(async () => {
    await Promise.all(extraServers.splice(0).map((extra) => extra.close()));
    await server.close();
  });

  async function recorded() {
    const seen: { path: string; headers: Headers; body: string }[] = [];
    const front = new Hono();
    front.all('*', async (c) => {
      seen.push({
        path: new URL(c.req.url).pathname,
        headers: new Headers(c.req.raw.headers),
        body: await c.req.raw.clone().text(),
      });
      return sandbox.app.fetch(c.req.raw, c.env);
    });
    const recorder = await startOnLoopback(front);
    extraServers.push(recorder);
    return { seen, url: recorder.url };
  }

  describe('createPayment', () => {
    it('creates a web payment; the payment id carries pay_token, order and amount; the customer goes to payment_url', async () => {
      const created = await provider.createPayment(input('order-1'), 'pay:order-1');
      const stored = sandbox.paymentFor('order-1')!;
      expect(stored).toMatchObject({
        orderId: 'order-1',
        amount: 3500,
        currency: ORANGE_MONEY_DEV_CURRENCY,
        status: 'INITIATED',
        returnUrl: 'https://pay.example/orders/order-1/return',
        cancelUrl: 'https://pay.example/orders/order-1/return',
        notifUrl: NOTIF_URL,
        lang: 'fr',
        reference: 'Chez Fatou',
      });
      expect(created.providerPaymentId).toBe(`${stored.payToken}:order-1:3500:XOF`);
      expect(created.confirmationUrl).toBe(`${server.url}/webpayment/${stored.payToken}`);
    });

    it('gets a token with Basic auth and a form body, then posts JSON with the bearer token and the merchant key', async () => {
      const { seen, url } = await recorded();
      await providerWith({ apiUrl: url }).createPayment(input('order-h', xof(100)), 'pay:order-h');
      expect(seen.map((s) => s.path)).toEqual(['/oauth/v3/token', '/orange-money-webpay/dev/v1/webpayment']);
      const [token, create] = seen as [(typeof seen)[0], (typeof seen)[0]];
      expect(token.headers.get('authorization')).toBe(
        `Basic ${Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64')}`,
      );
      expect(token.headers.get('content-type')).toBe('application/x-www-form-urlencoded');
      expect(token.body).toBe('grant_type=client_credentials');
      expect(create.headers.get('authorization')).toBe(`Bearer ${sandbox.tokensIssued[0]}`);
      expect(create.headers.get('content-type')).toBe('application/json');
      expect(JSON.parse(create.body)).toEqual({
        merchant_key: MERCHANT_KEY,
        currency: 'OUV',
        order_id: 'order-h',
        amount: 100,
        return_url: 'https://pay.example/orders/order-h/return',
        cancel_url: 'https://pay.example/orders/order-h/return',
        notif_url: NOTIF_URL,
        lang: 'fr',
        reference: 'Chez Fatou',
      });
    });

    it("outside the dev environment the order's own currency is sent", async () => {
      const ci = new OrangeMoneySandbox({
        clientId: CLIENT_ID,
        clientSecret: CLIENT_SECRET,
        merchantKey: MERCHANT_KEY,
        country: 'ci',
      });
      const ciServer = await ci.start();
      extraServers.push(ciServer);
      const { providerPaymentId } = await providerWith({ apiUrl: ciServer.url, country: 'ci' }).createPayment(
        input('order-ci'),
        'pay:order-ci',
      );
      expect(ci.paymentFor('order-ci')).toMatchObject({ currency: 'XOF', amount: 3500 });
      expect(decodePaymentRef(providerPaymentId).amount).toEqual(xof(3500));
    });

    it('the merchant key never reaches the log', async () => {
      const lines: string[] = [];
      const logger = pino({ level: 'trace' }, { write: (line: string) => void lines.push(line) });
      await providerWith({ logger }).createPayment(input('order-log'), 'pay:order-log');
      expect(lines.length).toBeGreaterThanOrEqual(2);
      expect(lines.join('')).not.toContain(MERCHANT_KEY);
      expect(lines.join('')).not.toContain(CLIENT_SECRET);
      expect(lines.join('')).toContain('order-log');
    });

    it('a wrong merchant key -> 401, wrong client secret -> 401 at the token endpoint; nothing created', async () => {
      expect(
        ((await failureOf(providerWith({ merchantKey: 'nope' }).createPayment(input('o1'), 'k1'))) as OutboundHttpError)
          .status,
      ).toBe(401);
      expect(
        (
          (await failureOf(
            providerWith({ clientSecret: 'nope' }).createPayment(input('o2'), 'k2'),
          )) as OutboundHttpError
        ).status,
      ).toBe(401);
      expect(sandbox.payments.size).toBe(0);
    });

    it("an amount with a fraction of its currency's unit is refused before any call", async () => {
      await expect(provider.createPayment(input('o-eur', { amountMinor: 1050, currency: 'EUR' }), 'k')).rejects.toThrow(
        /whole amounts/,
      );
      expect(sandbox.tokensIssued).toHaveLength(0);
      await provider.createPayment(input('o-eur2', { amountMinor: 1000, currency: 'EUR' }), 'k2');
      expect(sandbox.paymentFor('o-eur2')?.amount).toBe(10);
    });

    it('faults: 503 on the token, 500 on create, a timeout: each fails, and the next call goes through', async () => {
      sandbox.faults.inject('token', { status: 503 });
      expect(((await failureOf(provider.createPayment(input('o-f'), 'k'))) as OutboundHttpError).isTransient).toBe(
        true,
      );
      sandbox.faults.inject('create', { status: 500 });
      expect(((await failureOf(provider.createPayment(input('o-f'), 'k'))) as OutboundHttpError).status).toBe(500);
      sandbox.faults.inject('create', { delayMs: 2000 });
      await expect(providerWith({ timeoutMs: 200 }).createPayment(input('o-f'), 'k')).rejects.toBeInstanceOf(
        OutboundTimeoutError,
      );
      await provider.createPayment(input('o-f'), 'k');
      expect(sandbox.payments.size).toBe(1);
    });
  });

  describe('access token', () => {
    it('one token for many calls; a revoked one is replaced once', async () => {
      const { providerPaymentId } = await provider.createPayment(input('order-t'), 'pay:order-t');
      await Promise.all([1, 2, 3].map(() => provider.getPaymentStatus(providerPaymentId)));
      await provider.createPayment(input('order-t2'), 'pay:order-t2');
      expect(sandbox.tokensIssued).toHaveLength(1);
      sandbox.revokeTokens();
      await expect(provider.getPaymentStatus(providerPaymentId)).resolves.toMatchObject({ status: 'pending' });
      expect(sandbox.tokensIssued).toHaveLength(2);
    });

    it('is renewed before its expiry, judged by the injected clock', async () => {
      const shortLived = new OrangeMoneySandbox({
        clientId: CLIENT_ID,
        clientSecret: CLIENT_SECRET,
        merchantKey: MERCHANT_KEY,
        tokenTtlS: 3600,
      });
      const shortServer = await shortLived.start();
      extraServers.push(shortServer);
      const client = providerWith({ apiUrl: shortServer.url });
      const { providerPaymentId } = await client.createPayment(input('order-r'), 'pay:order-r');
      clock.advance(3600 - 61);
      await client.getPaymentStatus(providerPaymentId);
      expect(shortLived.tokensIssued).toHaveLength(1);
      clock.advance(2);
      await client.getPaymentStatus(providerPaymentId);
      expect(shortLived.tokensIssued).toHaveLength(2);
    });
  });

  describe('getPaymentStatus', () => {
    it.each(Object.entries(orangeMoneyStatusMap))('Orange %s -> %s', async (status, mapped) => {
      const { providerPaymentId } = await provider.createPayment(input(`order-${status}`), `pay:${status}`);
      await sandbox.setStatus(decodePaymentRef(providerPaymentId).payToken, status as OrangeSandboxStatus, false);
      const report = await provider.getPaymentStatus(providerPaymentId);
      expect(report.status).toBe(mapped);
      expect(report.amount).toEqual(xof(3500));
      expect(report.raw).toMatchObject({ status, order_id: `order-${status}` });
    });

    it('the table maps exactly the five Orange statuses', () => {
      expect(orangeMoneyStatusMap).toEqual({
        INITIATED: 'pending',
        PENDING: 'pending',
        SUCCESS: 'succeeded',
        FAILED: 'canceled',
        EXPIRED: 'canceled',
      });
    });

    it.each(['CANCELLED', 'success', 'REFUNDED'])(
      'an unknown status %s -> UnknownProviderStatusError',
      async (status) => {
        const { providerPaymentId } = await provider.createPayment(input('order-odd'), 'pay:odd');
        (sandbox.payment(decodePaymentRef(providerPaymentId).payToken) as { status: string }).status = status;
        await expect(provider.getPaymentStatus(providerPaymentId)).rejects.toBeInstanceOf(UnknownProviderStatusError);
      },
    );

    it('asks with the order id, the whole amount and the pay_token', async () => {
      const { seen, url } = await recorded();
      const client = providerWith({ apiUrl: url });
      const { providerPaymentId } = await client.createPayment(input('order-q', xof(12_345)), 'pay:order-q');
      await client.getPaymentStatus(providerPaymentId);
      const query = seen.at(-1)!;
      expect(query.path).toBe('/orange-money-webpay/dev/v1/transactionstatus');
      expect(JSON.parse(query.body)).toEqual({
        order_id: 'order-q',
        amount: 12_345,
        pay_token: decodePaymentRef(providerPaymentId).payToken,
      });
    });

    it.each([1, 3500, 250_000, 10_000_000])(
      '%i XOF goes out as that whole number and is reported exact',
      async (amountMinor) => {
        const { providerPaymentId } = await provider.createPayment(
          input('order-amt', xof(amountMinor)),
          `pay:amt-${amountMinor}`,
        );
        expect(sandbox.payment(decodePaymentRef(providerPaymentId).payToken).amount).toBe(amountMinor);
        expect((await provider.getPaymentStatus(providerPaymentId)).amount).toEqual(xof(amountMinor));
      },
    );

    it('Orange answers only for the matching (order_id, amount, pay_token): another amount -> 404', async () => {
      const { providerPaymentId } = await provider.createPayment(input('order-m'), 'pay:order-m');
      const ref = decodePaymentRef(providerPaymentId);
      const error = await failureOf(provider.getPaymentStatus(encodePaymentRef({ ...ref, amount: xof(1) })));
      expect((error as OutboundHttpError).status).toBe(404);
    });

    it('faults: delay -> timeout, 502 -> transient, reset -> network error', async () => {
      const { providerPaymentId } = await provider.createPayment(input('order-f'), 'pay:order-f');
      sandbox.faults.inject('status', { delayMs: 2000 });
      await expect(providerWith({ timeoutMs: 200 }).getPaymentStatus(providerPaymentId)).rejects.toBeInstanceOf(
        OutboundTimeoutError,
      );
      sandbox.faults.inject('status', { status: 502 });
      expect(((await failureOf(provider.getPaymentStatus(providerPaymentId))) as OutboundHttpError).isTransient).toBe(
        true,
      );
      sandbox.faults.inject('status', { reset: true });
      await expect(provider.getPaymentStatus(providerPaymentId)).rejects.toBeInstanceOf(OutboundNetworkError);
      await expect(provider.getPaymentStatus(providerPaymentId)).resolves.toMatchObject({ status: 'pending' });
    });
  });

  describe('refund', () => {
    it('-> RefundNotSupportedError: Orange web payments have no refund API', async () => {
      const { providerPaymentId } = await provider.createPayment(input('order-r'), 'pay:order-r');
      const error = await failureOf(provider.refund(providerPaymentId, xof(3500), 'refund-r'));
      expect(error).toBeInstanceOf(RefundNotSupportedError);
      expect((error as RefundNotSupportedError).provider).toBe('orange_money');
    });
  });

  describe('notifications', () => {
    let receiver: LoopbackServer;
    const outcomes: { status: number; providerPaymentId?: string }[] = [];

    beforeEach(async () => {
      outcomes.length = 0;
      const app = new Hono();
      app.post('/notif', async (c) => {
        const raw = await c.req.text();
        try {
          await provider.verifyWebhook(c.req.header(), raw);
          const parsed = provider.parseWebhook(raw);
          expect(parsed.status).toBeNull();
          expect(parsed.amount).toBeNull();
          outcomes.push({ status: 200, providerPaymentId: parsed.providerPaymentId });
          return c.json({ ok: true });
        } catch (error) {
          const status = error instanceof WebhookVerificationError ? 401 : 400;
          outcomes.push({ status });
          return c.json({ error: String(error) }, status);
        }
      });
      receiver = await startOnLoopback(app);
      extraServers.push(receiver);
      provider = providerWith({ notifUrl: `${receiver.url}/notif` });
    });

    it('a notification with the notif_token issued for the payment names it, without trusting its status', async () => {
      const { providerPaymentId } = await provider.createPayment(input('order-n1'), 'pay:order-n1');
      expect(await sandbox.setStatus(decodePaymentRef(providerPaymentId).payToken, 'SUCCESS')).toBe(true);
      expect(outcomes).toEqual([{ status: 200, providerPaymentId }]);
      expect(await provider.getPaymentStatus(providerPaymentId)).toMatchObject({ status: 'succeeded' });
    });

    it('a forged notif_token -> 401 (and Orange-style retries keep failing)', async () => {
      const { providerPaymentId } = await provider.createPayment(input('order-n2'), 'pay:order-n2');
      const payToken = decodePaymentRef(providerPaymentId).payToken;
      sandbox.payment(payToken).status = 'SUCCESS';
      expect(await sandbox.notify(payToken, { notif_token: 'f'.repeat(32) })).toBe(false);
      expect(outcomes.every((o) => o.status === 401)).toBe(true);
      expect(outcomes.length).toBeGreaterThan(1);
    });

    it('the notif_token of another payment names that other payment, never this one', async () => {
      const a = await provider.createPayment(input('order-a'), 'pay:order-a');
      const b = await provider.createPayment(input('order-b'), 'pay:order-b');
      const bToken = sandbox.payment(decodePaymentRef(b.providerPaymentId).payToken).notifToken;
      await sandbox.notify(decodePaymentRef(a.providerPaymentId).payToken, { notif_token: bToken });
      expect(outcomes).toEqual([{ status: 200, providerPaymentId: b.providerPaymentId }]);
    });

    it('a process that did not issue the token (a restart) refuses with 401; a remembered one expires with the TTL', async () => {
      const { providerPaymentId } = await provider.createPayment(input('order-n3'), 'pay:order-n3');
      const payToken = decodePaymentRef(providerPaymentId).payToken;
      const raw = JSON.stringify({
        status: 'SUCCESS',
        notif_token: sandbox.payment(payToken).notifToken,
        txnid: 'MP1',
      });
      const restarted = providerWith();
      await expect(restarted.verifyWebhook({}, raw)).rejects.toBeInstanceOf(WebhookVerificationError);
      await expect(provider.verifyWebhook({}, raw)).resolves.toBeUndefined();
      clock.advance(86_400 + 1);
      await expect(provider.verifyWebhook({}, raw)).rejects.toBeInstanceOf(WebhookVerificationError);
    });

    it.each([
      ['not JSON', 'status=SUCCESS'],
      ['no notif_token', JSON.stringify({ status: 'SUCCESS', txnid: 'MP1' })],
      ['no status', JSON.stringify({ notif_token: 'abc' })],
    ])('%s -> WebhookParseError (verification leaves malformed bodies to the parser)', async (_label, raw) => {
      await expect(provider.verifyWebhook({}, raw)).resolves.toBeUndefined();
      expect(() => provider.parseWebhook(raw)).toThrow(WebhookParseError);
    });
  });
});
