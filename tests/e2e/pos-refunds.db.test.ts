import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { PaymentView } from '@paystate/server';
import { SumUpSandbox, type LoopbackServer } from '@paystate/sandbox';
import { pgQuery } from '../support/inspect.js';
import { ADMIN_TOKEN, startStack, waitFor, type Reply, type Stack } from '../support/harness.js';
import { testBackend } from '../support/temp-db.js';

// Issue 11, paths 1 and 2 (docs/architecture.md section 9): a refund is a movement row claimed once for
// sending; callbacks, checks and retried requests continue that row and never send it again.
// Every assertion about money reads the SANDBOX's books: what the provider actually refunded.

const SUMUP_KEY = 'sumup_pos_refund_key';
const SUMUP_MERCHANT = 'MPOSREF1';
const T = 20_000;

interface RefundBody {
  refund_id: string;
  status: string;
  amount_minor: number;
  payment: PaymentView;
}
type PaymentDetail = PaymentView & { refunds: Array<{ refund_id: string; status: string; amount_minor: number }> };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe(`POS refunds are movements on ${testBackend}: never paid out twice`, () => {
  let stack: Stack | undefined;
  let sumup: SumUpSandbox;
  let sumupServer: LoopbackServer | undefined;

  afterEach(async () => {
    await Promise.race([sumup?.settled(), sleep(2000)]);
    await stack?.stop();
    await sumupServer?.close();
    stack = undefined;
    sumupServer = undefined;
  });

  async function start(env: Record<string, string> = {}) {
    sumup = new SumUpSandbox({ apiKey: SUMUP_KEY, merchantCode: SUMUP_MERCHANT });
    sumupServer = await sumup.start();
    stack = await startStack({
      env: { SUMUP_API_URL: sumupServer.url, SUMUP_API_KEY: SUMUP_KEY, SUMUP_MERCHANT_CODE: SUMUP_MERCHANT, ...env },
    });
    stack.yookassa.webhookUrl = undefined;
    return stack;
  }

  const pos = <B = unknown>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
    stack!.request<B>(method, `/v1/merchants/${path}`, {
      token: ADMIN_TOKEN,
      headers,
      ...(body === undefined ? {} : { body }),
    });

  async function ok<B>(reply: Promise<Reply<B>>, ...statuses: number[]): Promise<B> {
    const r = await reply;
    if (!statuses.includes(r.status))
      throw new Error(`expected HTTP ${statuses.join('/')}, got ${r.status}: ${r.text}`);
    return r.body;
  }

  /** A captured SumUp POS payment of 70.00 EUR; returns its id and the sandbox transaction. */
  async function paidSumUp(merchant: string) {
    await ok(pos('POST', `${merchant}/payment-methods`, { provider_code: 'sumup', display_name: 'Carte' }), 201);
    const created = await ok(
      pos<PaymentView>('POST', `${merchant}/payments`, { method: 'sumup', amount_minor: 7_000, currency: 'EUR' }),
      201,
    );
    const checkout = sumup.checkoutFor(created.payment_id)!;
    await sumup.setStatus(checkout.id, 'PAID', false);
    expect(await ok(pos<PaymentView>('POST', `${merchant}/payments/${created.payment_id}/check`), 200)).toMatchObject({
      status: 'success',
    });
    const transaction = checkout.transactions.find((t) => t.status === 'SUCCESSFUL')!;
    return { paymentId: created.payment_id, checkout, transaction };
  }

  it(
    'path 1: a SumUp partial refund of 10.00 with a dozen anonymous callbacks for the checkout during the refund refunds 10.00 at SumUp, once',
    async () => {
      const running = await start();
      const { paymentId, checkout, transaction } = await paidSumUp('paris-1');
      // SumUp takes its time (under paystate's deadline): the refund is in flight while callbacks arrive.
      sumup.faults.inject('refund', { delayMs: 300 });
      const refunding = ok(
        pos<RefundBody>('POST', `paris-1/payments/${paymentId}/refunds`, { amount_minor: 1_000 }),
        201,
        202,
      );
      await sleep(60);
      const callbacks = Array.from({ length: 12 }, () =>
        running.request('POST', '/v1/webhooks/sumup', {
          body: { event_type: 'CHECKOUT_STATUS_CHANGED', id: checkout.id },
        }),
      );
      const cashierCheck = pos('POST', `paris-1/payments/${paymentId}/check`);
      await Promise.all([refunding, ...callbacks, cashierCheck]);
      // More callbacks and checks once it settled change nothing either.
      await Promise.all([
        running.request('POST', '/v1/webhooks/sumup', {
          body: { event_type: 'CHECKOUT_STATUS_CHANGED', id: checkout.id },
        }),
        pos('POST', `paris-1/payments/${paymentId}/check`),
      ]);

      expect(transaction.refundedMinor).toBe(1_000);
      const detail = await ok(pos<PaymentDetail>('GET', `paris-1/payments/${paymentId}`), 200);
      expect(detail).toMatchObject({ status: 'partially_refunded', refunded_minor: 1_000 });
      expect(detail.refunds.map((r) => [r.amount_minor, r.status])).toEqual([[1_000, 'succeeded']]);
    },
    T,
  );

  it(
    'path 1: a SumUp refund whose answer timed out, then a check, refunds 10.00 at SumUp (read back, not sent again)',
    async () => {
      await start();
      const { paymentId, transaction } = await paidSumUp('paris-2');
      // SumUp answers after paystate's 0.5 s deadline: the refund happened, the answer was lost.
      sumup.faults.inject('refund', { delayMs: 900 });
      const unknown = await ok(
        pos<RefundBody>('POST', `paris-2/payments/${paymentId}/refunds`, { amount_minor: 1_000 }),
        202,
      );
      expect(unknown.status).toBe('requested');
      await waitFor(() => transaction.refundedMinor === 1_000, 3000, 'SumUp to take the slow refund');
      const checked = await ok(pos<PaymentDetail>('POST', `paris-2/payments/${paymentId}/check`), 200);
      expect(checked.refunds.map((r) => [r.amount_minor, r.status])).toEqual([[1_000, 'succeeded']]);
      await ok(pos('POST', `paris-2/payments/${paymentId}/check`), 200);
      expect(transaction.refundedMinor).toBe(1_000);
    },
    T,
  );

  it(
    'path 2: the same refund request and Idempotency-Key after the key was taken over (a crash, 60 s) continues the same refund: YooKassa refunds 300 once',
    async () => {
      // A generous provider deadline: the first request is still waiting for YooKassa when the retry comes.
      const running = await start({ PAYMENT_API_TIMEOUT_S: '5' });
      await ok(pos('POST', 'msk-9/payment-methods', { provider_code: 'yookassa', display_name: 'Карта' }), 201);
      const created = await ok(
        pos<PaymentView>('POST', 'msk-9/payments', { method: 'yookassa', amount_minor: 1_000, currency: 'RUB' }),
        201,
      );
      const provider = running.yookassa.paymentFor(created.payment_id)!;
      await running.yookassa.setStatus(provider.id, 'succeeded', false);
      await ok(pos('POST', `msk-9/payments/${created.payment_id}/check`), 200);

      const key = 'refund-req-7f3a';
      running.yookassa.faults.inject('refund', { delayMs: 1_500 });
      const first = ok(
        pos<RefundBody>(
          'POST',
          `msk-9/payments/${created.payment_id}/refunds`,
          { amount_minor: 300 },
          { 'Idempotency-Key': key },
        ),
        201,
        202,
      );
      await waitFor(
        async () =>
          (await ok(pos<PaymentDetail>('GET', `msk-9/payments/${created.payment_id}`), 200)).refunds.length === 1,
        3000,
        'the refund row',
      );
      // The process that held the key died (or answered 5xx): the key is free again, as after the 60 s takeover.
      await releaseIdempotencyLock(running, 'msk-9', key);
      const retry = await pos<RefundBody>(
        'POST',
        `msk-9/payments/${created.payment_id}/refunds`,
        { amount_minor: 300 },
        { 'Idempotency-Key': key },
      );
      expect([201, 202]).toContain(retry.status);
      const answered = await first;

      await waitFor(() => provider.refunded.amountMinor > 0, 3000, 'YooKassa to take the refund');
      await sleep(200);
      expect(provider.refunded.amountMinor).toBe(300);
      expect(retry.body.refund_id).toBe(answered.refund_id);
      const settled = await ok(pos<PaymentDetail>('POST', `msk-9/payments/${created.payment_id}/check`), 200);
      expect(settled).toMatchObject({ refunded_minor: 300, status: 'partially_refunded' });
      expect(settled.refunds.map((r) => [r.amount_minor, r.status])).toEqual([[300, 'succeeded']]);
      expect(provider.refunded.amountMinor).toBe(300);
    },
    T,
  );

  it(
    'docs/architecture.md section 9 for payment attempts: the same payment request and Idempotency-Key after a takeover continues the same payment: one YooKassa payment',
    async () => {
      const running = await start({ PAYMENT_API_TIMEOUT_S: '5' });
      await ok(pos('POST', 'msk-8/payment-methods', { provider_code: 'yookassa', display_name: 'Карта' }), 201);
      const key = 'sale-42';
      running.yookassa.faults.inject('create', { delayMs: 1_500 });
      const first = ok(
        pos<PaymentView>(
          'POST',
          'msk-8/payments',
          { method: 'yookassa', amount_minor: 2_500, currency: 'RUB' },
          { 'Idempotency-Key': key },
        ),
        201,
      );
      await waitFor(
        async () => (await ok(pos<{ payments: PaymentView[] }>('GET', 'msk-8/payments'), 200)).payments.length === 1,
        3000,
        'the payment row',
      );
      await releaseIdempotencyLock(running, 'msk-8', key);
      const retry = await ok(
        pos<PaymentView>(
          'POST',
          'msk-8/payments',
          { method: 'yookassa', amount_minor: 2_500, currency: 'RUB' },
          { 'Idempotency-Key': key },
        ),
        201,
        202,
      );
      const answered = await first;
      expect(retry.payment_id).toBe(answered.payment_id);
      expect([...running.yookassa.payments.values()]).toHaveLength(1);
      expect((await ok(pos<{ payments: PaymentView[] }>('GET', 'msk-8/payments'), 200)).payments).toHaveLength(1);
      // The same key for another sale is refused, and nothing is written.
      await releaseIdempotencyLock(running, 'msk-8', key);
      const reused = await pos(
        'POST',
        'msk-8/payments',
        { method: 'yookassa', amount_minor: 9_999, currency: 'RUB' },
        { 'Idempotency-Key': key },
      );
      expect(reused.status).toBe(422);
      expect([...running.yookassa.payments.values()]).toHaveLength(1);
    },
    T,
  );
});

/**
 * Ages an in-flight Idempotency-Key claim past its lock, behind the application's back: what 60 s
 * after a crash looks like. The key's scope is `<credential>/<merchant>`.
 */
async function releaseIdempotencyLock(stack: Stack, merchant: string, key: string): Promise<void> {
  const past = '2000-01-01T00:00:00.000Z';
  const scope = `%/${merchant}`;
  if (stack.db.backend === 'postgres') {
    await pgQuery(stack.db, 'update idempotency_keys set locked_until = $1 where scope like $2 and key = $3', [
      past,
      scope,
      key,
    ]);
    return;
  }
  const sqlite = new Database(stack.db.path!);
  try {
    sqlite.pragma('busy_timeout = 5000');
    sqlite.prepare('update idempotency_keys set locked_until = ? where scope like ? and key = ?').run(past, scope, key);
  } finally {
    sqlite.close();
  }
}
