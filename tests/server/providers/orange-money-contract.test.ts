import { Hono } from 'hono';
import { pino } from 'pino';
import { beforeEach, describe, expect, it } from 'vitest';
import type { CreatePaymentInput, Money } from '@paystate/core';
import { OrangeMoneyProvider, WebhookParseError, WebhookVerificationError } from '@paystate/server';
import {
  decodePaymentRef,
  encodePaymentRef,
  ORANGE_MONEY_DEV_CURRENCY,
  orangeMoneyStatusMap,
} from '@paystate/server/testing';
import { OrangeMoneySandbox, type OrangeSandboxStatus } from '@paystate/sandbox';
import { providerContract, type AdapterOptions } from '../../support/provider-contract.js';

const CLIENT_ID = 'om-client-id';
const CLIENT_SECRET = 'om-client-secret';
const MERCHANT_KEY = 'om-merchant-key-7f3a';
const NOTIF_URL = 'http://127.0.0.1:9/v1/webhooks/orange_money';
const credentials = { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, merchantKey: MERCHANT_KEY };
const xof = (amountMinor: number): Money => ({ amountMinor, currency: 'XOF' });
/** The sandbox keeps payments by pay_token, which the payment id carries. */
const tokenOf = (providerPaymentId: string) => decodePaymentRef(providerPaymentId).payToken;

function input(orderId: string, amount: Money = xof(3500)): CreatePaymentInput {
  return {
    orderId,
    amount,
    description: `Yassa for ${orderId}`,
    returnUrl: `https://pay.example/orders/${orderId}/return`,
  };
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
  const ctx = providerContract({
    name: 'Orange Money',
    // Tokens live an hour here (Orange issues them for 90 days), so the renewal case stays readable.
    sandbox: () => new OrangeMoneySandbox({ ...credentials, tokenTtlS: 3600 }),
    adapterFor: (options: AdapterOptions<typeof OrangeMoneyProvider>) =>
      new OrangeMoneyProvider({
        ...credentials,
        country: 'dev',
        notifUrl: NOTIF_URL,
        reference: 'Chez Fatou',
        ...options,
      }),
    wrongCredentials: [
      { label: 'a wrong merchant key', overrides: { merchantKey: 'nope' }, status: 401 },
      {
        label: 'a wrong client secret (refused at the token endpoint)',
        overrides: { clientSecret: 'nope' },
        status: 401,
      },
    ],
    payments: {
      input,
      amount: xof(3500),
      statusRoute: 'status',
      // Orange has no idempotency key: each web payment is a new one.
      idempotentOn: null,
      declares: {
        code: 'orange_money',
        canQueryStatus: true,
        refundGuarantees: { readBack: false, idempotencyKey: false },
      },
      statuses: {
        table: Object.entries(orangeMoneyStatusMap),
        set: (sandbox, id, status) => sandbox.setStatus(tokenOf(id), status as OrangeSandboxStatus, false),
        raw: (status, id) => ({ status, order_id: decodePaymentRef(id).orderId }),
        undocumented: ['CANCELLED', 'success', 'REFUNDED'],
        force: (sandbox, id, status) => void ((sandbox.payment(tokenOf(id)) as { status: string }).status = status),
      },
      // Orange answers only for the matching (order_id, amount, pay_token): another amount is unknown.
      unknownPayment: {
        id: async ({ adapter }) => {
          const { providerPaymentId } = await adapter.createPayment(input('order-m'), 'pay:order-m');
          return encodePaymentRef({ ...decodePaymentRef(providerPaymentId), amount: xof(1) });
        },
        status: 404,
      },
      amounts: {
        // Orange's answer has no amount: what travelled is the whole number the sandbox took in.
        cases: [1, 3500, 250_000, 10_000_000].map((n) => [xof(n), n] as const),
        wire: (_raw, sandbox, id) => sandbox.payment(tokenOf(id)).amount,
      },
      // Orange web payments have no refund API.
      refunds: { supported: false },
      accessToken: {
        tokensIssued: (sandbox) => sandbox.tokensIssued,
        revoke: (sandbox) => sandbox.revokeTokens(),
        ttlS: 3600,
      },
    },
  });

  describe('createPayment', () => {
    it('creates a web payment; the payment id carries pay_token, order and amount; the customer goes to payment_url', async () => {
      const created = await ctx.adapter.createPayment(input('order-1'), 'pay:order-1');
      const stored = ctx.sandbox.paymentFor('order-1')!;
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
      expect(created.confirmationUrl).toBe(`${ctx.server.url}/webpayment/${stored.payToken}`);
    });

    it('gets a token with Basic auth and a form body, then posts JSON with the bearer token and the merchant key', async () => {
      const { seen, adapter } = await ctx.record();
      await adapter.createPayment(input('order-h', xof(100)), 'pay:order-h');
      expect(seen.map((s) => s.path)).toEqual(['/oauth/v3/token', '/orange-money-webpay/dev/v1/webpayment']);
      const [token, create] = seen as [(typeof seen)[0], (typeof seen)[0]];
      expect(token.headers.get('authorization')).toBe(
        `Basic ${Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64')}`,
      );
      expect(token.headers.get('content-type')).toBe('application/x-www-form-urlencoded');
      expect(token.body).toBe('grant_type=client_credentials');
      expect(create.headers.get('authorization')).toBe(`Bearer ${ctx.sandbox.tokensIssued[0]}`);
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
      const ci = new OrangeMoneySandbox({ ...credentials, country: 'ci' });
      const ciServer = ctx.closeAfter(await ci.start());
      const { providerPaymentId } = await ctx
        .adapterWith({ apiUrl: ciServer.url, country: 'ci' })
        .createPayment(input('order-ci'), 'pay:order-ci');
      expect(ci.paymentFor('order-ci')).toMatchObject({ currency: 'XOF', amount: 3500 });
      expect(decodePaymentRef(providerPaymentId).amount).toEqual(xof(3500));
    });

    it('the merchant key never reaches the log', async () => {
      const lines: string[] = [];
      const logger = pino({ level: 'trace' }, { write: (line: string) => void lines.push(line) });
      await ctx.adapterWith({ logger }).createPayment(input('order-log'), 'pay:order-log');
      expect(lines.length).toBeGreaterThanOrEqual(2);
      expect(lines.join('')).not.toContain(MERCHANT_KEY);
      expect(lines.join('')).not.toContain(CLIENT_SECRET);
      expect(lines.join('')).toContain('order-log');
    });

    it("an amount with a fraction of its currency's unit is refused before any call", async () => {
      await expect(
        ctx.adapter.createPayment(input('o-eur', { amountMinor: 1050, currency: 'EUR' }), 'k'),
      ).rejects.toThrow(/whole amounts/);
      expect(ctx.sandbox.tokensIssued).toHaveLength(0);
      await ctx.adapter.createPayment(input('o-eur2', { amountMinor: 1000, currency: 'EUR' }), 'k2');
      expect(ctx.sandbox.paymentFor('o-eur2')?.amount).toBe(10);
    });
  });

  describe('getPaymentStatus', () => {
    it('the table maps exactly the five Orange statuses', () => {
      expect(orangeMoneyStatusMap).toEqual({
        INITIATED: 'pending',
        PENDING: 'pending',
        SUCCESS: 'succeeded',
        FAILED: 'canceled',
        EXPIRED: 'canceled',
      });
    });

    it('asks with the order id, the whole amount and the pay_token', async () => {
      const { seen, adapter } = await ctx.record();
      const { providerPaymentId } = await adapter.createPayment(input('order-q', xof(12_345)), 'pay:order-q');
      await adapter.getPaymentStatus(providerPaymentId);
      const query = seen.at(-1)!;
      expect(query.path).toBe('/orange-money-webpay/dev/v1/transactionstatus');
      expect(JSON.parse(query.body)).toEqual({
        order_id: 'order-q',
        amount: 12_345,
        pay_token: tokenOf(providerPaymentId),
      });
    });
  });

  describe('notifications', () => {
    let provider: OrangeMoneyProvider;
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
      const receiver = await ctx.serve(app);
      provider = ctx.adapterWith({ notifUrl: `${receiver.url}/notif` });
    });

    it('a notification with the notif_token issued for the payment names it, without trusting its status', async () => {
      const { providerPaymentId } = await provider.createPayment(input('order-n1'), 'pay:order-n1');
      expect(await ctx.sandbox.setStatus(tokenOf(providerPaymentId), 'SUCCESS')).toBe(true);
      expect(outcomes).toEqual([{ status: 200, providerPaymentId }]);
      expect(await provider.getPaymentStatus(providerPaymentId)).toMatchObject({ status: 'succeeded' });
    });

    it('a forged notif_token -> 401 (and Orange-style retries keep failing)', async () => {
      const { providerPaymentId } = await provider.createPayment(input('order-n2'), 'pay:order-n2');
      const payToken = tokenOf(providerPaymentId);
      ctx.sandbox.payment(payToken).status = 'SUCCESS';
      expect(await ctx.sandbox.notify(payToken, { notif_token: 'f'.repeat(32) })).toBe(false);
      expect(outcomes.every((o) => o.status === 401)).toBe(true);
      expect(outcomes.length).toBeGreaterThan(1);
    });

    it('the notif_token of another payment names that other payment, never this one', async () => {
      const a = await provider.createPayment(input('order-a'), 'pay:order-a');
      const b = await provider.createPayment(input('order-b'), 'pay:order-b');
      const bToken = ctx.sandbox.payment(decodePaymentRef(b.providerPaymentId).payToken).notifToken;
      await ctx.sandbox.notify(decodePaymentRef(a.providerPaymentId).payToken, { notif_token: bToken });
      expect(outcomes).toEqual([{ status: 200, providerPaymentId: b.providerPaymentId }]);
    });

    it('a process that did not issue the token (a restart) refuses with 401; a remembered one expires with the TTL', async () => {
      const { providerPaymentId } = await provider.createPayment(input('order-n3'), 'pay:order-n3');
      const payToken = tokenOf(providerPaymentId);
      const raw = JSON.stringify({
        status: 'SUCCESS',
        notif_token: ctx.sandbox.payment(payToken).notifToken,
        txnid: 'MP1',
      });
      const restarted = ctx.adapterWith();
      await expect(restarted.verifyWebhook({}, raw)).rejects.toBeInstanceOf(WebhookVerificationError);
      await expect(provider.verifyWebhook({}, raw)).resolves.toBeUndefined();
      ctx.clock.advance(86_400 + 1);
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
