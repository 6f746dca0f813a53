import { Hono } from 'hono';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock, type Money } from '@paystate/core';
import {
  MomoPayerRequiredError,
  momoReferenceId,
  MtnMomoProvider,
  mtnMomoStatusMap,
  OutboundHttpError,
  OutboundNetworkError,
  OutboundTimeoutError,
  RefundNotSupportedError,
  UnknownProviderStatusError,
  uuidV5,
  WebhookParseError,
  type MtnMomoPaymentInput,
} from '@paystate/server';
import { MtnMomoSandbox, startOnLoopback, type LoopbackServer, type MomoSandboxStatus } from '@paystate/sandbox';

const SUBSCRIPTION_KEY = 'momo-subscription-key-0123456789';
const API_USER = '9f0d3a57-4b6e-4f0e-8c59-2b8d7f1e6a10';
const API_KEY = 'momo-api-key-abcdef';
const silent = pino({ level: 'silent' });
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

async function failureOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail, it succeeded');
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
  let sandbox: MtnMomoSandbox;
  let server: LoopbackServer;
  let clock: ManualClock;
  let provider: MtnMomoProvider;
  const extraServers: LoopbackServer[] = [];

  const providerWith = (overrides: Partial<ConstructorParameters<typeof MtnMomoProvider>[0]> = {}) =>
    new MtnMomoProvider({
      apiUrl: server.url,
      subscriptionKey: SUBSCRIPTION_KEY,
      apiUser: API_USER,
      apiKey: API_KEY,
      targetEnvironment: 'sandbox',
      callbackUrl: 'http://127.0.0.1:9/v1/webhooks/mtn_momo',
      timeoutMs: 500,
      logger: silent,
      clock,
      ...overrides,
    });

  beforeEach(async () => {
    sandbox = new MtnMomoSandbox({ subscriptionKey: SUBSCRIPTION_KEY, apiUser: API_USER, apiKey: API_KEY });
    server = await sandbox.start();
    clock = new ManualClock(Date.now());
    provider = providerWith();
  });
  afterEach(async () => {
    await Promise.all(extraServers.splice(0).map((extra) => extra.close()));
    await server.close();
  });

  describe('createPayment', () => {
    it("sends a request-to-pay whose X-Reference-Id is the payment id; the confirmation URL is the order's own page", async () => {
      const created = await provider.createPayment(input('order-1'), 'pay:order-1');
      expect(created).toEqual({
        providerPaymentId: momoReferenceId('pay:order-1'),
        confirmationUrl: 'https://pay.example/orders/order-1/return',
      });
      expect(sandbox.request(created.providerPaymentId)).toMatchObject({
        status: 'PENDING',
        amount: xof(2000),
        externalId: created.providerPaymentId,
        payer: { partyIdType: 'MSISDN', partyId: '22507000000' },
        payerMessage: 'Attiéké for order-1',
        payeeNote: 'order order-1',
        callbackUrl: 'http://127.0.0.1:9/v1/webhooks/mtn_momo',
      });
    });

    it('sends Basic auth and the subscription key for the token, then bearer, environment and callback headers', async () => {
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

      const { providerPaymentId } = await providerWith({ apiUrl: recorder.url }).createPayment(
        input('order-h', xof(750)),
        'pay:order-h',
      );
      expect(seen.map((s) => s.path)).toEqual(['/collection/token/', '/collection/v1_0/requesttopay']);
      const [token, create] = seen as [(typeof seen)[0], (typeof seen)[0]];
      expect(token.headers.get('authorization')).toBe(
        `Basic ${Buffer.from(`${API_USER}:${API_KEY}`).toString('base64')}`,
      );
      expect(token.headers.get('ocp-apim-subscription-key')).toBe(SUBSCRIPTION_KEY);
      expect(create.headers.get('authorization')).toBe(`Bearer ${sandbox.tokensIssued[0]}`);
      expect(create.headers.get('ocp-apim-subscription-key')).toBe(SUBSCRIPTION_KEY);
      expect(create.headers.get('x-target-environment')).toBe('sandbox');
      expect(create.headers.get('x-reference-id')).toBe(providerPaymentId);
      expect(create.headers.get('x-callback-url')).toBe('http://127.0.0.1:9/v1/webhooks/mtn_momo');
      expect(JSON.parse(create.body)).toMatchObject({ amount: '750', currency: 'XOF', externalId: providerPaymentId });
    });

    it('no X-Callback-Url header when no callback URL is configured', async () => {
      const { providerPaymentId } = await providerWith({ callbackUrl: undefined }).createPayment(
        input('order-nc'),
        'pay:order-nc',
      );
      expect(sandbox.request(providerPaymentId).callbackUrl).toBeNull();
    });

    it("a retried create is the same request: same reference, MoMo's 409 means done, one request-to-pay exists", async () => {
      const first = await provider.createPayment(input('order-2'), 'pay:order-2');
      const again = await provider.createPayment(input('order-2'), 'pay:order-2');
      expect(again).toEqual(first);
      expect(sandbox.requestToPayCalls).toEqual([first.providerPaymentId, first.providerPaymentId]);
      expect(sandbox.requests.size).toBe(1);
    });

    it('an answer lost after MoMo accepted (500 after effect): the retry hits 409 and reports the same payment', async () => {
      sandbox.faults.inject('create', { status: 500, afterEffect: true });
      const error = await failureOf(provider.createPayment(input('order-3'), 'pay:order-3'));
      expect((error as OutboundHttpError).isTransient).toBe(true);
      expect(sandbox.requests.size).toBe(1);
      const retried = await provider.createPayment(input('order-3'), 'pay:order-3');
      expect(retried.providerPaymentId).toBe(momoReferenceId('pay:order-3'));
      expect(sandbox.requests.size).toBe(1);
    });

    it('an injected timeout on create -> OutboundTimeoutError; nothing was created and the retry creates one', async () => {
      sandbox.faults.inject('create', { delayMs: 2000 });
      await expect(
        providerWith({ timeoutMs: 200 }).createPayment(input('order-4'), 'pay:order-4'),
      ).rejects.toBeInstanceOf(OutboundTimeoutError);
      expect(sandbox.requests.size).toBe(0);
      await provider.createPayment(input('order-4'), 'pay:order-4');
      expect(sandbox.requests.size).toBe(1);
    });

    it("without the payer's phone number -> MomoPayerRequiredError, and nothing is sent", async () => {
      const { payerMsisdn: _omit, ...withoutPayer } = input('order-np');
      await expect(provider.createPayment(withoutPayer, 'pay:order-np')).rejects.toBeInstanceOf(MomoPayerRequiredError);
      expect(sandbox.tokensIssued).toHaveLength(0);
      expect(sandbox.requestToPayCalls).toHaveLength(0);
    });

    it('wrong API key -> OutboundHttpError 401 from the token endpoint, nothing created', async () => {
      const error = await failureOf(providerWith({ apiKey: 'wrong' }).createPayment(input('order-5'), 'pay:order-5'));
      expect((error as OutboundHttpError).status).toBe(401);
      expect((error as OutboundHttpError).isTransient).toBe(false);
      expect(sandbox.requests.size).toBe(0);
    });

    it('wrong subscription key -> 401; wrong target environment -> 400', async () => {
      expect(
        (
          (await failureOf(
            providerWith({ subscriptionKey: 'nope' }).createPayment(input('o'), 'k'),
          )) as OutboundHttpError
        ).status,
      ).toBe(401);
      expect(
        (
          (await failureOf(
            providerWith({ targetEnvironment: 'mtnivorycoast' }).createPayment(input('o'), 'k'),
          )) as OutboundHttpError
        ).status,
      ).toBe(400);
      expect(sandbox.requests.size).toBe(0);
    });
  });

  describe('access token', () => {
    it('one token call serves several requests, concurrent ones included', async () => {
      const { providerPaymentId } = await provider.createPayment(input('order-t1'), 'pay:order-t1');
      await Promise.all([1, 2, 3].map(() => provider.getPaymentStatus(providerPaymentId)));
      await provider.createPayment(input('order-t2'), 'pay:order-t2');
      expect(sandbox.tokensIssued).toHaveLength(1);

      const fresh = providerWith();
      await Promise.all([1, 2, 3, 4].map(() => fresh.getPaymentStatus(providerPaymentId)));
      expect(sandbox.tokensIssued).toHaveLength(2);
    });

    it('is renewed shortly before it expires, judged by the injected clock', async () => {
      const { providerPaymentId } = await provider.createPayment(input('order-t3'), 'pay:order-t3');
      clock.advance(3600 - 61);
      await provider.getPaymentStatus(providerPaymentId);
      expect(sandbox.tokensIssued).toHaveLength(1);
      clock.advance(2);
      await provider.getPaymentStatus(providerPaymentId);
      expect(sandbox.tokensIssued).toHaveLength(2);
    });

    it('a token MoMo stopped honouring (401) is replaced once and the call succeeds', async () => {
      const { providerPaymentId } = await provider.createPayment(input('order-t4'), 'pay:order-t4');
      sandbox.revokeTokens();
      await expect(provider.getPaymentStatus(providerPaymentId)).resolves.toMatchObject({ status: 'pending' });
      expect(sandbox.tokensIssued).toHaveLength(2);
    });

    it('a failing token endpoint (503) -> transient error; the next call fetches a token again', async () => {
      sandbox.faults.inject('token', { status: 503 });
      expect(
        ((await failureOf(provider.createPayment(input('order-t5'), 'pay:order-t5'))) as OutboundHttpError).isTransient,
      ).toBe(true);
      await provider.createPayment(input('order-t5'), 'pay:order-t5');
      expect(sandbox.tokensIssued).toHaveLength(1);
      expect(sandbox.requests.size).toBe(1);
    });
  });

  describe('getPaymentStatus', () => {
    it.each(Object.entries(mtnMomoStatusMap))('MoMo %s -> %s', async (status, mapped) => {
      const { providerPaymentId } = await provider.createPayment(input(`order-${status}`), `pay:order-${status}`);
      await sandbox.setStatus(providerPaymentId, status as MomoSandboxStatus, false);
      const report = await provider.getPaymentStatus(providerPaymentId);
      expect(report.status).toBe(mapped);
      expect(report.amount).toEqual(xof(2000));
      expect(report.raw).toMatchObject({ status, amount: '2000', currency: 'XOF', externalId: providerPaymentId });
    });

    it('the table maps exactly PENDING, SUCCESSFUL and FAILED', () => {
      expect(mtnMomoStatusMap).toEqual({ PENDING: 'pending', SUCCESSFUL: 'succeeded', FAILED: 'canceled' });
    });

    it.each(['REJECTED', 'TIMEOUT', 'ONGOING', 'successful'])(
      'an unknown status %s -> UnknownProviderStatusError',
      async (status) => {
        const { providerPaymentId } = await provider.createPayment(input('order-odd'), `pay:odd-${status}`);
        (sandbox.request(providerPaymentId) as { status: string }).status = status;
        await expect(provider.getPaymentStatus(providerPaymentId)).rejects.toBeInstanceOf(UnknownProviderStatusError);
      },
    );

    it.each([1, 100, 2000, 1_000_000])(
      '%i XOF is sent as the same digits and reads back exact',
      async (amountMinor) => {
        const { providerPaymentId } = await provider.createPayment(
          input('order-amt', xof(amountMinor)),
          `pay:amt-${amountMinor}`,
        );
        expect(sandbox.request(providerPaymentId).amount).toEqual(xof(amountMinor));
        const report = await provider.getPaymentStatus(providerPaymentId);
        expect((report.raw as { amount: string }).amount).toBe(String(amountMinor));
        expect(report.amount).toEqual(xof(amountMinor));
      },
    );

    it('EUR (the MoMo sandbox currency) keeps its cents', async () => {
      const { providerPaymentId } = await provider.createPayment(
        input('order-eur', { amountMinor: 1050, currency: 'EUR' }),
        'pay:eur',
      );
      expect((await provider.getPaymentStatus(providerPaymentId)).amount).toEqual({
        amountMinor: 1050,
        currency: 'EUR',
      });
    });

    it('an unknown reference -> 404, not transient', async () => {
      const error = await failureOf(provider.getPaymentStatus(momoReferenceId('never-created')));
      expect((error as OutboundHttpError).status).toBe(404);
      expect((error as OutboundHttpError).isTransient).toBe(false);
    });

    it('faults: delay -> timeout, 500 -> transient, reset -> network error; then it answers', async () => {
      const { providerPaymentId } = await provider.createPayment(input('order-f'), 'pay:order-f');
      sandbox.faults.inject('get', { delayMs: 2000 });
      await expect(providerWith({ timeoutMs: 200 }).getPaymentStatus(providerPaymentId)).rejects.toBeInstanceOf(
        OutboundTimeoutError,
      );
      sandbox.faults.inject('get', { status: 500 });
      expect(((await failureOf(provider.getPaymentStatus(providerPaymentId))) as OutboundHttpError).isTransient).toBe(
        true,
      );
      sandbox.faults.inject('get', { reset: true });
      await expect(provider.getPaymentStatus(providerPaymentId)).rejects.toBeInstanceOf(OutboundNetworkError);
      await expect(provider.getPaymentStatus(providerPaymentId)).resolves.toMatchObject({ status: 'pending' });
    });
  });

  describe('refund', () => {
    it('-> RefundNotSupportedError (MoMo refunds are disbursements: manual), and nothing is called', async () => {
      const { providerPaymentId } = await provider.createPayment(input('order-r'), 'pay:order-r');
      const calls = sandbox.requestToPayCalls.length;
      const error = await failureOf(provider.refund(providerPaymentId, xof(2000), 'refund-r'));
      expect(error).toBeInstanceOf(RefundNotSupportedError);
      expect((error as RefundNotSupportedError).provider).toBe('mtn_momo');
      expect((error as Error).message).toMatch(/Disbursement/);
      expect(sandbox.requestToPayCalls).toHaveLength(calls);
    });
  });

  describe('callbacks', () => {
    it("the sandbox's unsigned callback names the payment through externalId; no status is trusted", async () => {
      const bodies: string[] = [];
      const app = new Hono();
      app.post('/cb', async (c) => {
        bodies.push(await c.req.text());
        return c.json({ ok: true });
      });
      const receiver = await startOnLoopback(app);
      extraServers.push(receiver);
      const { providerPaymentId } = await providerWith({ callbackUrl: `${receiver.url}/cb` }).createPayment(
        input('order-cb'),
        'pay:order-cb',
      );
      expect(await sandbox.setStatus(providerPaymentId, 'SUCCESSFUL')).toBe(true);
      expect(bodies).toHaveLength(1);
      await expect(provider.verifyWebhook({}, bodies[0]!)).resolves.toBeUndefined();
      expect(provider.parseWebhook(bodies[0]!)).toEqual({
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
        provider.parseWebhook(JSON.stringify({ referenceId: reference.toUpperCase(), status: 'SUCCESSFUL' }))
          .providerPaymentId,
      ).toBe(reference);
    });

    it.each([
      ['not JSON', '<xml/>'],
      ['no reference', JSON.stringify({ status: 'SUCCESSFUL', amount: '100' })],
      ['an externalId that is not a UUID', JSON.stringify({ externalId: 'order-1', status: 'SUCCESSFUL' })],
      ['an array', '[]'],
    ])('%s -> WebhookParseError', (_label, body) => {
      expect(() => provider.parseWebhook(body)).toThrow(WebhookParseError);
    });
  });
});
