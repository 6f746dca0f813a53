import { Hono } from 'hono';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock, type CreatePaymentInput, type Money } from '@paystate/core';
import { OutboundHttpError, WaveProvider, WebhookParseError, WebhookVerificationError } from '@paystate/server';
import { signWave, WAVE_FUTURE_SKEW_S, WAVE_REPLAY_WINDOW_S, waveStatusMap } from '@paystate/server/testing';
import {
  startOnLoopback,
  WaveSandbox,
  type LoopbackServer,
  type WaveSandboxCheckoutStatus,
  type WaveSandboxPaymentStatus,
} from '@paystate/sandbox';
import { failureOf, providerContract, silent, type AdapterOptions } from '../../support/provider-contract.js';

const API_KEY = 'wave_sn_prod_test_key';
const WEBHOOK_SECRET = 'wave_sn_WHS_test_secret';
const xof = (amountMinor: number): Money => ({ amountMinor, currency: 'XOF' });

function input(orderId: string, amount: Money = xof(1500)): CreatePaymentInput {
  return {
    orderId,
    amount,
    description: `Thieboudienne for ${orderId}`,
    returnUrl: `https://pay.example/orders/${orderId}/return`,
  };
}

const wave = (options: AdapterOptions<typeof WaveProvider>) =>
  new WaveProvider({ apiKey: API_KEY, webhookSecret: WEBHOOK_SECRET, ...options });

/** Wave's status is the pair checkout_status/payment_status. */
const setPair = (sandbox: WaveSandbox, id: string, pair: string) => {
  const [checkout, payment] = pair.split('/') as [WaveSandboxCheckoutStatus, WaveSandboxPaymentStatus];
  sandbox.setStatus(id, checkout, payment);
};

describe('WaveProvider against WaveSandbox on loopback', () => {
  const ctx = providerContract({
    name: 'Wave',
    sandbox: () => new WaveSandbox({ apiKey: API_KEY, webhookSecret: WEBHOOK_SECRET }),
    adapterFor: wave,
    wrongCredentials: [{ label: 'a wrong API key', overrides: { apiKey: 'wrong' }, status: 401 }],
    payments: {
      input,
      amount: xof(1500),
      idempotentOn: 'idempotency key',
      declares: {
        code: 'wave',
        canQueryStatus: true,
        refundGuarantees: { readBack: false, idempotencyKey: true },
      },
      statuses: {
        table: Object.entries(waveStatusMap),
        set: setPair,
        raw: (pair, id) => {
          const [checkout, payment] = pair.split('/');
          return { id, checkout_status: checkout, payment_status: payment, amount: '1500', currency: 'XOF' };
        },
        undocumented: [
          'complete/processing',
          'complete/cancelled',
          'expired/succeeded',
          'open/succeeded',
          'archived/processing',
          'open/refunded',
        ],
        force: setPair,
      },
      unknownPayment: { id: () => 'cos-nothing', status: 404 },
      amounts: {
        // XOF has no minor units: the same digits travel.
        cases: [1, 5, 1500, 100_000, 999_999_999].map((n) => [xof(n), String(n)] as const),
        wire: (raw) => (raw as { amount: string }).amount,
        stored: (sandbox, id) => sandbox.session(id).amount,
      },
      refunds: {
        supported: true,
        partial: false,
        pay: (sandbox, id) => sandbox.complete(id, false),
        refusal: OutboundHttpError,
        refusalStatus: 400,
        unpaid: [
          {
            label: 'a session never paid',
            refusal: OutboundHttpError,
            status: 400,
            after: (sandbox) => expect(sandbox.refunds).toEqual([]),
          },
        ],
        shows: (sandbox, id, refundedMinor) => {
          expect(sandbox.refunds).toEqual(refundedMinor ? [id] : []);
          expect(sandbox.session(id).refunded).toBe(refundedMinor > 0);
        },
      },
    },
  });

  it('creates a checkout session with the amount in XOF, both URLs and the order id as client_reference', async () => {
    const created = await ctx.adapter.createPayment(input('order-1'), 'pay:order-1');
    expect(ctx.sandbox.sessions.size).toBe(1);
    expect(ctx.sandbox.session(created.providerPaymentId)).toMatchObject({
      amount: xof(1500),
      checkoutStatus: 'open',
      paymentStatus: 'processing',
      clientReference: 'order-1',
      successUrl: 'https://pay.example/orders/order-1/return',
      errorUrl: 'https://pay.example/orders/order-1/return',
    });
    expect(created.providerPaymentId).toMatch(/^cos-/);
    expect(created.confirmationUrl).toBe(`${ctx.server.url}/c/${created.providerPaymentId}`);
  });

  it('sends the bearer API key, the Idempotency-Key header and a JSON body with the amount as a string', async () => {
    const { seen, adapter } = await ctx.record();
    await adapter.createPayment(input('order-h', xof(2500)), 'pay:order-h');
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

  it('the table maps exactly the five pairs Wave produces', () => {
    expect(waveStatusMap).toEqual({
      'open/processing': 'pending',
      'open/cancelled': 'pending',
      'complete/succeeded': 'succeeded',
      'expired/processing': 'canceled',
      'expired/cancelled': 'canceled',
    });
  });
});

describe('WaveProvider webhooks', () => {
  const clock = new ManualClock('2026-11-23T12:00:00Z');
  const offline = { apiUrl: 'http://127.0.0.1:9', timeoutMs: 200, logger: silent };
  const provider = wave({ ...offline, clock });
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
    const live = wave(offline);

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
      const realProvider = wave({ apiUrl: sandboxServer.url, timeoutMs: 500, logger: silent });
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
