import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import type { Money } from '@paystate/core';
import { MomoPayerRequiredError, MtnMomoProvider, type MtnMomoPaymentInput } from '@paystate/server';
import { momoReferenceId, mtnMomoStatusMap, uuidV5 } from '@paystate/server/testing';
import { MtnMomoSandbox, type MomoSandboxStatus } from '@paystate/sandbox';
import { providerContract, type AdapterOptions } from '../../support/provider-contract.js';

const SUBSCRIPTION_KEY = 'momo-subscription-key-0123456789';
const API_USER = '9f0d3a57-4b6e-4f0e-8c59-2b8d7f1e6a10';
const API_KEY = 'momo-api-key-abcdef';
const CALLBACK_URL = 'http://127.0.0.1:9/v1/webhooks/mtn_momo';
const xof = (amountMinor: number): Money => ({ amountMinor, currency: 'XOF' });

function input(orderId: string, amount: Money = xof(2000)): MtnMomoPaymentInput {
  return {
    orderId,
    amount,
    description: `Attiéké for ${orderId}`,
    returnUrl: `https://pay.example/orders/${orderId}/return`,
    payerMsisdn: '22507000000',
  };
}

describe('MoMo reference ids (UUID v5)', () => {
  it('uuidV5 matches the RFC test vector (DNS namespace, www.example.com)', () => {
    expect(uuidV5('www.example.com', '6ba7b810-9dad-11d1-80b4-00c04fd430c8')).toBe(
      '2ed6657d-e927-568b-95e1-2665a8aea6a2',
    );
  });

  it('the reference for an idempotency key is fixed, version 5, and differs between keys', () => {
    // python3 -c "import uuid; print(uuid.uuid5(uuid.UUID('3f1c6a52-8d0e-4b7a-9c2d-5e4f1a0b7c63'), 'pay:order-1'))"
    expect(momoReferenceId('pay:order-1')).toBe('8e4b13f1-c949-5d54-ada3-734bc3a2b5b8');
    expect(momoReferenceId('pay:order-1')).toBe(momoReferenceId('pay:order-1'));
    expect(momoReferenceId('pay:order-2')).not.toBe(momoReferenceId('pay:order-1'));
    expect(momoReferenceId('pay:order-1')).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
  });
});

describe('MtnMomoProvider against MtnMomoSandbox on loopback', () => {
  const ctx = providerContract({
    name: 'MTN MoMo',
    sandbox: () => new MtnMomoSandbox({ subscriptionKey: SUBSCRIPTION_KEY, apiUser: API_USER, apiKey: API_KEY }),
    adapterFor: (options: AdapterOptions<typeof MtnMomoProvider>) =>
      new MtnMomoProvider({
        subscriptionKey: SUBSCRIPTION_KEY,
        apiUser: API_USER,
        apiKey: API_KEY,
        targetEnvironment: 'sandbox',
        callbackUrl: CALLBACK_URL,
        ...options,
      }),
    wrongCredentials: [
      { label: 'a wrong API key (refused at the token endpoint)', overrides: { apiKey: 'wrong' }, status: 401 },
      { label: 'a wrong subscription key', overrides: { subscriptionKey: 'nope' }, status: 401 },
      { label: 'a wrong target environment', overrides: { targetEnvironment: 'mtnivorycoast' }, status: 400 },
    ],
    payments: {
      input,
      amount: xof(2000),
      // The X-Reference-Id is a UUID v5 of the key: a retry is the same request.
      idempotentOn: 'idempotency key',
      declares: {
        code: 'mtn_momo',
        canQueryStatus: true,
        refundGuarantees: { readBack: false, idempotencyKey: false },
      },
      statuses: {
        table: Object.entries(mtnMomoStatusMap),
        set: (sandbox, id, status) => sandbox.setStatus(id, status as MomoSandboxStatus, false),
        raw: (status, id) => ({ status, amount: '2000', currency: 'XOF', externalId: id }),
        undocumented: ['REJECTED', 'TIMEOUT', 'ONGOING', 'successful'],
        force: (sandbox, id, status) => void ((sandbox.request(id) as { status: string }).status = status),
      },
      unknownPayment: { id: () => momoReferenceId('never-created'), status: 404 },
      amounts: {
        cases: [
          ...[1, 100, 2000, 1_000_000].map((n) => [xof(n), String(n)] as const),
          // EUR (the MoMo sandbox currency) keeps its cents.
          [{ amountMinor: 1050, currency: 'EUR' }, '10.50'],
        ],
        wire: (raw) => (raw as { amount: string }).amount,
        stored: (sandbox, id) => sandbox.request(id).amount,
      },
      // MoMo refunds are disbursements: manual.
      refunds: { supported: false, message: /Disbursement/ },
      accessToken: {
        tokensIssued: (sandbox) => sandbox.tokensIssued,
        revoke: (sandbox) => sandbox.revokeTokens(),
        ttlS: 3600,
      },
      malformedWebhooks: [
        ['XML', '<xml/>'],
        ['without a reference', JSON.stringify({ status: 'SUCCESSFUL', amount: '100' })],
        ['an externalId that is not a UUID', JSON.stringify({ externalId: 'order-1', status: 'SUCCESSFUL' })],
      ],
    },
  });

  describe('createPayment', () => {
    it("sends a request-to-pay whose X-Reference-Id is the payment id; the confirmation URL is the order's own page", async () => {
      const created = await ctx.adapter.createPayment(input('order-1'), 'pay:order-1');
      expect(created).toEqual({
        providerPaymentId: momoReferenceId('pay:order-1'),
        confirmationUrl: 'https://pay.example/orders/order-1/return',
      });
      expect(ctx.sandbox.request(created.providerPaymentId)).toMatchObject({
        status: 'PENDING',
        amount: xof(2000),
        externalId: created.providerPaymentId,
        payer: { partyIdType: 'MSISDN', partyId: '22507000000' },
        payerMessage: 'Attiéké for order-1',
        payeeNote: 'order order-1',
        callbackUrl: CALLBACK_URL,
      });
    });

    it('sends Basic auth and the subscription key for the token, then bearer, environment and callback headers', async () => {
      const { seen, adapter } = await ctx.record();
      const { providerPaymentId } = await adapter.createPayment(input('order-h', xof(750)), 'pay:order-h');
      expect(seen.map((s) => s.path)).toEqual(['/collection/token/', '/collection/v1_0/requesttopay']);
      const [token, create] = seen as [(typeof seen)[0], (typeof seen)[0]];
      expect(token.headers.get('authorization')).toBe(
        `Basic ${Buffer.from(`${API_USER}:${API_KEY}`).toString('base64')}`,
      );
      expect(token.headers.get('ocp-apim-subscription-key')).toBe(SUBSCRIPTION_KEY);
      expect(create.headers.get('authorization')).toBe(`Bearer ${ctx.sandbox.tokensIssued[0]}`);
      expect(create.headers.get('ocp-apim-subscription-key')).toBe(SUBSCRIPTION_KEY);
      expect(create.headers.get('x-target-environment')).toBe('sandbox');
      expect(create.headers.get('x-reference-id')).toBe(providerPaymentId);
      expect(create.headers.get('x-callback-url')).toBe(CALLBACK_URL);
      expect(JSON.parse(create.body)).toMatchObject({ amount: '750', currency: 'XOF', externalId: providerPaymentId });
    });

    it('no X-Callback-Url header when no callback URL is configured', async () => {
      const { providerPaymentId } = await ctx
        .adapterWith({ callbackUrl: undefined })
        .createPayment(input('order-nc'), 'pay:order-nc');
      expect(ctx.sandbox.request(providerPaymentId).callbackUrl).toBeNull();
    });

    it("a retried create is the same request: same reference, MoMo's 409 means done, one request-to-pay exists", async () => {
      const first = await ctx.adapter.createPayment(input('order-2'), 'pay:order-2');
      expect(await ctx.adapter.createPayment(input('order-2'), 'pay:order-2')).toEqual(first);
      expect(ctx.sandbox.requestToPayCalls).toEqual([first.providerPaymentId, first.providerPaymentId]);
      expect(ctx.sandbox.requests.size).toBe(1);
    });

    it("without the payer's phone number -> MomoPayerRequiredError, and nothing is sent", async () => {
      const { payerMsisdn: _omit, ...withoutPayer } = input('order-np');
      await expect(ctx.adapter.createPayment(withoutPayer, 'pay:order-np')).rejects.toBeInstanceOf(
        MomoPayerRequiredError,
      );
      expect(ctx.sandbox.tokensIssued).toHaveLength(0);
      expect(ctx.sandbox.requestToPayCalls).toHaveLength(0);
    });
  });

  it('the status table maps exactly PENDING, SUCCESSFUL and FAILED', () => {
    expect(mtnMomoStatusMap).toEqual({ PENDING: 'pending', SUCCESSFUL: 'succeeded', FAILED: 'canceled' });
  });

  describe('callbacks', () => {
    it("the sandbox's unsigned callback names the payment through externalId; no status is trusted", async () => {
      const bodies: string[] = [];
      const app = new Hono();
      app.post('/cb', async (c) => {
        bodies.push(await c.req.text());
        return c.json({ ok: true });
      });
      const receiver = await ctx.serve(app);
      const { providerPaymentId } = await ctx
        .adapterWith({ callbackUrl: `${receiver.url}/cb` })
        .createPayment(input('order-cb'), 'pay:order-cb');
      expect(await ctx.sandbox.setStatus(providerPaymentId, 'SUCCESSFUL')).toBe(true);
      expect(bodies).toHaveLength(1);
      await expect(ctx.adapter.verifyWebhook({}, bodies[0]!)).resolves.toBeUndefined();
      expect(ctx.adapter.parseWebhook(bodies[0]!)).toEqual({
        eventId: null,
        providerPaymentId,
        status: null,
        amount: null,
        raw: JSON.parse(bodies[0]!),
      });
    });

    it('a referenceId field, when present, names the payment too', () => {
      const reference = momoReferenceId('pay:x');
      expect(
        ctx.adapter.parseWebhook(JSON.stringify({ referenceId: reference.toUpperCase(), status: 'SUCCESSFUL' }))
          .providerPaymentId,
      ).toBe(reference);
    });
  });
});
