import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WAVE_REPLAY_WINDOW_S } from '@paystate/server/testing';
import { WaveSandbox, type LoopbackServer } from '@paystate/sandbox';
import { startStack, waitFor, type ErrorBody, type Stack } from '../support/harness.js';
import { testBackend } from '../support/temp-db.js';

const WAVE_API_KEY = 'wave_sn_prod_e2e_key';
const WAVE_WEBHOOK_SECRET = 'wave_sn_WHS_e2e_secret';
const T = 10_000;

describe(`Wave end to end: signed webhooks through the real server on ${testBackend}`, () => {
  let stack: Stack;
  let wave: WaveSandbox;
  let waveServer: LoopbackServer;

  beforeEach(async () => {
    wave = new WaveSandbox({ apiKey: WAVE_API_KEY, webhookSecret: WAVE_WEBHOOK_SECRET });
    waveServer = await wave.start();
    stack = await startStack({
      env: { WAVE_API_URL: waveServer.url, WAVE_API_KEY, WAVE_WEBHOOK_SECRET },
    });
    wave.webhookUrl = `${stack.server.url}/v1/webhooks/wave`;
    await stack.createDevice('dev-dakar');
  });
  afterEach(async () => {
    await Promise.race([wave.settled(), new Promise((resolve) => setTimeout(resolve, 2000))]);
    await stack?.stop();
    await waveServer?.close();
  });

  /** An order for 1500 XOF paid with Wave, up to the pending payment. */
  async function pendingWaveOrder() {
    const created = await stack.request<{ order_id: string }>('POST', '/v1/orders', {
      body: {
        device_id: 'dev-dakar',
        product_id: 'thiebou',
        product_name: 'Thieboudienne',
        size: 'L',
        price: 1500,
        currency: 'XOF',
        provider: 'wave',
      },
    });
    expect(created.status).toBe(201);
    const orderId = created.body.order_id;
    const paid = await stack.request<{ confirmation_url: string }>('POST', `/v1/orders/${orderId}/pay`);
    expect(paid.status).toBe(200);
    const session = wave.sessionFor(orderId);
    expect(session).toMatchObject({ amount: { amountMinor: 1500, currency: 'XOF' }, checkoutStatus: 'open' });
    expect(paid.body.confirmation_url).toBe(`${waveServer.url}/c/${session!.id}`);
    expect(session!.successUrl).toBe(`${stack.server.url}/orders/${orderId}/return`);
    expect((await stack.status(orderId)).status).toBe('pending');
    return { orderId, sessionId: session!.id };
  }

  it(
    'a signed checkout.session.completed pays the order; the same event replayed with a stale signature answers 401 and changes nothing',
    async () => {
      const { orderId, sessionId } = await pendingWaveOrder();

      // The customer pays in the Wave app; Wave signs and sends the event.
      await wave.complete(sessionId, false);
      const event = wave.event('checkout.session.completed', sessionId);
      expect(await wave.notify(event, undefined, { attempts: 1 })).toBe(true);
      expect(wave.deliveries.at(-1)?.status).toBe(200);
      await stack.waitForStatus(orderId, 'successful', T);
      expect(stack.tmetr.made.get(orderId)).toMatchObject({ price_minor: 1500, currency: 'XOF' });

      const before = await stack.detail(orderId);
      const observed = before.events.filter((e) => e.event === 'PAYMENT_OBSERVED');
      expect(observed).toHaveLength(1);
      expect(observed[0]).toMatchObject({ source: 'webhook', applied: true, to: 'paid' });

      // A captured delivery replayed later: the very same event, signed with an old timestamp.
      const stale = Math.floor(Date.now() / 1000) - WAVE_REPLAY_WINDOW_S - 60;
      const raw = JSON.stringify(event);
      const replay = await stack.request<ErrorBody>('POST', '/v1/webhooks/wave', {
        raw,
        headers: { 'wave-signature': wave.signatureHeader(raw, { timestamp: stale }) },
      });
      expect(replay.status).toBe(401);
      expect(replay.body.error.code).toBe('webhook_unverified');

      const after = await stack.detail(orderId);
      expect(after.status).toBe('successful');
      expect(after.version).toBe(before.version);
      expect(after.events).toEqual(before.events);
      expect(stack.tmetr.received).toHaveLength(1);

      // Delivered again with a fresh signature (Wave retrying), it is a duplicate: still nothing changes.
      const again = await stack.request<{ outcome: string }>('POST', '/v1/webhooks/wave', {
        raw,
        headers: { 'wave-signature': wave.signatureHeader(raw) },
      });
      expect(again.status).toBe(200);
      expect(again.body.outcome).toBe('duplicate');
      expect((await stack.detail(orderId)).version).toBe(before.version);
    },
    T * 2,
  );

  it(
    'on a pending order, stale, future, forged, unsigned and tampered deliveries are refused with 401 and the order stays pending',
    async () => {
      const { orderId, sessionId } = await pendingWaveOrder();
      await wave.complete(sessionId, false);
      const event = wave.event('checkout.session.completed', sessionId);
      const raw = JSON.stringify(event);
      const now = Math.floor(Date.now() / 1000);
      const before = await stack.detail(orderId);

      const attempts: [string, Record<string, string>, string][] = [
        ['stale', { 'wave-signature': wave.signatureHeader(raw, { timestamp: now - WAVE_REPLAY_WINDOW_S - 1 }) }, raw],
        ['future', { 'wave-signature': wave.signatureHeader(raw, { timestamp: now + 600 }) }, raw],
        ['forged', { 'wave-signature': wave.signatureHeader(raw, { secret: 'guessed-secret' }) }, raw],
        ['unsigned', {}, raw],
        ['tampered', { 'wave-signature': wave.signatureHeader(raw) }, raw.replace('"amount":"1500"', '"amount":"15"')],
      ];
      for (const [label, headers, body] of attempts) {
        const reply = await stack.request<ErrorBody>('POST', '/v1/webhooks/wave', { raw: body, headers });
        expect({ label, status: reply.status, code: reply.body.error.code }).toEqual({
          label,
          status: 401,
          code: 'webhook_unverified',
        });
      }
      const after = await stack.detail(orderId);
      expect(after.status).toBe('pending');
      expect(after.version).toBe(before.version);
      expect(stack.tmetr.received).toHaveLength(0);

      // The genuine delivery still goes through afterwards.
      expect(await wave.notify(event, undefined, { attempts: 1 })).toBe(true);
      await stack.waitForStatus(orderId, 'successful', T);
      await waitFor(() => stack.tmetr.received.length === 1, T, 'one make command');
    },
    T * 2,
  );

  it(
    'a failed attempt (payment_failed) keeps the order pending; after payment the API read reports the session succeeded',
    async () => {
      const { orderId, sessionId } = await pendingWaveOrder();
      expect(await wave.fail(sessionId)).toBe(true);
      expect(wave.deliveries.at(-1)?.status).toBe(200);
      expect((await stack.status(orderId)).status).toBe('pending');
      await wave.complete(sessionId, false);
      const report = await stack.runtime.providers.environment.get('wave')!.getPaymentStatus(sessionId);
      expect(report).toMatchObject({ status: 'succeeded', amount: { amountMinor: 1500, currency: 'XOF' } });
    },
    T * 2,
  );
});
