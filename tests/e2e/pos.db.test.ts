import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DrawerView, PaymentView } from '@paystate/server';
import { WaveSandbox, type LoopbackServer } from '@paystate/sandbox';
import { ADMIN_TOKEN, startStack, type ErrorBody, type Reply, type Stack } from '../support/harness.js';
import { testBackend } from '../support/temp-db.js';

const WAVE_API_KEY = 'wave_sn_prod_pos_key';
const WAVE_WEBHOOK_SECRET = 'wave_sn_WHS_pos_secret';
const T = 15_000;

interface MethodBody {
  provider_code: string;
  display_name: string;
  active: boolean;
  sort_order: number;
  public_config: Record<string, string>;
  available: boolean;
}
interface RefundBody {
  refund_id: string;
  status: string;
  amount_minor: number;
  last_error: string | null;
  payment: PaymentView;
  drawer: DrawerView | null;
}
type PaymentDetail = PaymentView & { refunds: Array<{ refund_id: string; status: string; amount_minor: number }> };

function expectError(reply: Reply, status: number, code: string) {
  expect({ status: reply.status, body: reply.body }).toMatchObject({ status, body: { error: { code } } });
  expect(Object.keys(reply.body as object)).toEqual(['error']);
  expect(typeof (reply.body as ErrorBody).error.message).toBe('string');
}

describe(`restaurant POS over HTTP on ${testBackend}: methods, payments, refunds, cash drawer`, () => {
  let stack: Stack;
  let wave: WaveSandbox;
  let waveServer: LoopbackServer;

  beforeEach(async () => {
    wave = new WaveSandbox({ apiKey: WAVE_API_KEY, webhookSecret: WAVE_WEBHOOK_SECRET });
    waveServer = await wave.start();
    stack = await startStack({ env: { WAVE_API_URL: waveServer.url, WAVE_API_KEY, WAVE_WEBHOOK_SECRET } });
    stack.yookassa.webhookUrl = undefined;
  });
  afterEach(async () => {
    await stack?.stop();
    await waveServer?.close();
  });

  /** A request to /v1/merchants/<path> with the admin token. */
  const pos = <T = unknown>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
    stack.request<T>(method, `/v1/merchants/${path}`, {
      token: ADMIN_TOKEN,
      headers,
      ...(body === undefined ? {} : { body }),
    });

  async function ok<T>(reply: Promise<Reply<T>>, status: number): Promise<T> {
    const r = await reply;
    if (r.status !== status) throw new Error(`expected HTTP ${status}, got ${r.status}: ${r.text}`);
    return r.body;
  }

  async function seedMethods(merchant: string) {
    for (const [provider_code, display_name, sort_order] of [
      ['cash', 'Espèces', 0],
      ['wave', 'Wave', 1],
      ['yookassa', 'Carte', 3],
    ] as const) {
      await ok(pos('POST', `${merchant}/payment-methods`, { provider_code, display_name, sort_order }), 201);
    }
  }

  it(
    'payment methods: one per provider per merchant (a duplicate is 409), inactive and unconfigured ones not offered, merchant ordering',
    async () => {
      const created = await ok(
        pos<MethodBody>('POST', 'dakar-1/payment-methods', {
          provider_code: 'wave',
          display_name: 'Wave',
          sort_order: 2,
          public_config: { merchant_number: '+221770000000' },
        }),
        201,
      );
      expect(created).toMatchObject({
        provider_code: 'wave',
        active: true,
        sort_order: 2,
        available: true,
        public_config: { merchant_number: '+221770000000' },
      });
      expectError(
        await pos('POST', 'dakar-1/payment-methods', { provider_code: 'wave', display_name: 'Wave again' }),
        409,
        'method_exists',
      );
      // Another merchant has its own methods.
      await ok(pos('POST', 'dakar-2/payment-methods', { provider_code: 'wave', display_name: 'Wave' }), 201);
      await ok(
        pos('POST', 'dakar-1/payment-methods', { provider_code: 'cash', display_name: 'Espèces', sort_order: 1 }),
        201,
      );
      await ok(
        pos('POST', 'dakar-1/payment-methods', { provider_code: 'mtn_momo', display_name: 'MTN MoMo', sort_order: 0 }),
        201,
      );
      // Orange Money has no credentials on this server: listed, but not available and not offered.
      const orange = await ok(
        pos<MethodBody>('POST', 'dakar-1/payment-methods', {
          provider_code: 'orange_money',
          display_name: 'Orange Money',
          sort_order: -1,
        }),
        201,
      );
      expect(orange.available).toBe(false);

      await ok(pos('PATCH', 'dakar-1/payment-methods/mtn_momo', { active: false }), 200);
      const all = await ok(pos<{ methods: MethodBody[] }>('GET', 'dakar-1/payment-methods'), 200);
      expect(all.methods.map((m) => [m.provider_code, m.active, m.available])).toEqual([
        ['orange_money', true, false],
        ['mtn_momo', false, false],
        ['cash', true, true],
        ['wave', true, true],
      ]);
      const offered = await ok(pos<{ methods: MethodBody[] }>('GET', 'dakar-1/payment-methods?offered=true'), 200);
      expect(offered.methods.map((m) => m.provider_code)).toEqual(['cash', 'wave']);

      // Reordering changes the offer.
      await ok(pos('PATCH', 'dakar-1/payment-methods/wave', { sort_order: 0, display_name: 'Wave Mobile Money' }), 200);
      const reordered = await ok(pos<{ methods: MethodBody[] }>('GET', 'dakar-1/payment-methods?offered=true'), 200);
      expect(reordered.methods.map((m) => [m.provider_code, m.display_name])).toEqual([
        ['wave', 'Wave Mobile Money'],
        ['cash', 'Espèces'],
      ]);

      expectError(
        await pos('POST', 'dakar-1/payment-methods', { provider_code: 'Not A Code', display_name: 'x' }),
        400,
        'validation_failed',
      );
      expectError(
        await pos('POST', 'dakar-1/payment-methods', { provider_code: 'sumup', display_name: 'x', secret: 'y' }),
        400,
        'validation_failed',
      );
      expectError(await pos('PATCH', 'dakar-1/payment-methods/wave', {}), 400, 'validation_failed');
      expectError(await pos('PATCH', 'dakar-1/payment-methods/tbank', { active: true }), 404, 'method_not_found');
      expectError(await pos('GET', '..%2Fx/payment-methods'), 400, 'invalid_id');
      expect((await pos('DELETE', 'dakar-1/payment-methods/orange_money')).status).toBe(204);
      expectError(await pos('DELETE', 'dakar-1/payment-methods/orange_money'), 404, 'method_not_found');

      // The POS API is an admin API.
      const anonymous = await stack.request('GET', '/v1/merchants/dakar-1/payment-methods');
      expectError(anonymous, 401, 'unauthorized');
      expectError(
        await stack.request('POST', '/v1/merchants/dakar-1/payment-methods', {
          body: { provider_code: 'tbank', display_name: 'x' },
          token: 'wrong-token-000000',
        }),
        401,
        'unauthorized',
      );
    },
    T,
  );

  it(
    'cash: a payment confirmed into the drawer, partial refunds up to what was captured, one beyond refused with nothing written; expected and variance at close',
    async () => {
      await seedMethods('dakar-1');
      expectError(await pos('GET', 'dakar-1/drawer'), 404, 'drawer_not_open');
      const pending = await ok(
        pos<PaymentView>('POST', 'dakar-1/payments', {
          method: 'cash',
          amount_minor: 2_500,
          currency: 'XOF',
          description: 'Thieboudienne',
        }),
        201,
      );
      expect(pending).toMatchObject({
        method: 'cash',
        status: 'pending',
        amount_minor: 2_500,
        currency: 'XOF',
        refundable_minor: 0,
        confirmation_url: null,
      });
      // No till open: the cashier cannot take the cash.
      expectError(await pos('POST', `dakar-1/payments/${pending.payment_id}/confirm-cash`), 409, 'drawer_not_open');

      const opened = await ok(
        pos<DrawerView>('POST', 'dakar-1/drawer/open', { opening_minor: 10_000, currency: 'XOF', operator: 'awa' }),
        201,
      );
      expect(opened).toMatchObject({
        status: 'open',
        opening_minor: 10_000,
        expected_minor: 10_000,
        opened_by: 'awa',
        variance_minor: null,
      });
      expectError(
        await pos('POST', 'dakar-1/drawer/open', { opening_minor: 0, currency: 'XOF' }),
        409,
        'drawer_already_open',
      );

      const confirmed = await ok(
        pos<PaymentView & { drawer: DrawerView }>('POST', `dakar-1/payments/${pending.payment_id}/confirm-cash`),
        200,
      );
      expect(confirmed).toMatchObject({
        status: 'success',
        refundable_minor: 2_500,
        drawer_session_id: opened.session_id,
      });
      expect(confirmed.drawer).toMatchObject({ cash_in_minor: 2_500, expected_minor: 12_500 });
      expectError(
        await pos('POST', `dakar-1/payments/${pending.payment_id}/confirm-cash`),
        409,
        'payment_not_confirmable',
      );

      const second = await ok(
        pos<PaymentView>('POST', 'dakar-1/payments', { method: 'cash', amount_minor: 4_000, currency: 'XOF' }),
        201,
      );
      await ok(pos('POST', `dakar-1/payments/${second.payment_id}/confirm-cash`), 200);

      const firstRefund = await ok(
        pos<RefundBody>('POST', `dakar-1/payments/${second.payment_id}/refunds`, {
          amount_minor: 1_000,
          reason: 'plat froid',
        }),
        201,
      );
      expect(firstRefund).toMatchObject({ status: 'succeeded', amount_minor: 1_000 });
      expect(firstRefund.payment).toMatchObject({
        status: 'partially_refunded',
        refunded_minor: 1_000,
        refundable_minor: 3_000,
      });
      expect(firstRefund.drawer).toMatchObject({ cash_out_minor: 1_000, expected_minor: 15_500 });
      await ok(pos('POST', `dakar-1/payments/${second.payment_id}/refunds`, { amount_minor: 2_000 }), 201);

      // Beyond what is left (1 000): refused, and nothing is written anywhere.
      const before = {
        payment: (await pos('GET', `dakar-1/payments/${second.payment_id}`)).text,
        drawer: (await pos('GET', 'dakar-1/drawer')).text,
        session: (await pos('GET', `dakar-1/drawer/sessions/${opened.session_id}`)).text,
      };
      expectError(
        await pos('POST', `dakar-1/payments/${second.payment_id}/refunds`, { amount_minor: 1_001 }),
        422,
        'refund_exceeds_refundable',
      );
      expectError(
        await pos('POST', `dakar-1/payments/${second.payment_id}/refunds`, { amount_minor: 0 }),
        400,
        'validation_failed',
      );
      expectError(
        await pos('POST', `dakar-1/payments/${second.payment_id}/refunds`, { amount_minor: 2.5 }),
        400,
        'validation_failed',
      );
      expect((await pos('GET', `dakar-1/payments/${second.payment_id}`)).text).toBe(before.payment);
      expect((await pos('GET', 'dakar-1/drawer')).text).toBe(before.drawer);
      expect((await pos('GET', `dakar-1/drawer/sessions/${opened.session_id}`)).text).toBe(before.session);

      const last = await ok(
        pos<RefundBody>('POST', `dakar-1/payments/${second.payment_id}/refunds`, { amount_minor: 1_000 }),
        201,
      );
      expect(last.payment).toMatchObject({ status: 'refunded', refunded_minor: 4_000, refundable_minor: 0 });
      expectError(
        await pos('POST', `dakar-1/payments/${second.payment_id}/refunds`, { amount_minor: 1 }),
        409,
        'payment_not_refundable',
      );
      const detail = await ok(pos<PaymentDetail>('GET', `dakar-1/payments/${second.payment_id}`), 200);
      expect(detail.refunds.map((r) => [r.amount_minor, r.status])).toEqual([
        [1_000, 'succeeded'],
        [2_000, 'succeeded'],
        [1_000, 'succeeded'],
      ]);

      // The cashier's own movements: a float in, change out.
      await ok(pos('POST', 'dakar-1/drawer/cash', { direction: 'in', amount_minor: 500, note: 'monnaie' }), 200);
      await ok(pos('POST', 'dakar-1/drawer/cash', { direction: 'out', amount_minor: 300 }), 200);
      expectError(
        await pos('POST', 'dakar-1/drawer/cash', { direction: 'out', amount_minor: 1_000_000 }),
        409,
        'drawer_refused',
      );
      expectError(
        await pos('POST', 'dakar-1/drawer/cash', { direction: 'in', amount_minor: 5, currency: 'EUR' }),
        409,
        'drawer_refused',
      );

      // opening + in - out = 10 000 + (2 500 + 4 000 + 500) - (4 000 + 300) = 12 700
      const current = await ok(pos<DrawerView>('GET', 'dakar-1/drawer'), 200);
      expect(current).toMatchObject({ cash_in_minor: 7_000, cash_out_minor: 4_300, expected_minor: 12_700 });
      const closed = await ok(
        pos<DrawerView>('POST', 'dakar-1/drawer/close', { counted_minor: 12_650, operator: 'moussa' }),
        200,
      );
      expect(closed).toMatchObject({
        status: 'closed',
        expected_minor: 12_700,
        counted_minor: 12_650,
        variance_minor: -50,
        closed_by: 'moussa',
      });
      expectError(await pos('POST', 'dakar-1/drawer/close', { counted_minor: 0 }), 409, 'drawer_not_open');
      const session = await ok(
        pos<DrawerView & { movements: Array<{ direction: string; amount_minor: number }> }>(
          'GET',
          `dakar-1/drawer/sessions/${opened.session_id}`,
        ),
        200,
      );
      expect(session.movements.map((m) => `${m.direction}${m.amount_minor}`)).toEqual([
        'in2500',
        'in4000',
        'out1000',
        'out2000',
        'out1000',
        'in500',
        'out300',
      ]);
      const sessions = await ok(pos<{ sessions: DrawerView[] }>('GET', 'dakar-1/drawer/sessions'), 200);
      expect(sessions.sessions.map((s) => s.session_id)).toEqual([opened.session_id]);

      const listed = await ok(pos<{ payments: PaymentView[] }>('GET', 'dakar-1/payments?status=refunded'), 200);
      expect(listed.payments.map((p) => p.payment_id)).toEqual([second.payment_id]);
      expectError(await pos('GET', `dakar-2/payments/${second.payment_id}`), 404, 'payment_not_found');
    },
    T,
  );

  it(
    'a payment by a method the merchant does not have, an inactive one, or a provider without credentials is refused before anything is written',
    async () => {
      await seedMethods('dakar-1');
      await ok(
        pos('POST', 'dakar-1/payment-methods', { provider_code: 'orange_money', display_name: 'Orange Money' }),
        201,
      );
      expectError(
        await pos('POST', 'dakar-1/payments', { method: 'mtn_momo', amount_minor: 100, currency: 'XOF' }),
        404,
        'method_not_found',
      );
      expectError(
        await pos('POST', 'dakar-1/payments', { method: 'orange_money', amount_minor: 100, currency: 'XOF' }),
        400,
        'unknown_provider',
      );
      await ok(pos('PATCH', 'dakar-1/payment-methods/wave', { active: false }), 200);
      expectError(
        await pos('POST', 'dakar-1/payments', { method: 'wave', amount_minor: 100, currency: 'XOF' }),
        409,
        'method_inactive',
      );
      expectError(
        await pos('POST', 'dakar-1/payments', { method: 'cash', amount_minor: 0, currency: 'XOF' }),
        400,
        'validation_failed',
      );
      expectError(
        await pos('POST', 'dakar-1/payments', { method: 'cash', amount_minor: 100, currency: 'xof' }),
        400,
        'validation_failed',
      );
      expect((await ok(pos<{ payments: unknown[] }>('GET', 'dakar-1/payments'), 200)).payments).toHaveLength(0);
      expect(wave.sessions.size).toBe(0);
    },
    T,
  );

  it(
    'Wave (sandbox): the payment is created with a payment-derived idempotency key, settled by check; a partial refund is refused by Wave and given back, a full one goes through once',
    async () => {
      await seedMethods('dakar-1');
      const created = await ok(
        pos<PaymentView>('POST', 'dakar-1/payments', {
          method: 'wave',
          amount_minor: 1_500,
          currency: 'XOF',
          description: 'Mafé',
        }),
        201,
      );
      const session = wave.sessionFor(created.payment_id)!;
      expect(session).toMatchObject({ amount: { amountMinor: 1_500, currency: 'XOF' }, checkoutStatus: 'open' });
      expect(created).toMatchObject({
        status: 'processing',
        provider_payment_id: session.id,
        confirmation_url: `${waveServer.url}/c/${session.id}`,
      });
      expect(session.successUrl).toBe(`${stack.server.url}/pos/dakar-1/payments/${created.payment_id}/return`);
      const returned = await stack.request('GET', `/pos/dakar-1/payments/${created.payment_id}/return`);
      expect(returned.status).toBe(200);
      expect(returned.text).toContain('being checked');

      const stillOpen = await ok(
        pos<PaymentView & { observed: string }>('POST', `dakar-1/payments/${created.payment_id}/check`),
        200,
      );
      expect(stillOpen).toMatchObject({ status: 'processing', observed: 'pending' });
      expectError(
        await pos('POST', `dakar-1/payments/${created.payment_id}/refunds`, { amount_minor: 1_500 }),
        409,
        'payment_not_refundable',
      );

      await wave.complete(session.id, false);
      const paid = await ok(
        pos<PaymentView & { observed: string; amount_mismatch: boolean }>(
          'POST',
          `dakar-1/payments/${created.payment_id}/check`,
        ),
        200,
      );
      expect(paid).toMatchObject({
        status: 'success',
        observed: 'succeeded',
        amount_mismatch: false,
        refundable_minor: 1_500,
      });
      expect((await stack.request('GET', `/pos/dakar-1/payments/${created.payment_id}/return`)).text).toContain(
        'Payment received',
      );

      // Wave refunds whole sessions only: the refund is recorded, refused, and its amount released.
      expectError(
        await pos('POST', `dakar-1/payments/${created.payment_id}/refunds`, { amount_minor: 500 }),
        422,
        'refund_not_supported',
      );
      const afterRefusal = await ok(pos<PaymentDetail>('GET', `dakar-1/payments/${created.payment_id}`), 200);
      expect(afterRefusal).toMatchObject({ status: 'success', refunded_minor: 0 });
      expect(afterRefusal.refunds.map((r) => r.status)).toEqual(['failed']);
      expect(wave.refunds).toEqual([]);

      const full = await ok(
        pos<RefundBody>('POST', `dakar-1/payments/${created.payment_id}/refunds`, { amount_minor: 1_500 }),
        201,
      );
      expect(full).toMatchObject({ status: 'succeeded', payment: { status: 'refunded', refunded_minor: 1_500 } });
      expect(wave.refunds).toEqual([session.id]);
      // A check afterwards re-sends nothing.
      await ok(pos('POST', `dakar-1/payments/${created.payment_id}/check`), 200);
      expect(wave.refunds).toEqual([session.id]);
    },
    T,
  );

  it(
    'YooKassa (sandbox): partial refunds up to what was captured; a refund that times out is kept as requested (202) and completed by check exactly once',
    async () => {
      await seedMethods('msk-1');
      const created = await ok(
        pos<PaymentView>('POST', 'msk-1/payments', {
          method: 'yookassa',
          amount_minor: 50_000,
          currency: 'RUB',
          description: 'Бизнес-ланч',
        }),
        201,
      );
      const payment = stack.yookassa.paymentFor(created.payment_id)!;
      expect(created).toMatchObject({ status: 'processing', provider_payment_id: payment.id });
      await stack.yookassa.setStatus(payment.id, 'succeeded', false);
      await ok(pos('POST', `msk-1/payments/${created.payment_id}/check`), 200);

      await ok(pos('POST', `msk-1/payments/${created.payment_id}/refunds`, { amount_minor: 20_000 }), 201);
      expect(payment.refunded.amountMinor).toBe(20_000);
      expectError(
        await pos('POST', `msk-1/payments/${created.payment_id}/refunds`, { amount_minor: 30_001 }),
        422,
        'refund_exceeds_refundable',
      );
      expect(payment.refunded.amountMinor).toBe(20_000);

      // The provider answers after our deadline: the outcome is unknown, so the refund stays requested.
      stack.yookassa.faults.inject('refund', { delayMs: 900 });
      const slow = await ok(
        pos<RefundBody>('POST', `msk-1/payments/${created.payment_id}/refunds`, { amount_minor: 30_000 }),
        202,
      );
      expect(slow).toMatchObject({ status: 'requested', payment: { status: 'refunded', refunded_minor: 50_000 } });
      expect(slow.last_error).toMatch(/did not answer within/);
      // Nothing more can be refunded meanwhile.
      expectError(
        await pos('POST', `msk-1/payments/${created.payment_id}/refunds`, { amount_minor: 1 }),
        409,
        'payment_not_refundable',
      );
      await new Promise((resolve) => setTimeout(resolve, 600));
      const checked = await ok(pos<PaymentDetail>('POST', `msk-1/payments/${created.payment_id}/check`), 200);
      expect(checked.refunds.map((r) => [r.amount_minor, r.status])).toEqual([
        [20_000, 'succeeded'],
        [30_000, 'succeeded'],
      ]);
      // The late first call and the check's re-send carried one idempotency key: one refund.
      expect(payment.refunded.amountMinor).toBe(50_000);
    },
    T,
  );

  it(
    'a payment whose creation times out is answered 202 pending; check re-sends it with the same key and the provider makes one payment',
    async () => {
      await seedMethods('msk-1');
      stack.yookassa.faults.inject('create', { delayMs: 900 });
      const unknown = await ok(
        pos<PaymentView>('POST', 'msk-1/payments', { method: 'yookassa', amount_minor: 12_300, currency: 'RUB' }),
        202,
      );
      expect(unknown).toMatchObject({ status: 'pending', provider_payment_id: null, confirmation_url: null });
      await new Promise((resolve) => setTimeout(resolve, 600));
      const checked = await ok(pos<PaymentView>('POST', `msk-1/payments/${unknown.payment_id}/check`), 200);
      expect(checked.status).toBe('processing');
      const made = [...stack.yookassa.payments.values()].filter((p) => p.orderId === unknown.payment_id);
      expect(made).toHaveLength(1);
      expect(checked.provider_payment_id).toBe(made[0]!.id);
    },
    T,
  );

  it(
    'a signed Wave webhook about a POS payment settles it without the cashier (re-read from the API); a replay changes nothing',
    async () => {
      await seedMethods('dakar-1');
      wave.webhookUrl = `${stack.server.url}/v1/webhooks/wave`;
      const created = await ok(
        pos<PaymentView>('POST', 'dakar-1/payments', { method: 'wave', amount_minor: 2_000, currency: 'XOF' }),
        201,
      );
      const session = wave.sessionFor(created.payment_id)!;
      expect(await wave.complete(session.id)).toBe(true);
      expect(wave.deliveries.at(-1)?.status).toBe(200);
      const paid = await ok(pos<PaymentView>('GET', `dakar-1/payments/${created.payment_id}`), 200);
      expect(paid).toMatchObject({ status: 'success', refundable_minor: 2_000 });
      expect(await wave.notify('checkout.session.completed', session.id)).toBe(true);
      expect(await ok(pos<PaymentView>('GET', `dakar-1/payments/${created.payment_id}`), 200)).toMatchObject({
        status: 'success',
        refunded_minor: 0,
      });
    },
    T,
  );
});
