import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock, type AlertKind, type Notifier } from '@paystate/core';
import type { PaymentView } from '@paystate/server';
import { SumUpSandbox, WaveSandbox, type LoopbackServer } from '@paystate/sandbox';
import { ADMIN_TOKEN, startStack, type Reply, type Stack } from '../support/harness.js';
import { testBackend } from '../support/temp-db.js';

// Issue 11 path 7: POS provider payments go through the poller on the orders' schedule rules;
// an unanswered check never fails one; past its lifetime it is asked once more and expires; an
// amount mismatch is a review with an alert. Time is a ManualClock; the sandboxes are real.

const WAVE_API_KEY = 'wave_sn_prod_poll_key';
const WAVE_SECRET = 'wave_sn_WHS_poll_secret';
const SUMUP_KEY = 'sumup_poll_key';
const SUMUP_MERCHANT = 'MPOLL001';
const T = 20_000;

class RecordingNotifier implements Notifier {
  readonly alerts: { kind: AlertKind; details: Record<string, unknown> }[] = [];
  async alert(kind: AlertKind, details: Record<string, unknown>): Promise<void> {
    this.alerts.push({ kind, details });
  }
  async notifyCustomer(): Promise<void> {}
}

describe(`POS provider payments are polled and expire on ${testBackend}`, () => {
  let stack: Stack | undefined;
  let wave: WaveSandbox;
  let sumup: SumUpSandbox;
  const servers: LoopbackServer[] = [];
  let clock: ManualClock;
  let notifier: RecordingNotifier;

  afterEach(async () => {
    await stack?.stop();
    await Promise.all(servers.splice(0).map((s) => s.close()));
    stack = undefined;
  });

  async function start() {
    wave = new WaveSandbox({ apiKey: WAVE_API_KEY, webhookSecret: WAVE_SECRET });
    sumup = new SumUpSandbox({ apiKey: SUMUP_KEY, merchantCode: SUMUP_MERCHANT });
    const waveServer = await wave.start();
    const sumupServer = await sumup.start();
    servers.push(waveServer, sumupServer);
    clock = new ManualClock(new Date());
    notifier = new RecordingNotifier();
    stack = await startStack({
      clock,
      notifier,
      env: {
        WAVE_API_URL: waveServer.url,
        WAVE_API_KEY,
        WAVE_WEBHOOK_SECRET: WAVE_SECRET,
        SUMUP_API_URL: sumupServer.url,
        SUMUP_API_KEY: SUMUP_KEY,
        SUMUP_MERCHANT_CODE: SUMUP_MERCHANT,
      },
    });
    stack.yookassa.webhookUrl = undefined;
    for (const [provider_code, display_name] of [
      ['wave', 'Wave'],
      ['sumup', 'Carte'],
    ]) {
      await ok(pos('POST', 'dakar-7/payment-methods', { provider_code, display_name }), 201);
    }
    return stack;
  }

  const pos = <B = unknown>(method: string, path: string, body?: unknown) =>
    stack!.request<B>(method, `/v1/merchants/${path}`, { token: ADMIN_TOKEN, ...(body === undefined ? {} : { body }) });

  async function ok<B>(reply: Promise<Reply<B>>, ...statuses: number[]): Promise<B> {
    const r = await reply;
    if (!statuses.includes(r.status))
      throw new Error(`expected HTTP ${statuses.join('/')}, got ${r.status}: ${r.text}`);
    return r.body;
  }

  const payment = async (id: string) => ok(pos<PaymentView>('GET', `dakar-7/payments/${id}`), 200);
  const newPayment = (method: string, amount_minor: number, currency: string) =>
    ok(pos<PaymentView>('POST', 'dakar-7/payments', { method, amount_minor, currency }), 201);

  /** Poll cycles `seconds` apart, as `paystate serve` runs them. */
  async function cycles(count: number, seconds: number) {
    for (let i = 0; i < count; i += 1) {
      clock.advance(seconds);
      await stack!.runtime.poller.runCycle();
    }
  }

  it(
    'a Wave payment paid with its webhook lost is found by the poller on the fast track',
    async () => {
      await start();
      const created = await newPayment('wave', 2_000, 'XOF');
      const session = wave.sessionFor(created.payment_id)!;
      await wave.complete(session.id, false);
      await cycles(2, 5);
      expect(await payment(created.payment_id)).toMatchObject({ status: 'success', refundable_minor: 2_000 });
      expect(wave.session(session.id)).toMatchObject({ paymentStatus: 'succeeded' });
    },
    T,
  );

  it(
    'an unpaid Wave payment past its lifetime is asked once more, then expired; an expired Wave session is expired, not failed',
    async () => {
      await start();
      const unpaid = await newPayment('wave', 1_000, 'XOF');
      const lapsed = await newPayment('wave', 1_500, 'XOF');
      wave.setStatus(wave.sessionFor(lapsed.payment_id)!.id, 'expired', 'processing');
      await cycles(1, 5);
      expect(await payment(lapsed.payment_id)).toMatchObject({ status: 'expired' });
      expect(await payment(unpaid.payment_id)).toMatchObject({ status: 'processing' });
      // The slow track, then the lifetime (ORDER_TTL_S, 900 s) runs out.
      await cycles(20, 60);
      expect(await payment(unpaid.payment_id)).toMatchObject({ status: 'expired' });
    },
    T,
  );

  it(
    'unanswered checks never fail a POS payment (a stuck alert instead); a SumUp amount mismatch goes to review with an alert',
    async () => {
      await start();
      const created = await newPayment('wave', 3_000, 'XOF');
      wave.faults.inject('get', { status: 503, times: 100 });
      // 30 minutes of an unreachable Wave, well past the payment's 15-minute lifetime: no answer, no verdict.
      await cycles(30, 60);
      expect(await payment(created.payment_id)).toMatchObject({ status: 'processing' });
      expect(
        notifier.alerts.filter((a) => a.kind === 'stuck' && a.details.paymentId === created.payment_id),
      ).toHaveLength(1);

      const card = await newPayment('sumup', 4_500, 'EUR');
      const checkout = sumup.checkoutFor(card.payment_id)!;
      sumup.tamperAmount(checkout.id, { amountMinor: 450, currency: 'EUR' });
      await sumup.setStatus(checkout.id, 'PAID', false);
      await cycles(1, 5);
      expect(await payment(card.payment_id)).toMatchObject({ status: 'requires_manual_review', refundable_minor: 0 });
      expect(
        notifier.alerts.filter((a) => a.kind === 'amount_mismatch' && a.details.paymentId === card.payment_id),
      ).toHaveLength(1);
    },
    T,
  );
  it(
    'a refund left unknown (its answer lost, nobody checks) is resumed by the poller: read back, settled, refunded once at YooKassa',
    async () => {
      const running = await start();
      await ok(pos('POST', 'dakar-7/payment-methods', { provider_code: 'yookassa', display_name: 'Карта' }), 201);
      const created = await newPayment('yookassa', 5_000, 'RUB');
      const provider = running.yookassa.paymentFor(created.payment_id)!;
      await running.yookassa.setStatus(provider.id, 'succeeded', false);
      await cycles(1, 5);
      expect(await payment(created.payment_id)).toMatchObject({ status: 'success' });

      running.yookassa.faults.inject('refund', { delayMs: 900 });
      const unknown = await ok(
        pos<{ refund_id: string; status: string }>('POST', `dakar-7/payments/${created.payment_id}/refunds`, {
          amount_minor: 2_000,
        }),
        202,
      );
      expect(unknown.status).toBe('requested');
      await new Promise((resolve) => setTimeout(resolve, 1_200));
      expect(provider.refunded.amountMinor).toBe(2_000);
      await cycles(2, 31);
      const detail = await ok(
        pos<PaymentView & { refunds: Array<{ status: string }> }>('GET', `dakar-7/payments/${created.payment_id}`),
        200,
      );
      expect(detail.refunds.map((r) => r.status)).toEqual(['succeeded']);
      expect(detail).toMatchObject({ status: 'partially_refunded', refunded_minor: 2_000 });
      expect(provider.refunded.amountMinor).toBe(2_000);
    },
    T,
  );
});
