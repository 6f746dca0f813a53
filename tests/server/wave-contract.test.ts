import { Hono } from 'hono';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock, type CreatePaymentInput, type Money } from '@paystate/core';
import {
  OutboundHttpError,
  OutboundNetworkError,
  OutboundTimeoutError,
  RefundNotSupportedError,
  signWave,
  UnknownProviderStatusError,
  WAVE_FUTURE_SKEW_S,
  WAVE_REPLAY_WINDOW_S,
  WaveProvider,
  waveStatusMap,
  WebhookParseError,
  WebhookVerificationError,
} from '@paystate/server';
import {
  startOnLoopback,
  WaveSandbox,
  type LoopbackServer,
  type WaveSandboxCheckoutStatus,
  type WaveSandboxPaymentStatus,
} from '@paystate/sandbox';

const API_KEY = 'wave_sn_prod_test_key';
const WEBHOOK_SECRET = 'wave_sn_WHS_test_secret';
const silent = pino({ level: 'silent' });
const xof = (amountMinor: number): Money => ({ amountMinor, currency: 'XOF' });

function input(orderId: string, amount: Money = xof(1500)): CreatePaymentInput {
  return {
    orderId,
    amount,
    description: `Thieboudienne for ${orderId}`,
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

describe('WaveProvider against WaveSandbox on loopback', () => {
  let sandbox: WaveSandbox;
  let server: LoopbackServer;
  let provider: WaveProvider;
  const extraServers: LoopbackServer[] = [];

  const providerWith = (overrides: Partial<{ apiUrl: string; apiKey: string; timeoutMs: number }> = {}) =>
    new WaveProvider({
      apiUrl: server.url,
      apiKey: API_KEY,
      webhookSecret: WEBHOOK_SECRET,
      timeoutMs: 500,
      logger: silent,
      ...overrides,
    });

  beforeEach(async () => {
    sandbox = new WaveSandbox({ apiKey: API_KEY, webhookSecret: WEBHOOK_SECRET });
    server = await sandbox.start();
    provider = providerWith();
  });
  afterEach(async () => {
    await Promise.all(extraServers.splice(0).map((extra) => extra.close()));
    await server.close();
  });

  async function completedSession(orderId: string, amountMinor = 1500): Promise<string> {
    const { providerPaymentId } = await provider.createPayment(input(orderId, xof(amountMinor)), `pay:${orderId}`);
    await sandbox.complete(providerPaymentId, false);
    return providerPaymentId;
  }

  describe('createPayment', () => {
    it('creates a checkout session with the amount in XOF, both URLs and the order id as client_reference', async () => {
      const created = await provider.createPayment(input('order-1'), 'pay:order-1');
      expect(sandbox.sessions.size).toBe(1);
      expect(sandbox.session(created.providerPaymentId)).toMatchObject({
        amount: xof(1500),
        checkoutStatus: 'open',
        paymentStatus: 'processing',
        clientReference: 'order-1',
        successUrl: 'https://pay.example/orders/order-1/return',
        errorUrl: 'https://pay.example/orders/order-1/return',
      });
      expect(created.providerPaymentId).toMatch(/^cos-/);
      expect(created.confirmationUrl).toBe(`${server.url}/c/${created.providerPaymentId}`);
    });

    it('sends the bearer API key, the Idempotency-Key header and a JSON body with the amount as a string', async () => {
      const seen: { headers: Headers; body: string }[] = [];
      const front = new Hono();
      front.all('*', async (c) => {
        const body = await c.req.raw.clone().text();
        seen.push({ headers: new Headers(c.req.raw.headers), body });
        return sandbox.app.fetch(c.req.raw, c.env);
      });
      const recorder = await startOnLoopback(front);
      extraServers.push(recorder);

      await providerWith({ apiUrl: recorder.url }).createPayment(input('order-h', xof(2500)), 'pay:order-h');
      expect(seen).toHaveLength(1);
      const [request] = seen;
      expect(request!.headers.get('authorization')).toBe(`Bearer ${API_KEY}`);
      expect(request!.headers.get('idempotency-key')).toBe('pay:order-h');
      expect(request!.headers.get('content-type')).toBe('application/json');
      expect(JSON.parse(request!.body)).toEqual({
        amount: '2500',
        currency: 'XOF',
        success_url: 'https://pay.example/orders/order-h/return',
        error_url: 'https://pay.example/orders/order-h/return',
        client_reference: 'order-h',
      });
    });

    it('the same Idempotency-Key returns the same session and creates no second one', async () => {
      const first = await provider.createPayment(input('order-2'), 'pay:order-2');
      const again = await provider.createPayment(input('order-2'), 'pay:order-2');
      expect(again).toEqual(first);
      expect(sandbox.sessions.size).toBe(1);
      const other = await provider.createPayment(input('order-2'), 'another-key');
      expect(other.providerPaymentId).not.toBe(first.providerPaymentId);
      expect(sandbox.sessions.size).toBe(2);
    });

    it('a wrong API key -> OutboundHttpError 401, not transient, and nothing is created', async () => {
      const error = await failureOf(providerWith({ apiKey: 'wrong' }).createPayment(input('order-3'), 'pay:order-3'));
      expect(error).toBeInstanceOf(OutboundHttpError);
      expect((error as OutboundHttpError).status).toBe(401);
      expect((error as OutboundHttpError).isTransient).toBe(false);
      expect(sandbox.sessions.size).toBe(0);
    });

    it('an injected 503 -> transient OutboundHttpError; the retry with the same key creates one session', async () => {
      sandbox.faults.inject('create', { status: 503 });
      const error = await failureOf(provider.createPayment(input('order-4'), 'pay:order-4'));
      expect((error as OutboundHttpError).status).toBe(503);
      expect((error as OutboundHttpError).isTransient).toBe(true);
      expect(sandbox.sessions.size).toBe(0);
      await provider.createPayment(input('order-4'), 'pay:order-4');
      expect(sandbox.sessions.size).toBe(1);
    });

    it('an answer lost after the session was made (500 after effect): the retry finds the same session', async () => {
      sandbox.faults.inject('create', { status: 500, afterEffect: true });
      await expect(provider.createPayment(input('order-5'), 'pay:order-5')).rejects.toBeInstanceOf(OutboundHttpError);
      expect(sandbox.sessions.size).toBe(1);
      const retried = await provider.createPayment(input('order-5'), 'pay:order-5');
      expect(sandbox.sessions.size).toBe(1);
      expect(retried.providerPaymentId).toBe([...sandbox.sessions.keys()][0]);
    });

    it('an injected delay beyond the client timeout -> OutboundTimeoutError', async () => {
      sandbox.faults.inject('create', { delayMs: 2000 });
      const started = performance.now();
      await expect(
        providerWith({ timeoutMs: 200 }).createPayment(input('order-6'), 'pay:order-6'),
      ).rejects.toBeInstanceOf(OutboundTimeoutError);
      expect(performance.now() - started).toBeLessThan(800);
    });
  });

  describe('getPaymentStatus', () => {
    const pairs = Object.entries(waveStatusMap).map(([key, mapped]) => {
      const [checkout, payment] = key.split('/') as [WaveSandboxCheckoutStatus, WaveSandboxPaymentStatus];
      return [checkout, payment, mapped] as const;
    });

    it.each(pairs)('checkout_status %s with payment_status %s -> %s', async (checkout, payment, mapped) => {
      const { providerPaymentId } = await provider.createPayment(
        input(`order-${checkout}-${payment}`),
        `key-${checkout}-${payment}`,
      );
      sandbox.setStatus(providerPaymentId, checkout, payment);
      const report = await provider.getPaymentStatus(providerPaymentId);
      expect(report.status).toBe(mapped);
      expect(report.amount).toEqual(xof(1500));
      expect(report.raw).toMatchObject({
        id: providerPaymentId,
        checkout_status: checkout,
        payment_status: payment,
        amount: '1500',
        currency: 'XOF',
      });
    });

    it('the table maps exactly the five pairs Wave produces', () => {
      expect(waveStatusMap).toEqual({
        'open/processing': 'pending',
        'open/cancelled': 'pending',
        'complete/succeeded': 'succeeded',
        'expired/processing': 'canceled',
        'expired/cancelled': 'canceled',
      });
    });

    it.each([
      ['complete', 'processing'],
      ['complete', 'cancelled'],
      ['expired', 'succeeded'],
      ['open', 'succeeded'],
      ['archived', 'processing'],
      ['open', 'refunded'],
    ])('%s/%s -> UnknownProviderStatusError, never guessed', async (checkout, payment) => {
      const { providerPaymentId } = await provider.createPayment(input('order-odd'), `key-odd-${checkout}-${payment}`);
      sandbox.setStatus(providerPaymentId, checkout as WaveSandboxCheckoutStatus, payment as WaveSandboxPaymentStatus);
      await expect(provider.getPaymentStatus(providerPaymentId)).rejects.toBeInstanceOf(UnknownProviderStatusError);
    });

    it.each([1, 5, 1500, 100_000, 999_999_999])(
      '%i XOF travels as the same digits and comes back exact (XOF has no minor units)',
      async (amountMinor) => {
        const { providerPaymentId } = await provider.createPayment(
          input('order-amt', xof(amountMinor)),
          `key-amt-${amountMinor}`,
        );
        expect(sandbox.session(providerPaymentId).amount).toEqual(xof(amountMinor));
        const report = await provider.getPaymentStatus(providerPaymentId);
        expect((report.raw as { amount: string }).amount).toBe(String(amountMinor));
        expect(report.amount).toEqual(xof(amountMinor));
      },
    );

    it('an unknown session -> OutboundHttpError 404, not transient', async () => {
      const error = await failureOf(provider.getPaymentStatus('cos-nothing'));
      expect((error as OutboundHttpError).status).toBe(404);
      expect((error as OutboundHttpError).isTransient).toBe(false);
    });

    it('injected delay -> OutboundTimeoutError; the fault is consumed and the next call answers', async () => {
      const { providerPaymentId } = await provider.createPayment(input('order-slow'), 'key-slow');
      sandbox.faults.inject('get', { delayMs: 2000 });
      await expect(providerWith({ timeoutMs: 200 }).getPaymentStatus(providerPaymentId)).rejects.toBeInstanceOf(
        OutboundTimeoutError,
      );
      await expect(provider.getPaymentStatus(providerPaymentId)).resolves.toMatchObject({ status: 'pending' });
    });

    it('injected 502 twice -> transient errors, then an answer', async () => {
      const { providerPaymentId } = await provider.createPayment(input('order-502'), 'key-502');
      sandbox.faults.inject('get', { status: 502, times: 2 });
      for (let i = 0; i < 2; i += 1) {
        const error = await failureOf(provider.getPaymentStatus(providerPaymentId));
        expect((error as OutboundHttpError).status).toBe(502);
        expect((error as OutboundHttpError).isTransient).toBe(true);
      }
      await expect(provider.getPaymentStatus(providerPaymentId)).resolves.toMatchObject({ status: 'pending' });
    });

    it('injected connection reset -> OutboundNetworkError', async () => {
      const { providerPaymentId } = await provider.createPayment(input('order-reset'), 'key-reset');
      sandbox.faults.inject('get', { reset: true });
      await expect(provider.getPaymentStatus(providerPaymentId)).rejects.toBeInstanceOf(OutboundNetworkError);
    });
  });

  describe('refund', () => {
    it('refunds a completed session in full', async () => {
      const id = await completedSession('order-r1');
      await provider.refund(id, xof(1500), 'refund-r1');
      expect(sandbox.refunds).toEqual([id]);
      expect(sandbox.session(id).refunded).toBe(true);
    });

    it('a partial refund -> RefundNotSupportedError before any refund call', async () => {
      const id = await completedSession('order-r2');
      const error = await failureOf(provider.refund(id, xof(500), 'refund-r2'));
      expect(error).toBeInstanceOf(RefundNotSupportedError);
      expect((error as RefundNotSupportedError).provider).toBe('wave');
      expect(sandbox.refunds).toEqual([]);
    });

    it('replaying the idempotency key does not refund twice; another key on a refunded session -> 400', async () => {
      const id = await completedSession('order-r3');
      await provider.refund(id, xof(1500), 'refund-r3');
      await provider.refund(id, xof(1500), 'refund-r3');
      expect(sandbox.refunds).toEqual([id]);
      const error = await failureOf(provider.refund(id, xof(1500), 'refund-r3-other'));
      expect((error as OutboundHttpError).status).toBe(400);
      expect(sandbox.refunds).toEqual([id]);
    });

    it('a session that was never paid cannot be refunded -> 400', async () => {
      const { providerPaymentId } = await provider.createPayment(input('order-r4'), 'key-r4');
      const error = await failureOf(provider.refund(providerPaymentId, xof(1500), 'refund-r4'));
      expect((error as OutboundHttpError).status).toBe(400);
      expect(sandbox.refunds).toEqual([]);
    });

    it('an injected 500 on refund -> transient; the retry with the same key refunds once', async () => {
      const id = await completedSession('order-r5');
      sandbox.faults.inject('refund', { status: 500 });
      expect(((await failureOf(provider.refund(id, xof(1500), 'refund-r5'))) as OutboundHttpError).isTransient).toBe(
        true,
      );
      expect(sandbox.refunds).toEqual([]);
      await provider.refund(id, xof(1500), 'refund-r5');
      await provider.refund(id, xof(1500), 'refund-r5');
      expect(sandbox.refunds).toEqual([id]);
    });
  });
});

describe('WaveProvider webhooks', () => {
  const clock = new ManualClock('2026-11-23T12:00:00Z');
  const provider = new WaveProvider({
    apiUrl: 'http://127.0.0.1:9',
    apiKey: API_KEY,
    webhookSecret: WEBHOOK_SECRET,
    timeoutMs: 200,
    logger: silent,
    clock,
  });
  const nowS = () => Math.floor(clock.now().getTime() / 1000);
  const session = {
    id: 'cos-18qq25rgr100a',
    amount: '1500',
    checkout_status: 'complete',
    client_reference: 'order-w1',
    currency: 'XOF',
    payment_status: 'succeeded',
    transaction_id: 'TCN7HFK3KS',
    wave_launch_url: 'https://pay.wave.com/c/cos-18qq25rgr100a',
  };
  const body = JSON.stringify({ id: 'EV_QvEZuDSQbLdI', type: 'checkout.session.completed', data: session });
  const header = (rawBody: string, t: number, secret = WEBHOOK_SECRET, extra: string[] = []) =>
    [`t=${t}`, ...extra.map((v) => `v1=${v}`), `v1=${signWave(secret, t, rawBody)}`].join(',');

  beforeEach(() => clock.set('2026-11-23T12:00:00Z'));

  describe('verifyWebhook', () => {
    it('a signature over "<t><raw body>" with the webhook secret passes', async () => {
      await expect(provider.verifyWebhook({ 'wave-signature': header(body, nowS()) }, body)).resolves.toBeUndefined();
    });

    it('the v1 value is the hex HMAC-SHA256 of the timestamp immediately followed by the body', () => {
      // printf '%s' '1700000000{"a":1}' | openssl dgst -sha256 -hmac secret
      expect(signWave('secret', 1700000000, '{"a":1}')).toBe(
        'f3a15680551495e7d27302c4d19e4cbedc650f19fa5b40373c00cbea52a64406',
      );
    });

    it('the header name is matched in any case', async () => {
      await expect(provider.verifyWebhook({ 'Wave-Signature': header(body, nowS()) }, body)).resolves.toBeUndefined();
    });

    it('signed with another secret -> WebhookVerificationError', async () => {
      await expect(
        provider.verifyWebhook({ 'wave-signature': header(body, nowS(), 'not-the-secret') }, body),
      ).rejects.toBeInstanceOf(WebhookVerificationError);
    });

    it('a tampered body (amount changed after signing) -> WebhookVerificationError', async () => {
      const signed = header(body, nowS());
      const tampered = body.replace('"amount":"1500"', '"amount":"15"');
      expect(tampered).not.toBe(body);
      await expect(provider.verifyWebhook({ 'wave-signature': signed }, tampered)).rejects.toBeInstanceOf(
        WebhookVerificationError,
      );
    });

    it('re-serialised JSON (same data, other bytes) -> WebhookVerificationError: signatures are over bytes', async () => {
      const signed = header(body, nowS());
      await expect(
        provider.verifyWebhook({ 'wave-signature': signed }, JSON.stringify(JSON.parse(body), null, 1)),
      ).rejects.toBeInstanceOf(WebhookVerificationError);
    });

    it('a missing header -> WebhookVerificationError', async () => {
      await expect(provider.verifyWebhook({}, body)).rejects.toBeInstanceOf(WebhookVerificationError);
      await expect(provider.verifyWebhook({ 'wave-signature': '' }, body)).rejects.toBeInstanceOf(
        WebhookVerificationError,
      );
    });

    it(`older than the ${WAVE_REPLAY_WINDOW_S} s replay window -> WebhookVerificationError; just inside it passes`, async () => {
      const stale = nowS() - WAVE_REPLAY_WINDOW_S - 1;
      const error = await failureOf(provider.verifyWebhook({ 'wave-signature': header(body, stale) }, body));
      expect(error).toBeInstanceOf(WebhookVerificationError);
      expect((error as Error).message).toMatch(/replay window/);
      await expect(
        provider.verifyWebhook({ 'wave-signature': header(body, nowS() - WAVE_REPLAY_WINDOW_S + 1) }, body),
      ).resolves.toBeUndefined();
    });

    it('the same delivery accepted now is refused once the clock moves past the window', async () => {
      const signed = header(body, nowS());
      await expect(provider.verifyWebhook({ 'wave-signature': signed }, body)).resolves.toBeUndefined();
      clock.advance(WAVE_REPLAY_WINDOW_S + 1);
      await expect(provider.verifyWebhook({ 'wave-signature': signed }, body)).rejects.toBeInstanceOf(
        WebhookVerificationError,
      );
    });

    it(`dated more than ${WAVE_FUTURE_SKEW_S} s in the future -> WebhookVerificationError; a small skew passes`, async () => {
      const error = await failureOf(
        provider.verifyWebhook({ 'wave-signature': header(body, nowS() + WAVE_FUTURE_SKEW_S + 1) }, body),
      );
      expect(error).toBeInstanceOf(WebhookVerificationError);
      expect((error as Error).message).toMatch(/future/);
      await expect(
        provider.verifyWebhook({ 'wave-signature': header(body, nowS() + WAVE_FUTURE_SKEW_S - 1) }, body),
      ).resolves.toBeUndefined();
    });

    it('several v1 values: one matching is enough, whatever its position and whatever the others are', async () => {
      const t = nowS();
      const good = signWave(WEBHOOK_SECRET, t, body);
      const rotated = signWave('old-secret', t, body);
      for (const value of [
        `t=${t},v1=${rotated},v1=${good}`,
        `t=${t},v1=${good},v1=${rotated}`,
        `t=${t},v1=short,v1=${good}`,
        `v1=${'0'.repeat(64)},t=${t},v1=${good}`,
        `t=${t}, v1=${good.toUpperCase()}`,
      ]) {
        await expect(provider.verifyWebhook({ 'wave-signature': value }, body)).resolves.toBeUndefined();
      }
      await expect(
        provider.verifyWebhook({ 'wave-signature': `t=${t},v1=${rotated},v1=short,v1=${'f'.repeat(200)}` }, body),
      ).rejects.toBeInstanceOf(WebhookVerificationError);
    });

    it.each([
      ['no v1', (t: number) => `t=${t}`],
      ['no t', () => `v1=${signWave(WEBHOOK_SECRET, 0, body)}`],
      ['two t values', (t: number) => `t=${t},t=${t - 1},v1=${signWave(WEBHOOK_SECRET, t, body)}`],
      ['a non-numeric t', (t: number) => `t=${t}abc,v1=${signWave(WEBHOOK_SECRET, `${t}abc`, body)}`],
      ['a negative t', (t: number) => `t=-${t},v1=${signWave(WEBHOOK_SECRET, `-${t}`, body)}`],
      ['garbage', () => 'garbage'],
      [
        'a wrong-length signature (would throw in timingSafeEqual without the length check)',
        (t: number) => `t=${t},v1=abc`,
      ],
    ])('%s -> WebhookVerificationError', async (_label, make) => {
      await expect(provider.verifyWebhook({ 'wave-signature': make(nowS()) }, body)).rejects.toBeInstanceOf(
        WebhookVerificationError,
      );
    });
  });

  describe('parseWebhook', () => {
    it("checkout.session.completed: the signed session's status and amount are reported", () => {
      expect(provider.parseWebhook(body)).toEqual({
        eventId: 'EV_QvEZuDSQbLdI',
        providerPaymentId: 'cos-18qq25rgr100a',
        status: 'succeeded',
        amount: xof(1500),
        raw: JSON.parse(body),
      });
    });

    it('checkout.session.payment_failed: the session stays open, so the observation is pending', () => {
      const failed = JSON.stringify({
        id: 'EV_failed',
        type: 'checkout.session.payment_failed',
        data: {
          ...session,
          checkout_status: 'open',
          payment_status: 'cancelled',
          last_payment_error: { code: 'insufficient-funds', message: 'Solde insuffisant' },
        },
      });
      expect(provider.parseWebhook(failed)).toMatchObject({
        eventId: 'EV_failed',
        providerPaymentId: session.id,
        status: 'pending',
        amount: xof(1500),
      });
    });

    it.each([
      ['not JSON', 'not json'],
      ['no data', JSON.stringify({ id: 'EV_1', type: 'checkout.session.completed' })],
      ['another event type', JSON.stringify({ id: 'EV_2', type: 'merchant.payment_received', data: session })],
      [
        'an unknown status pair',
        JSON.stringify({
          id: 'EV_3',
          type: 'checkout.session.completed',
          data: { ...session, checkout_status: 'complete', payment_status: 'processing' },
        }),
      ],
      [
        'a fractional XOF amount',
        JSON.stringify({ id: 'EV_4', type: 'checkout.session.completed', data: { ...session, amount: '1500.5' } }),
      ],
    ])('%s -> WebhookParseError', (_label, raw) => {
      expect(() => provider.parseWebhook(raw)).toThrow(WebhookParseError);
    });
  });

  describe('the sandbox signs what it sends over loopback', () => {
    let sandbox: WaveSandbox;
    let receiver: LoopbackServer;
    let sandboxServer: LoopbackServer;
    const outcomes: number[] = [];
    const live = new WaveProvider({
      apiUrl: 'http://127.0.0.1:9',
      apiKey: API_KEY,
      webhookSecret: WEBHOOK_SECRET,
      timeoutMs: 200,
      logger: silent,
    });

    beforeEach(async () => {
      outcomes.length = 0;
      const app = new Hono();
      app.post('/hook', async (c) => {
        const raw = await c.req.text();
        try {
          await live.verifyWebhook(c.req.header(), raw);
          live.parseWebhook(raw);
          outcomes.push(200);
          return c.json({ ok: true });
        } catch (error) {
          const status = error instanceof WebhookVerificationError ? 401 : 400;
          outcomes.push(status);
          return c.json({ error: String(error) }, status);
        }
      });
      receiver = await startOnLoopback(app);
      sandbox = new WaveSandbox({ apiKey: API_KEY, webhookSecret: WEBHOOK_SECRET, webhookUrl: `${receiver.url}/hook` });
      sandboxServer = await sandbox.start();
    });
    afterEach(async () => {
      await Promise.all([receiver.close(), sandboxServer.close()]);
    });

    it('a genuine delivery is accepted; stale, future, forged and unsigned ones are refused with 401', async () => {
      const realProvider = new WaveProvider({
        apiUrl: sandboxServer.url,
        apiKey: API_KEY,
        webhookSecret: WEBHOOK_SECRET,
        timeoutMs: 500,
        logger: silent,
      });
      const { providerPaymentId } = await realProvider.createPayment(input('order-live'), 'pay:order-live');
      expect(await sandbox.complete(providerPaymentId)).toBe(true);
      expect(outcomes).toEqual([200]);

      const nowSeconds = Math.floor(Date.now() / 1000);
      const once = { attempts: 1 };
      expect(
        await sandbox.notify('checkout.session.completed', providerPaymentId, {
          ...once,
          timestamp: nowSeconds - WAVE_REPLAY_WINDOW_S - 5,
        }),
      ).toBe(false);
      expect(
        await sandbox.notify('checkout.session.completed', providerPaymentId, { ...once, timestamp: nowSeconds + 600 }),
      ).toBe(false);
      expect(await sandbox.notify('checkout.session.completed', providerPaymentId, { ...once, secret: 'forged' })).toBe(
        false,
      );
      expect(await sandbox.notify('checkout.session.completed', providerPaymentId, { ...once, header: null })).toBe(
        false,
      );
      expect(
        await sandbox.notify('checkout.session.completed', providerPaymentId, {
          ...once,
          extraSignatures: ['deadbeef'],
        }),
      ).toBe(true);
      expect(outcomes).toEqual([200, 401, 401, 401, 401, 200]);
    });
  });
});
