import { Hono } from 'hono';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  MoneyFormatError,
  type AlertKind,
  type CreatePaymentInput,
  type Money,
  type Notifier,
  type PaymentProvider,
} from '@paystate/core';
import {
  exactAmount,
  OutboundHttpError,
  OutboundNetworkError,
  OutboundResponseError,
  OutboundTimeoutError,
  SumUpProvider,
  sumupStatusMap,
  UnknownProviderStatusError,
  WebhookParseError,
} from '@paystate/server';
import {
  startOnLoopback,
  SUMUP_SANDBOX_STATUSES,
  SumUpSandbox,
  type LoopbackServer,
  type SumUpSandboxStatus,
} from '@paystate/sandbox';
import { startStack, waitFor, type OrderDetail, type Stack } from '../support/harness.js';

const API_KEY = 'sup_sk_test_0123456789';
const MERCHANT = 'MH4H92C7';
const silent = pino({ level: 'silent' });

function input(orderId: string, amount: Money = { amountMinor: 15050, currency: 'EUR' }): CreatePaymentInput {
  return {
    orderId,
    amount,
    description: `Latte for ${orderId}`,
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

describe('exactAmount: major units as a JSON number, only when exact', () => {
  it.each([
    [{ amountMinor: 15050, currency: 'EUR' }, 150.5],
    [{ amountMinor: 1, currency: 'EUR' }, 0.01],
    [{ amountMinor: 100000, currency: 'GBP' }, 1000],
    [{ amountMinor: 1500, currency: 'CLP' }, 1500],
    [{ amountMinor: 1234, currency: 'KWD' }, 1.234],
    [{ amountMinor: 999999999999999, currency: 'EUR' }, 9999999999999.99],
  ] as const)('%o -> %d', (money, number) => {
    expect(exactAmount(money)).toBe(number);
  });

  it('an amount a double cannot carry exactly -> MoneyFormatError, never a rounded number', () => {
    expect(() => exactAmount({ amountMinor: 9007199254740991, currency: 'EUR' })).toThrow(MoneyFormatError);
  });
});

describe('SumUpProvider against SumUpSandbox on loopback', () => {
  let sandbox: SumUpSandbox;
  let server: LoopbackServer & { apiUrl: string };
  let provider: SumUpProvider;
  const extraServers: LoopbackServer[] = [];

  const providerWith = (
    overrides: Partial<{ apiUrl: string; apiKey: string; merchantCode: string; timeoutMs: number }> = {},
  ) =>
    new SumUpProvider({
      apiUrl: server.apiUrl,
      apiKey: API_KEY,
      merchantCode: MERCHANT,
      timeoutMs: 500,
      logger: silent,
      webhookUrl: 'http://127.0.0.1:9/v1/webhooks/sumup',
      ...overrides,
    });

  beforeEach(async () => {
    sandbox = new SumUpSandbox({ apiKey: API_KEY, merchantCode: MERCHANT });
    server = await sandbox.start();
    provider = providerWith();
  });
  afterEach(async () => {
    await Promise.all(extraServers.splice(0).map((extra) => extra.close()));
    await server.close();
  });

  /** A recording front: every request's headers and raw body, then the sandbox answers. */
  async function recorder() {
    const seen: { method: string; path: string; headers: Headers; body: string }[] = [];
    const front = new Hono();
    front.all('*', async (c) => {
      const body = await c.req.raw.clone().text();
      seen.push({
        method: c.req.method,
        path: new URL(c.req.url).pathname + new URL(c.req.url).search,
        headers: new Headers(c.req.raw.headers),
        body,
      });
      return sandbox.app.fetch(c.req.raw, c.env);
    });
    const recording = await startOnLoopback(front);
    extraServers.push(recording);
    return { seen, provider: providerWith({ apiUrl: recording.url }) };
  }

  async function paidCheckout(orderId: string, amount?: Money): Promise<string> {
    const { providerPaymentId } = await provider.createPayment(input(orderId, amount), `pay:${orderId}`);
    await sandbox.setStatus(providerPaymentId, 'PAID', false);
    return providerPaymentId;
  }

  describe('createPayment', () => {
    it('creates a hosted checkout: reference = order id, exact amount, merchant code, webhook as return_url, customer back via redirect_url', async () => {
      const created = await provider.createPayment(input('order-1'), 'pay:order-1');
      const checkout = sandbox.checkout(created.providerPaymentId);
      expect(checkout).toMatchObject({
        reference: 'order-1',
        amount: { amountMinor: 15050, currency: 'EUR' },
        merchantCode: MERCHANT,
        description: 'Latte for order-1',
        returnUrl: 'http://127.0.0.1:9/v1/webhooks/sumup',
        redirectUrl: 'https://pay.example/orders/order-1/return',
        hosted: true,
        status: 'PENDING',
      });
      expect(created.confirmationUrl).toBe(`${server.url}/pay/${created.providerPaymentId}`);
    });

    it('sends the bearer API key and the amount as a JSON number in major units', async () => {
      const { seen, provider: viaRecorder } = await recorder();
      await viaRecorder.createPayment(input('order-h'), 'pay:order-h');
      expect(seen).toHaveLength(1);
      expect(seen[0]?.headers.get('authorization')).toBe(`Bearer ${API_KEY}`);
      expect(seen[0]?.body).toContain('"amount":150.5,');
      expect(JSON.parse(seen[0]?.body ?? '{}')).toMatchObject({
        checkout_reference: 'order-h',
        amount: 150.5,
        currency: 'EUR',
        merchant_code: MERCHANT,
      });
    });

    it('a repeated checkout_reference: SumUp answers 409 DUPLICATED_CHECKOUT, and the adapter returns the existing checkout', async () => {
      const first = await provider.createPayment(input('order-2'), 'pay:order-2');
      const raw = await fetch(`${server.apiUrl}/v0.1/checkouts`, {
        method: 'POST',
        headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          checkout_reference: 'order-2',
          amount: 150.5,
          currency: 'EUR',
          merchant_code: MERCHANT,
        }),
      });
      expect(raw.status).toBe(409);
      expect(await raw.json()).toMatchObject({ error_code: 'DUPLICATED_CHECKOUT' });

      const { seen, provider: viaRecorder } = await recorder();
      const again = await viaRecorder.createPayment(input('order-2'), 'pay:order-2');
      expect(again).toEqual(first);
      expect(sandbox.checkouts.size).toBe(1);
      expect(seen.map((r) => `${r.method} ${r.path}`)).toEqual([
        'POST /v0.1/checkouts',
        'GET /v0.1/checkouts?checkout_reference=order-2',
      ]);
    });

    it('a lost answer (timeout after the checkout was made) and the retry end with one checkout', async () => {
      sandbox.faults.inject('create', { delayMs: 1500, afterEffect: true });
      await expect(
        providerWith({ timeoutMs: 200 }).createPayment(input('order-3'), 'pay:order-3'),
      ).rejects.toBeInstanceOf(OutboundTimeoutError);
      expect(sandbox.checkouts.size).toBe(1);
      const retried = await provider.createPayment(input('order-3'), 'pay:order-3');
      expect(retried.providerPaymentId).toBe(sandbox.checkoutFor('order-3')?.id);
      expect(sandbox.checkouts.size).toBe(1);
    });

    it('an existing checkout for the reference with another amount -> OutboundResponseError, never a wrong checkout', async () => {
      await provider.createPayment(input('order-4'), 'pay:order-4');
      await expect(
        provider.createPayment(input('order-4', { amountMinor: 100, currency: 'EUR' }), 'pay:order-4'),
      ).rejects.toBeInstanceOf(OutboundResponseError);
      expect(sandbox.checkouts.size).toBe(1);
    });

    it('a wrong API key -> 401, not transient, nothing created', async () => {
      const error = await failureOf(
        providerWith({ apiKey: 'sup_sk_wrong' }).createPayment(input('order-5'), 'pay:order-5'),
      );
      expect((error as OutboundHttpError).status).toBe(401);
      expect((error as OutboundHttpError).isTransient).toBe(false);
      expect(sandbox.checkouts.size).toBe(0);
    });

    it('an injected 503 -> transient; the retry creates one checkout', async () => {
      sandbox.faults.inject('create', { status: 503 });
      const error = await failureOf(provider.createPayment(input('order-6'), 'pay:order-6'));
      expect((error as OutboundHttpError).isTransient).toBe(true);
      expect(sandbox.checkouts.size).toBe(0);
      await provider.createPayment(input('order-6'), 'pay:order-6');
      expect(sandbox.checkouts.size).toBe(1);
    });

    it('an amount that cannot travel exactly is refused before any call', async () => {
      const { seen, provider: viaRecorder } = await recorder();
      await expect(
        viaRecorder.createPayment(input('order-7', { amountMinor: 9007199254740991, currency: 'EUR' }), 'pay:order-7'),
      ).rejects.toBeInstanceOf(MoneyFormatError);
      expect(seen).toHaveLength(0);
    });

    it('a 2xx checkout without hosted_checkout_url -> OutboundResponseError', async () => {
      const odd = new Hono();
      odd.post('/v0.1/checkouts', (c) =>
        c.json({ id: 'c-1', checkout_reference: 'order-8', amount: 150.5, currency: 'EUR', status: 'PENDING' }, 201),
      );
      odd.get('/v0.1/checkouts/c-1', (c) =>
        c.json({ id: 'c-1', checkout_reference: 'order-8', amount: 150.5, currency: 'EUR', status: 'PENDING' }),
      );
      const oddServer = await startOnLoopback(odd);
      extraServers.push(oddServer);
      await expect(
        providerWith({ apiUrl: oddServer.url }).createPayment(input('order-8'), 'pay:order-8'),
      ).rejects.toBeInstanceOf(OutboundResponseError);
    });
  });

  describe('getPaymentStatus', () => {
    it.each([...SUMUP_SANDBOX_STATUSES])(
      'maps %s through sumupStatusMap, with amount and currency from the API',
      async (status: SumUpSandboxStatus) => {
        const { providerPaymentId } = await provider.createPayment(input(`order-${status}`), `pay:${status}`);
        await sandbox.setStatus(providerPaymentId, status, false);
        const report = await provider.getPaymentStatus(providerPaymentId);
        expect(report.status).toBe(sumupStatusMap[status]);
        expect(report.amount).toEqual({ amountMinor: 15050, currency: 'EUR' });
        expect(report.raw).toMatchObject({ id: providerPaymentId, status, amount: 150.5, currency: 'EUR' });
      },
    );

    it('the table covers exactly the four checkout statuses; FAILED keeps waiting (the customer may try again)', () => {
      expect(Object.keys(sumupStatusMap).sort()).toEqual([...SUMUP_SANDBOX_STATUSES].sort());
      expect(sumupStatusMap).toEqual({ PENDING: 'pending', FAILED: 'pending', PAID: 'succeeded', EXPIRED: 'canceled' });
    });

    it('a checkout that failed once and then was paid is a success', async () => {
      const { providerPaymentId } = await provider.createPayment(input('order-retry'), 'pay:retry');
      await fetch(`${server.url}/pay/${providerPaymentId}/fail`, { method: 'POST', redirect: 'manual' }).then((r) =>
        r.body?.cancel(),
      );
      expect(sandbox.checkout(providerPaymentId).transactions.map((t) => t.status)).toEqual(['FAILED']);
      expect((await provider.getPaymentStatus(providerPaymentId)).status).toBe('pending');
      await fetch(`${server.url}/pay/${providerPaymentId}/pay`, { method: 'POST', redirect: 'manual' }).then((r) =>
        r.body?.cancel(),
      );
      await waitFor(() => sandbox.checkout(providerPaymentId).status === 'PAID');
      expect((await provider.getPaymentStatus(providerPaymentId)).status).toBe('succeeded');
    });

    it.each([
      [{ amountMinor: 1, currency: 'EUR' }, 0.01],
      [{ amountMinor: 100000, currency: 'EUR' }, 1000],
      [{ amountMinor: 1500, currency: 'CLP' }, 1500],
      [{ amountMinor: 99999999, currency: 'GBP' }, 999999.99],
    ] as const)('%o travels as %d and comes back as the same minor units', async (amount, wire) => {
      const { providerPaymentId } = await provider.createPayment(input(`order-amt-${wire}`, amount), `pay:${wire}`);
      expect(sandbox.checkout(providerPaymentId).amount).toEqual(amount);
      const report = await provider.getPaymentStatus(providerPaymentId);
      expect((report.raw as { amount: number }).amount).toBe(wire);
      expect(report.amount).toEqual(amount);
    });

    it('reports the amount and currency SumUp reports (tampered here), so the core can see a mismatch', async () => {
      const { providerPaymentId } = await provider.createPayment(input('order-tamper'), 'pay:tamper');
      sandbox.tamperAmount(providerPaymentId, { amountMinor: 100, currency: 'USD' });
      expect((await provider.getPaymentStatus(providerPaymentId)).amount).toEqual({
        amountMinor: 100,
        currency: 'USD',
      });
    });

    it('an unknown status -> UnknownProviderStatusError, never guessed', async () => {
      const { providerPaymentId } = await provider.createPayment(input('order-weird'), 'pay:weird');
      for (const weird of ['SUCCESSFUL', 'paid', 'toString']) {
        (sandbox.checkout(providerPaymentId) as { status: string }).status = weird;
        await expect(provider.getPaymentStatus(providerPaymentId)).rejects.toBeInstanceOf(UnknownProviderStatusError);
      }
    });

    it('an unknown checkout -> 404, not transient', async () => {
      const error = await failureOf(provider.getPaymentStatus('no-such-checkout'));
      expect((error as OutboundHttpError).status).toBe(404);
      expect((error as OutboundHttpError).isTransient).toBe(false);
    });

    it('timeouts, 5xx and resets are the usual outbound errors', async () => {
      const { providerPaymentId } = await provider.createPayment(input('order-faults'), 'pay:faults');
      sandbox.faults.inject('get', { delayMs: 2000 });
      await expect(providerWith({ timeoutMs: 200 }).getPaymentStatus(providerPaymentId)).rejects.toBeInstanceOf(
        OutboundTimeoutError,
      );
      sandbox.faults.inject('get', { status: 500 });
      const error = await failureOf(provider.getPaymentStatus(providerPaymentId));
      expect((error as OutboundHttpError).isTransient).toBe(true);
      sandbox.faults.inject('get', { reset: true });
      await expect(provider.getPaymentStatus(providerPaymentId)).rejects.toBeInstanceOf(OutboundNetworkError);
      await expect(provider.getPaymentStatus(providerPaymentId)).resolves.toMatchObject({ status: 'pending' });
    });
  });

  describe('refund', () => {
    it('refunds the checkout’s successful transaction by its id, with an exact amount', async () => {
      const id = await paidCheckout('order-r1');
      const { seen, provider: viaRecorder } = await recorder();
      await viaRecorder.refund(id, { amountMinor: 15050, currency: 'EUR' }, 'order-r1:refund');
      const transaction = sandbox.checkout(id).transactions[0]!;
      expect(transaction.refundedMinor).toBe(15050);
      expect(seen.map((r) => `${r.method} ${r.path}`)).toEqual([
        `GET /v0.1/checkouts/${id}`,
        `POST /v0.1/me/refund/${transaction.id}`,
      ]);
      expect(JSON.parse(seen[1]!.body)).toEqual({ amount: 150.5 });
    });

    it('never beyond what was captured: a larger refund is refused, nothing refunded', async () => {
      const id = await paidCheckout('order-r2');
      const error = await failureOf(provider.refund(id, { amountMinor: 15051, currency: 'EUR' }, 'refund-r2'));
      expect(error).toBeInstanceOf(OutboundHttpError);
      expect((error as OutboundHttpError).isTransient).toBe(false);
      expect(sandbox.checkout(id).transactions[0]?.refundedMinor).toBe(0);
    });

    it("reads refunds back from the paid transaction's REFUND events; the adapter declares read-back and no key", async () => {
      const id = await paidCheckout('order-r6');
      expect((await provider.getPaymentStatus(id)).refunded).toEqual({ amountMinor: 0, currency: 'EUR' });
      await provider.refund(id, { amountMinor: 1000, currency: 'EUR' }, 'refund-r6-a');
      await provider.refund(id, { amountMinor: 50, currency: 'EUR' }, 'refund-r6-b');
      expect((await provider.getPaymentStatus(id)).refunded).toEqual({ amountMinor: 1050, currency: 'EUR' });
      expect(sandbox.checkout(id).transactions[0]!.refunds.map((r) => r.amountMinor)).toEqual([1000, 50]);
      expect(provider.refundGuarantees).toEqual({ readBack: true, idempotencyKey: false });
    });

    it('partial refunds add up to the captured amount and no further', async () => {
      const id = await paidCheckout('order-r3');
      await provider.refund(id, { amountMinor: 10000, currency: 'EUR' }, 'refund-r3-a');
      await expect(provider.refund(id, { amountMinor: 5051, currency: 'EUR' }, 'refund-r3-b')).rejects.toBeInstanceOf(
        OutboundHttpError,
      );
      await provider.refund(id, { amountMinor: 5050, currency: 'EUR' }, 'refund-r3-c');
      await expect(provider.refund(id, { amountMinor: 1, currency: 'EUR' }, 'refund-r3-d')).rejects.toBeInstanceOf(
        OutboundHttpError,
      );
      expect(sandbox.checkout(id).transactions[0]?.refundedMinor).toBe(15050);
    });

    it('a full refund whose answer was lost is refused when retried: nobody is refunded twice (the order goes to review)', async () => {
      const id = await paidCheckout('order-r4');
      sandbox.faults.inject('refund', { delayMs: 1500, afterEffect: true });
      await expect(
        providerWith({ timeoutMs: 200 }).refund(id, { amountMinor: 15050, currency: 'EUR' }, 'refund-r4'),
      ).rejects.toBeInstanceOf(OutboundTimeoutError);
      const error = await failureOf(provider.refund(id, { amountMinor: 15050, currency: 'EUR' }, 'refund-r4'));
      expect((error as OutboundHttpError).isTransient).toBe(false);
      expect(sandbox.checkout(id).transactions[0]?.refundedMinor).toBe(15050);
    });

    it('an injected 500 -> transient; the retry refunds once', async () => {
      const id = await paidCheckout('order-r5');
      sandbox.faults.inject('refund', { status: 500 });
      expect(
        ((await failureOf(provider.refund(id, { amountMinor: 50, currency: 'EUR' }, 'refund-r5'))) as OutboundHttpError)
          .isTransient,
      ).toBe(true);
      await provider.refund(id, { amountMinor: 50, currency: 'EUR' }, 'refund-r5');
      expect(sandbox.checkout(id).transactions[0]?.refundedMinor).toBe(50);
    });

    it('a checkout nobody paid has nothing to refund -> OutboundResponseError, no refund call', async () => {
      const { providerPaymentId } = await provider.createPayment(input('order-r6'), 'pay:r6');
      await sandbox.setStatus(providerPaymentId, 'FAILED', false);
      await expect(
        provider.refund(providerPaymentId, { amountMinor: 1, currency: 'EUR' }, 'refund-r6'),
      ).rejects.toBeInstanceOf(OutboundResponseError);
    });

    it('a refund in another currency than the checkout -> OutboundResponseError', async () => {
      const id = await paidCheckout('order-r7');
      await expect(provider.refund(id, { amountMinor: 1, currency: 'GBP' }, 'refund-r7')).rejects.toBeInstanceOf(
        OutboundResponseError,
      );
      expect(sandbox.checkout(id).transactions[0]?.refundedMinor).toBe(0);
    });
  });

  describe('webhooks (never trusted)', () => {
    it('the return_url callback names the checkout and reports no status or amount', () => {
      const body = JSON.stringify({ event_type: 'CHECKOUT_STATUS_CHANGED', id: 'c-42' });
      expect(provider.parseWebhook(body)).toEqual({
        eventId: 'CHECKOUT_STATUS_CHANGED:c-42',
        providerPaymentId: 'c-42',
        status: null,
        amount: null,
        raw: JSON.parse(body),
      });
    });

    it('the newer event shape also names the checkout, and a status in it is ignored', () => {
      const body = JSON.stringify({
        id: 'evt-1',
        event_type: 'checkout.status.updated',
        payload: { checkout_id: 'c-43', reference: 'order-x', status: 'PAID' },
        timestamp: '2024-09-12T12:43:24.818+00:00',
      });
      expect(provider.parseWebhook(body)).toMatchObject({
        eventId: 'checkout.status.updated:evt-1',
        providerPaymentId: 'c-43',
        status: null,
        amount: null,
      });
    });

    it.each([
      ['not JSON', '{'],
      ['empty', ''],
      ['another event', JSON.stringify({ event_type: 'PAYOUT_CREATED', id: 'p-1' })],
      ['no id', JSON.stringify({ event_type: 'CHECKOUT_STATUS_CHANGED' })],
      ['event without checkout_id', JSON.stringify({ id: 'e', event_type: 'checkout.status.updated', payload: {} })],
    ])('%s -> WebhookParseError', (_label, body) => {
      expect(() => provider.parseWebhook(body)).toThrow(WebhookParseError);
    });

    it('verifyWebhook accepts anything (authenticity comes from the API re-read); no special acknowledgement', async () => {
      await expect(provider.verifyWebhook()).resolves.toBeUndefined();
      expect((provider as PaymentProvider).webhookAcknowledgement).toBeUndefined();
      expect(provider.canQueryStatus).toBe(true);
    });
  });
});

class RecordingNotifier implements Notifier {
  readonly alerts: { kind: AlertKind; details: Record<string, unknown> }[] = [];
  async alert(kind: AlertKind, details: Record<string, unknown>): Promise<void> {
    this.alerts.push({ kind, details });
  }
  async notifyCustomer(): Promise<void> {}
}

describe('SumUp through the real server (loopback, real database)', () => {
  let sumup: SumUpSandbox;
  let sumupServer: LoopbackServer & { apiUrl: string };
  let stack: Stack;
  let notifier: RecordingNotifier;

  beforeEach(async () => {
    sumup = new SumUpSandbox({ apiKey: API_KEY, merchantCode: MERCHANT });
    sumupServer = await sumup.start();
    notifier = new RecordingNotifier();
    stack = await startStack({
      notifier,
      env: { SUMUP_API_URL: sumupServer.apiUrl, SUMUP_API_KEY: API_KEY, SUMUP_MERCHANT_CODE: MERCHANT },
    });
    await stack.createDevice('dev-su');
  });
  afterEach(async () => {
    await Promise.race([sumup.settled(), new Promise((resolve) => setTimeout(resolve, 2000))]);
    await stack?.stop();
    await sumupServer.close();
  });

  async function sumupOrder() {
    const created = await stack.request<{ order_id: string }>('POST', '/v1/orders', {
      body: {
        deviceId: 'dev-su',
        productId: 'latte',
        productName: 'Latte',
        size: 'M',
        price: 450,
        currency: 'EUR',
        provider: 'sumup',
      },
    });
    expect(created.status).toBe(201);
    const orderId = created.body.order_id;
    const paid = await stack.request<{ confirmationUrl: string }>('POST', `/v1/orders/${orderId}/pay`);
    expect(paid.status).toBe(200);
    const checkout = sumup.checkoutFor(orderId);
    if (!checkout) throw new Error('no SumUp checkout for the order');
    return { orderId, checkout, confirmationUrl: paid.body.confirmationUrl };
  }

  const customerPays = (checkoutId: string) =>
    fetch(`${sumupServer.url}/pay/${checkoutId}/pay`, { method: 'POST', redirect: 'manual' }).then(async (r) => {
      await r.body?.cancel();
      return r.headers.get('location');
    });

  it('a paid amount that differs from the order ends in requires_manual_review with an amount_mismatch alert, and no drink', async () => {
    const { orderId, checkout } = await sumupOrder();
    expect(checkout).toMatchObject({
      amount: { amountMinor: 450, currency: 'EUR' },
      returnUrl: `${stack.server.url}/v1/webhooks/sumup`,
    });
    sumup.tamperAmount(checkout.id, { amountMinor: 45, currency: 'EUR' });

    expect(await customerPays(checkout.id)).toBe(`${stack.server.url}/orders/${orderId}/return`);
    await stack.waitForStatus(orderId, 'requires_manual_review', 5000);
    const alert = await waitFor(
      () => notifier.alerts.find((a) => a.kind === 'amount_mismatch'),
      3000,
      'the amount_mismatch alert',
    );
    expect(alert.details).toMatchObject({ orderId });

    await sumup.settled();
    expect(sumup.deliveries.map((d) => d.status)).toEqual([200]);
    await stack.runtime.dispatcher.kick();
    expect(stack.tmetr.received).toHaveLength(0);
    const observed = (await stack.detail(orderId)).events.filter((e) => e.event === 'PAYMENT_OBSERVED');
    expect(observed.map((e) => [e.source, e.payload.status, e.payload.amount, e.to])).toEqual([
      ['webhook', 'succeeded', { amountMinor: 45, currency: 'EUR' }, 'requires_manual_review'],
    ]);
  });

  it('the customer pays: the callback is only a hint, the re-read checkout makes the order paid and one drink', async () => {
    stack.tmetr.resultCallbackUrl = undefined;
    const { orderId, checkout, confirmationUrl } = await sumupOrder();
    expect(confirmationUrl).toBe(`${sumupServer.url}/pay/${checkout.id}`);
    await customerPays(checkout.id);
    await stack.waitForStatus(orderId, 'make_pending', 5000);
    expect(stack.tmetr.received.map((c) => [c.order_id, c.price_minor, c.currency])).toEqual([[orderId, 450, 'EUR']]);
  });

  it('a callback claiming a payment that did not happen changes nothing; the return URL marks nothing paid either', async () => {
    const { orderId, checkout } = await sumupOrder();
    const before: OrderDetail = await stack.detail(orderId);
    const forged = await stack.request('POST', '/v1/webhooks/sumup', {
      body: {
        id: 'evt-forged',
        event_type: 'checkout.status.updated',
        payload: { checkout_id: checkout.id, status: 'PAID' },
      },
    });
    expect(forged.status).toBe(200);
    const page = await stack.request('GET', `/orders/${orderId}/return?status=PAID`);
    expect(page.status).toBe(200);
    await stack.runtime.dispatcher.kick();
    const after = await stack.detail(orderId);
    expect(after.status).toBe('pending');
    expect(after.events.filter((e) => e.event === 'PAYMENT_OBSERVED').map((e) => e.payload.status)).toEqual([
      'pending',
    ]);
    expect(after.version).toBeGreaterThanOrEqual(before.version);
    expect(stack.tmetr.received).toHaveLength(0);

    // The real payment afterwards is not taken for a duplicate of the forged claim.
    await customerPays(checkout.id);
    await stack.waitForStatus(orderId, 'successful', 5000);
  });

  it('a failed re-check (SumUp down) answers 503 so the callback comes again, and the retry is processed', async () => {
    stack.tmetr.resultCallbackUrl = undefined;
    const { orderId, checkout } = await sumupOrder();
    sumup.faults.inject('get', { status: 502 });
    await customerPays(checkout.id);
    await stack.waitForStatus(orderId, 'make_pending', 5000);
    await sumup.settled();
    expect(sumup.deliveries.map((d) => d.status)).toEqual([503, 200]);
  });
});
