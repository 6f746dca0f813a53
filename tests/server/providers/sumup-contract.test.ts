import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { MoneyFormatError, type CreatePaymentInput, type Money } from '@paystate/core';
import { OutboundHttpError, OutboundResponseError, SumUpProvider } from '@paystate/server';
import { exactAmount, sumupStatusMap } from '@paystate/server/testing';
import { SUMUP_SANDBOX_STATUSES, SumUpSandbox, type SumUpSandboxStatus } from '@paystate/sandbox';
import { waitFor, type OrderDetail } from '../../support/harness.js';
import { providerContract, throughTheServer, type AdapterOptions } from '../../support/provider-contract.js';

const API_KEY = 'sup_sk_test_0123456789';
const MERCHANT = 'MH4H92C7';
const eur = (amountMinor: number): Money => ({ amountMinor, currency: 'EUR' });

function input(orderId: string, amount: Money = eur(15050)): CreatePaymentInput {
  return {
    orderId,
    amount,
    description: `Latte for ${orderId}`,
    returnUrl: `https://pay.example/orders/${orderId}/return`,
  };
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
  const ctx = providerContract({
    name: 'SumUp',
    sandbox: () => new SumUpSandbox({ apiKey: API_KEY, merchantCode: MERCHANT }),
    adapterFor: (options: AdapterOptions<typeof SumUpProvider>) =>
      new SumUpProvider({
        apiKey: API_KEY,
        merchantCode: MERCHANT,
        webhookUrl: 'http://127.0.0.1:9/v1/webhooks/sumup',
        ...options,
      }),
    wrongCredentials: [{ label: 'a wrong API key', overrides: { apiKey: 'sup_sk_wrong' }, status: 401 }],
    payments: {
      input,
      amount: eur(15050),
      // The checkout_reference is the order id.
      idempotentOn: 'order id',
      declares: {
        code: 'sumup',
        canQueryStatus: true,
        refundGuarantees: { readBack: true, idempotencyKey: false },
      },
      statuses: {
        table: Object.entries(sumupStatusMap),
        set: (sandbox, id, status) => sandbox.setStatus(id, status as SumUpSandboxStatus, false),
        raw: (status, id) => ({ id, status, amount: 150.5, currency: 'EUR' }),
        undocumented: ['SUCCESSFUL', 'paid', 'toString'],
        force: (sandbox, id, status) => void ((sandbox.checkout(id) as { status: string }).status = status),
      },
      unknownPayment: { id: () => 'no-such-checkout', status: 404 },
      amounts: {
        // Major units as a JSON number.
        cases: [
          [eur(1), 0.01],
          [eur(100000), 1000],
          [{ amountMinor: 1500, currency: 'CLP' }, 1500],
          [{ amountMinor: 99999999, currency: 'GBP' }, 999999.99],
        ],
        wire: (raw) => (raw as { amount: number }).amount,
        stored: (sandbox, id) => sandbox.checkout(id).amount,
      },
      refunds: {
        supported: true,
        partial: true,
        pay: (sandbox, id) => sandbox.setStatus(id, 'PAID', false),
        refusal: OutboundHttpError,
        unpaid: [
          {
            label: 'a FAILED checkout has nothing to refund',
            setUp: (sandbox, id) => sandbox.setStatus(id, 'FAILED', false),
            refusal: OutboundResponseError,
          },
        ],
        shows: (sandbox, id, refundedMinor) =>
          expect(sandbox.checkout(id).transactions[0]?.refundedMinor).toBe(refundedMinor),
      },
      malformedWebhooks: [
        ['another event', JSON.stringify({ event_type: 'PAYOUT_CREATED', id: 'p-1' })],
        ['no id', JSON.stringify({ event_type: 'CHECKOUT_STATUS_CHANGED' })],
        ['event without checkout_id', JSON.stringify({ id: 'e', event_type: 'checkout.status.updated', payload: {} })],
      ],
    },
  });

  describe('createPayment', () => {
    it('creates a hosted checkout: reference = order id, exact amount, merchant code, webhook as return_url, customer back via redirect_url', async () => {
      const created = await ctx.adapter.createPayment(input('order-1'), 'pay:order-1');
      expect(ctx.sandbox.checkout(created.providerPaymentId)).toMatchObject({
        reference: 'order-1',
        amount: eur(15050),
        merchantCode: MERCHANT,
        description: 'Latte for order-1',
        returnUrl: 'http://127.0.0.1:9/v1/webhooks/sumup',
        redirectUrl: 'https://pay.example/orders/order-1/return',
        hosted: true,
        status: 'PENDING',
      });
      expect(created.confirmationUrl).toBe(`${ctx.server.url}/pay/${created.providerPaymentId}`);
    });

    it('sends the bearer API key and the amount as a JSON number in major units', async () => {
      const { seen, adapter } = await ctx.record();
      await adapter.createPayment(input('order-h'), 'pay:order-h');
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
      const first = await ctx.adapter.createPayment(input('order-2'), 'pay:order-2');
      const raw = await fetch(`${ctx.apiUrl}/v0.1/checkouts`, {
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

      const { seen, adapter } = await ctx.record();
      expect(await adapter.createPayment(input('order-2'), 'pay:order-2')).toEqual(first);
      expect(ctx.sandbox.checkouts.size).toBe(1);
      expect(seen.map((r) => `${r.method} ${r.path}`)).toEqual([
        'POST /v0.1/checkouts',
        'GET /v0.1/checkouts?checkout_reference=order-2',
      ]);
    });

    it('an existing checkout for the reference with another amount -> OutboundResponseError, never a wrong checkout', async () => {
      await ctx.adapter.createPayment(input('order-4'), 'pay:order-4');
      await expect(ctx.adapter.createPayment(input('order-4', eur(100)), 'pay:order-4')).rejects.toBeInstanceOf(
        OutboundResponseError,
      );
      expect(ctx.sandbox.checkouts.size).toBe(1);
    });

    it('an amount that cannot travel exactly is refused before any call', async () => {
      const { seen, adapter } = await ctx.record();
      await expect(
        adapter.createPayment(input('order-7', eur(9007199254740991)), 'pay:order-7'),
      ).rejects.toBeInstanceOf(MoneyFormatError);
      expect(seen).toHaveLength(0);
    });

    it('a 2xx checkout without hosted_checkout_url -> OutboundResponseError', async () => {
      const odd = new Hono();
      const checkout = { id: 'c-1', checkout_reference: 'order-8', amount: 150.5, currency: 'EUR', status: 'PENDING' };
      odd.post('/v0.1/checkouts', (c) => c.json(checkout, 201));
      odd.get('/v0.1/checkouts/c-1', (c) => c.json(checkout));
      const oddServer = await ctx.serve(odd);
      await expect(
        ctx.adapterWith({ apiUrl: oddServer.url }).createPayment(input('order-8'), 'pay:order-8'),
      ).rejects.toBeInstanceOf(OutboundResponseError);
    });
  });

  describe('getPaymentStatus', () => {
    it('the table covers exactly the four checkout statuses; FAILED keeps waiting (the customer may try again)', () => {
      expect(Object.keys(sumupStatusMap).sort()).toEqual([...SUMUP_SANDBOX_STATUSES].sort());
      expect(sumupStatusMap).toEqual({ PENDING: 'pending', FAILED: 'pending', PAID: 'succeeded', EXPIRED: 'canceled' });
    });

    it('a checkout that failed once and then was paid is a success', async () => {
      const { providerPaymentId } = await ctx.adapter.createPayment(input('order-retry'), 'pay:retry');
      const press = (button: string) =>
        fetch(`${ctx.server.url}/pay/${providerPaymentId}/${button}`, { method: 'POST', redirect: 'manual' }).then(
          (r) => r.body?.cancel(),
        );
      await press('fail');
      expect(ctx.sandbox.checkout(providerPaymentId).transactions.map((t) => t.status)).toEqual(['FAILED']);
      expect((await ctx.adapter.getPaymentStatus(providerPaymentId)).status).toBe('pending');
      await press('pay');
      await waitFor(() => ctx.sandbox.checkout(providerPaymentId).status === 'PAID');
      expect((await ctx.adapter.getPaymentStatus(providerPaymentId)).status).toBe('succeeded');
    });

    it('reports the amount and currency SumUp reports (tampered here), so the core can see a mismatch', async () => {
      const { providerPaymentId } = await ctx.adapter.createPayment(input('order-tamper'), 'pay:tamper');
      ctx.sandbox.tamperAmount(providerPaymentId, { amountMinor: 100, currency: 'USD' });
      expect((await ctx.adapter.getPaymentStatus(providerPaymentId)).amount).toEqual({
        amountMinor: 100,
        currency: 'USD',
      });
    });
  });

  describe('refund', () => {
    async function paidCheckout(orderId: string): Promise<string> {
      const { providerPaymentId } = await ctx.adapter.createPayment(input(orderId), `pay:${orderId}`);
      await ctx.sandbox.setStatus(providerPaymentId, 'PAID', false);
      return providerPaymentId;
    }

    it('refunds the checkout’s successful transaction by its id, with an exact amount', async () => {
      const id = await paidCheckout('order-r1');
      const { seen, adapter } = await ctx.record();
      await adapter.refund(id, eur(15050), 'order-r1:refund');
      const transaction = ctx.sandbox.checkout(id).transactions[0]!;
      expect(transaction.refundedMinor).toBe(15050);
      expect(seen.map((r) => `${r.method} ${r.path}`)).toEqual([
        `GET /v0.1/checkouts/${id}`,
        `POST /v0.1/me/refund/${transaction.id}`,
      ]);
      expect(JSON.parse(seen[1]!.body)).toEqual({ amount: 150.5 });
    });

    it('each refund is a REFUND event of the paid transaction (what the adapter reads back)', async () => {
      const id = await paidCheckout('order-r6');
      await ctx.adapter.refund(id, eur(1000), 'refund-r6-a');
      await ctx.adapter.refund(id, eur(50), 'refund-r6-b');
      expect(ctx.sandbox.checkout(id).transactions[0]!.refunds.map((r) => r.amountMinor)).toEqual([1000, 50]);
    });

    it('a refund in another currency than the checkout -> OutboundResponseError', async () => {
      const id = await paidCheckout('order-r7');
      await expect(ctx.adapter.refund(id, { amountMinor: 1, currency: 'GBP' }, 'refund-r7')).rejects.toBeInstanceOf(
        OutboundResponseError,
      );
      expect(ctx.sandbox.checkout(id).transactions[0]?.refundedMinor).toBe(0);
    });
  });

  describe('webhooks (never trusted)', () => {
    it('the return_url callback names the checkout and reports no status or amount', () => {
      const body = JSON.stringify({ event_type: 'CHECKOUT_STATUS_CHANGED', id: 'c-42' });
      expect(ctx.adapter.parseWebhook(body)).toEqual({
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
      expect(ctx.adapter.parseWebhook(body)).toMatchObject({
        eventId: 'checkout.status.updated:evt-1',
        providerPaymentId: 'c-43',
        status: null,
        amount: null,
      });
    });

    it('verifyWebhook accepts anything (authenticity comes from the API re-read)', async () => {
      await expect(ctx.adapter.verifyWebhook()).resolves.toBeUndefined();
    });
  });
});

describe('SumUp through the real server (loopback, real database)', () => {
  const ctx = throughTheServer({
    provider: 'sumup',
    price: eur(450),
    sandbox: () => new SumUpSandbox({ apiKey: API_KEY, merchantCode: MERCHANT }),
    env: (apiUrl) => ({ SUMUP_API_URL: apiUrl, SUMUP_API_KEY: API_KEY, SUMUP_MERCHANT_CODE: MERCHANT }),
    paymentFor: (sandbox, orderId) => sandbox.checkoutFor(orderId),
  });

  const customerPays = (checkoutId: string) =>
    fetch(`${ctx.server.url}/pay/${checkoutId}/pay`, { method: 'POST', redirect: 'manual' }).then(async (r) => {
      await r.body?.cancel();
      return r.headers.get('location');
    });

  it('a paid amount that differs from the order ends in requires_manual_review with an amount_mismatch alert, and no drink', async () => {
    const { orderId, payment: checkout } = await ctx.order();
    expect(checkout).toMatchObject({
      amount: { amountMinor: 450, currency: 'EUR' },
      returnUrl: `${ctx.stack.server.url}/v1/webhooks/sumup`,
    });
    ctx.sandbox.tamperAmount(checkout.id, { amountMinor: 45, currency: 'EUR' });

    expect(await customerPays(checkout.id)).toBe(`${ctx.stack.server.url}/orders/${orderId}/return`);
    await ctx.stack.waitForStatus(orderId, 'requires_manual_review', 5000);
    const alert = await waitFor(
      () => ctx.notifier.alerts.find((a) => a.kind === 'amount_mismatch'),
      3000,
      'the amount_mismatch alert',
    );
    expect(alert.details).toMatchObject({ orderId });

    await ctx.sandbox.settled();
    expect(ctx.sandbox.deliveries.map((d) => d.status)).toEqual([200]);
    await ctx.stack.runtime.dispatcher.kick();
    expect(ctx.stack.tmetr.received).toHaveLength(0);
    const observed = (await ctx.stack.detail(orderId)).events.filter((e) => e.event === 'PAYMENT_OBSERVED');
    expect(observed.map((e) => [e.source, e.payload.status, e.payload.amount, e.to])).toEqual([
      ['webhook', 'succeeded', { amount_minor: 45, currency: 'EUR' }, 'requires_manual_review'],
    ]);
  });

  it('the customer pays: the callback is only a hint, the re-read checkout makes the order paid and one drink', async () => {
    ctx.stack.tmetr.resultCallbackUrl = undefined;
    const { orderId, payment: checkout, confirmationUrl } = await ctx.order();
    expect(confirmationUrl).toBe(`${ctx.server.url}/pay/${checkout.id}`);
    await customerPays(checkout.id);
    await ctx.stack.waitForStatus(orderId, 'make_pending', 5000);
    expect(ctx.stack.tmetr.received.map((c) => [c.order_id, c.price_minor, c.currency])).toEqual([
      [orderId, 450, 'EUR'],
    ]);
  });

  it('a callback claiming a payment that did not happen changes nothing; the return URL marks nothing paid either', async () => {
    const { orderId, payment: checkout } = await ctx.order();
    const before: OrderDetail = await ctx.stack.detail(orderId);
    const forged = await ctx.stack.request('POST', '/v1/webhooks/sumup', {
      body: {
        id: 'evt-forged',
        event_type: 'checkout.status.updated',
        payload: { checkout_id: checkout.id, status: 'PAID' },
      },
    });
    expect(forged.status).toBe(200);
    const page = await ctx.stack.request('GET', `/orders/${orderId}/return?status=PAID`);
    expect(page.status).toBe(200);
    await ctx.stack.runtime.dispatcher.kick();
    const after = await ctx.stack.detail(orderId);
    expect(after.status).toBe('pending');
    expect(after.events.filter((e) => e.event === 'PAYMENT_OBSERVED').map((e) => e.payload.status)).toEqual([
      'pending',
    ]);
    expect(after.version).toBeGreaterThanOrEqual(before.version);
    expect(ctx.stack.tmetr.received).toHaveLength(0);

    // The real payment afterwards is not taken for a duplicate of the forged claim.
    await customerPays(checkout.id);
    await ctx.stack.waitForStatus(orderId, 'successful', 5000);
  });

  it('a failed re-check (SumUp down) answers 503 so the callback comes again, and the retry is processed', async () => {
    ctx.stack.tmetr.resultCallbackUrl = undefined;
    const { orderId, payment: checkout } = await ctx.order();
    ctx.sandbox.faults.inject('get', { status: 502 });
    await customerPays(checkout.id);
    await ctx.stack.waitForStatus(orderId, 'make_pending', 5000);
    await ctx.sandbox.settled();
    expect(ctx.sandbox.deliveries.map((d) => d.status)).toEqual([503, 200]);
  });
});
