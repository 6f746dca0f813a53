import { Hono } from 'hono';
import { beforeEach, describe, expect, it } from 'vitest';
import type { CreatePaymentInput, Money } from '@paystate/core';
import {
  OutboundResponseError,
  TBankProvider,
  TBankRefusedError,
  UnknownProviderStatusError,
  WebhookVerificationError,
} from '@paystate/server';
import { TBANK_WEBHOOK_ACKNOWLEDGEMENT, tbankStatusMap, tbankToken, tbankTokenMatches } from '@paystate/server/testing';
import {
  TBANK_SANDBOX_STATUSES,
  TBankSandbox,
  type TBankSandboxPayment,
  type TBankSandboxStatus,
} from '@paystate/sandbox';
import { waitFor, type ErrorBody, type OrderDetail } from '../../support/harness.js';
import { providerContract, throughTheServer, type AdapterOptions } from '../../support/provider-contract.js';

const TERMINAL_KEY = 'TinkoffBankTest1234';
const PASSWORD = 'terminal-password-42';
const rub = (amountMinor: number): Money => ({ amountMinor, currency: 'RUB' });

function input(orderId: string, amount: Money = rub(15050)): CreatePaymentInput {
  return { orderId, amount, description: `Latte for ${orderId}`, returnUrl: 'https://shop.example/orders/x/return' };
}

const refusedWith204 = (error: unknown) => {
  expect((error as TBankRefusedError).errorCode).toBe('204');
  expect((error as Error).message).toContain('ErrorCode 204');
};

describe('tbankToken: the T-Bank signature', () => {
  it('matches the example T-Bank publishes for Init', () => {
    const params = {
      TerminalKey: 'MerchantTerminalKey',
      Amount: 19200,
      OrderId: '00000',
      Description: 'Подарочная карта на 1000 рублей',
    };
    expect(tbankToken(params, '11111111111111')).toBe(
      '72dd466f8ace0a37a1f740ce5fb78101712bc0665d91a8108c7c8a0ccd426db2',
    );
  });

  it('leaves out nested objects, arrays and the Token itself', () => {
    const params = {
      TerminalKey: 'MerchantTerminalKey',
      Amount: 19200,
      OrderId: '00000',
      Description: 'Подарочная карта на 1000 рублей',
    };
    const withExtras = {
      ...params,
      DATA: { Email: 'a@b.c' },
      Receipt: { Items: [{ Name: 'x' }] },
      Shops: [{ ShopCode: '1' }],
      Token: 'whatever',
    };
    expect(tbankToken(withExtras, '11111111111111')).toBe(tbankToken(params, '11111111111111'));
  });

  it('takes booleans as "true"/"false" and numbers as their decimal text, sorted by key with Password among them', () => {
    const token = tbankToken({ Success: true, Amount: 100, Status: 'CONFIRMED', Zeta: 'z' }, 'pw');
    // Amount, Password, Status, Success, Zeta
    expect(token).toBe(tbankToken({ Amount: '100', Status: 'CONFIRMED', Success: 'true', Zeta: 'z' }, 'pw'));
    expect(token).not.toBe(tbankToken({ Success: false, Amount: 100, Status: 'CONFIRMED', Zeta: 'z' }, 'pw'));
  });

  it('the sandbox signer (written separately) agrees with the adapter on notification-shaped bodies', () => {
    const sandbox = new TBankSandbox({ terminalKey: TERMINAL_KEY, password: PASSWORD });
    const bodies = [
      {
        TerminalKey: TERMINAL_KEY,
        OrderId: 'o-1',
        Success: true,
        Status: 'CONFIRMED',
        PaymentId: 4100000001,
        ErrorCode: '0',
        Amount: 15050,
      },
      {
        TerminalKey: TERMINAL_KEY,
        OrderId: 'o-2',
        Success: false,
        Status: 'REJECTED',
        PaymentId: '77',
        ErrorCode: '1051',
        Amount: 1,
        Pan: '4300**0777',
        DATA: { a: 1 },
      },
      { TerminalKey: TERMINAL_KEY, Amount: 1, Description: 'Кофе «Латте» 300 мл' },
    ];
    for (const body of bodies) expect(sandbox.sign(body)).toBe(tbankToken(body, PASSWORD));
  });

  it('tbankTokenMatches is false for a missing, empty, shorter or wrong Token, and never throws', () => {
    const body: Record<string, unknown> = { TerminalKey: TERMINAL_KEY, Amount: 5 };
    expect(tbankTokenMatches(body, PASSWORD)).toBe(false);
    for (const token of ['', 'abc', tbankToken(body, 'other').slice(0, 63), tbankToken(body, 'other'), 42]) {
      expect(tbankTokenMatches({ ...body, Token: token }, PASSWORD)).toBe(false);
    }
    expect(tbankTokenMatches({ ...body, Token: tbankToken(body, PASSWORD) }, PASSWORD)).toBe(true);
  });
});

describe('TBankProvider against TBankSandbox on loopback', () => {
  const ctx = providerContract({
    name: 'T-Bank',
    sandbox: () => new TBankSandbox({ terminalKey: TERMINAL_KEY, password: PASSWORD }),
    adapterFor: (options: AdapterOptions<typeof TBankProvider>) =>
      new TBankProvider({
        terminalKey: TERMINAL_KEY,
        password: PASSWORD,
        notificationUrl: 'http://127.0.0.1:9/v1/webhooks/tbank',
        ...options,
      }),
    // T-Bank answers HTTP 200 with Success false and an ErrorCode; the Token is refused (204).
    wrongCredentials: [
      {
        label: 'a wrong terminal password',
        overrides: { password: 'wrong' },
        refusal: TBankRefusedError,
        check: refusedWith204,
      },
      {
        label: 'a wrong terminal key',
        overrides: { terminalKey: 'SomeoneElse' },
        refusal: TBankRefusedError,
        check: refusedWith204,
      },
    ],
    payments: {
      input,
      amount: rub(15050),
      idempotentOn: 'order id',
      declares: {
        code: 'tbank',
        canQueryStatus: true,
        refundGuarantees: { readBack: false, idempotencyKey: true },
        webhookAcknowledgement: { body: 'OK', contentType: 'text/plain; charset=utf-8' },
      },
      statuses: {
        table: Object.entries(tbankStatusMap),
        set: (sandbox, id, status) => sandbox.setStatus(id, status as TBankSandboxStatus, false),
        raw: (status, id) => ({ PaymentId: id, Status: status, Amount: 15050 }),
        // Prototype names included.
        undocumented: ['PAID_MAYBE', 'constructor', 'confirmed'],
        force: (sandbox, id, status) => void ((sandbox.payment(id) as { status: string }).status = status),
      },
      unknownPayment: { id: () => '999', refusal: TBankRefusedError },
      amounts: {
        // Kopecks travel as they are.
        cases: [
          [rub(1), 1],
          [rub(100000), 100000],
        ],
        wire: (raw) => (raw as { Amount: number }).Amount,
        stored: (sandbox, id) => rub(sandbox.payment(id).amount),
      },
      refunds: {
        supported: true,
        partial: true,
        pay: (sandbox, id) => sandbox.setStatus(id, 'CONFIRMED', false),
        refusal: TBankRefusedError,
        unpaid: [
          {
            label: 'a NEW payment: Cancel only cancels it, not a refund',
            refusal: OutboundResponseError,
            after: (sandbox, id) => expect(sandbox.payment(id).refunded).toBe(0),
          },
          {
            label: 'a REJECTED payment',
            setUp: (sandbox, id) => sandbox.setStatus(id, 'REJECTED', false),
            refusal: TBankRefusedError,
          },
        ],
        shows: (sandbox, id, refundedMinor) =>
          expect(sandbox.payment(id)).toMatchObject({
            refunded: refundedMinor,
            status: refundedMinor === 0 ? 'CONFIRMED' : refundedMinor < 15050 ? 'PARTIAL_REFUNDED' : 'REFUNDED',
          }),
      },
      malformedWebhooks: [
        [
          'no Status',
          JSON.stringify({
            TerminalKey: TERMINAL_KEY,
            OrderId: 'o',
            Success: true,
            PaymentId: 1,
            ErrorCode: '0',
            Amount: 1,
          }),
        ],
        [
          'fractional Amount',
          JSON.stringify({
            TerminalKey: TERMINAL_KEY,
            OrderId: 'o',
            Success: true,
            Status: 'CONFIRMED',
            PaymentId: 1,
            ErrorCode: '0',
            Amount: 1.5,
          }),
        ],
        [
          'no PaymentId',
          JSON.stringify({
            TerminalKey: TERMINAL_KEY,
            OrderId: 'o',
            Success: true,
            Status: 'CONFIRMED',
            ErrorCode: '0',
            Amount: 1,
          }),
        ],
      ],
    },
  });

  async function confirmedPayment(orderId: string): Promise<string> {
    const { providerPaymentId } = await ctx.adapter.createPayment(input(orderId), `pay:${orderId}`);
    await ctx.sandbox.setStatus(providerPaymentId, 'CONFIRMED', false);
    return providerPaymentId;
  }

  describe('createPayment (Init)', () => {
    it('creates a one-stage payment with amount in kopecks, order id, description, return and notification URLs', async () => {
      const created = await ctx.adapter.createPayment(input('order-1'), 'pay:order-1');
      const payment = ctx.sandbox.payment(created.providerPaymentId);
      expect(payment).toMatchObject({
        orderId: 'order-1',
        status: 'NEW',
        amount: 15050,
        description: 'Latte for order-1',
        successUrl: 'https://shop.example/orders/x/return',
        failUrl: 'https://shop.example/orders/x/return',
        notificationUrl: 'http://127.0.0.1:9/v1/webhooks/tbank',
        payType: 'O',
      });
      expect(created.confirmationUrl).toBe(`${ctx.server.url}/new/${payment.formToken}`);
      expect(created.providerPaymentId).toMatch(/^\d+$/);
    });

    it('signs every request with a Token the sandbox checked; the password itself never travels, and no auth header is sent', async () => {
      const { seen, adapter } = await ctx.record();
      const { providerPaymentId } = await adapter.createPayment(input('order-sig'), 'pay:order-sig');
      await ctx.sandbox.setStatus(providerPaymentId, 'CONFIRMED', false);
      await adapter.getPaymentStatus(providerPaymentId);
      await adapter.refund(providerPaymentId, rub(50), 'refund-sig');

      expect(ctx.sandbox.requests.map((r) => r.method)).toEqual(['Init', 'GetState', 'Cancel']);
      for (const { body } of ctx.sandbox.requests) {
        expect(body.TerminalKey).toBe(TERMINAL_KEY);
        expect(body.Token).toMatch(/^[0-9a-f]{64}$/);
        expect(body.Token).toBe(tbankToken(body, PASSWORD));
        expect(JSON.stringify(body)).not.toContain(PASSWORD);
      }
      expect(seen.map((r) => r.headers.get('authorization'))).toEqual([null, null, null]);
      expect(seen.every((r) => r.headers.get('content-type') === 'application/json')).toBe(true);
    });

    it('the same order id with another amount, or for an order already paid, is refused and creates nothing', async () => {
      await ctx.adapter.createPayment(input('order-4'), 'pay:order-4');
      await expect(ctx.adapter.createPayment(input('order-4', rub(1)), 'pay:order-4')).rejects.toBeInstanceOf(
        TBankRefusedError,
      );
      const paid = await confirmedPayment('order-5');
      await expect(ctx.adapter.createPayment(input('order-5'), 'pay:order-5')).rejects.toBeInstanceOf(
        TBankRefusedError,
      );
      expect(ctx.sandbox.payments.size).toBe(2);
      expect(ctx.sandbox.payment(paid).status).toBe('CONFIRMED');
    });

    it('keeps the description within 140 characters', async () => {
      const { providerPaymentId } = await ctx.adapter.createPayment(
        { ...input('order-8'), description: 'Ж'.repeat(300) },
        'pay:order-8',
      );
      expect(ctx.sandbox.payment(providerPaymentId).description).toBe('Ж'.repeat(140));
    });

    it('refuses a currency other than roubles before calling T-Bank', async () => {
      await expect(
        ctx.adapter.createPayment(input('order-eur', { amountMinor: 100, currency: 'EUR' }), 'pay:order-eur'),
      ).rejects.toThrow(/RUB/);
      expect(ctx.sandbox.requests).toHaveLength(0);
    });
  });

  describe('getPaymentStatus (GetState)', () => {
    it('the table covers exactly the statuses T-Bank documents', () => {
      expect(Object.keys(tbankStatusMap).sort()).toEqual([...TBANK_SANDBOX_STATUSES].sort());
    });

    it('decisions: one-stage, so only CONFIRMED (and a partial refund, money kept) is success; full refunds and reversals are canceled', () => {
      expect(tbankStatusMap.CONFIRMED).toBe('succeeded');
      expect(tbankStatusMap.AUTHORIZED).toBe('pending');
      expect(tbankStatusMap.REFUNDED).toBe('canceled');
      expect(tbankStatusMap.REVERSED).toBe('canceled');
      expect(tbankStatusMap.PARTIAL_REFUNDED).toBe('succeeded');
      expect(tbankStatusMap.PARTIAL_REVERSED).toBe('waiting_for_capture');
      expect(tbankStatusMap.REFUNDING).toBe('pending');
      for (const failed of ['REJECTED', 'AUTH_FAIL', 'CANCELED', 'DEADLINE_EXPIRED', 'ATTEMPTS_EXPIRED'])
        expect(tbankStatusMap[failed]).toBe('canceled');
      expect(Object.values(tbankStatusMap).filter((s) => s === 'succeeded')).toHaveLength(2);
    });

    it('reports the amount T-Bank reports (tampered here), so the core can see a mismatch', async () => {
      const { providerPaymentId } = await ctx.adapter.createPayment(input('order-tamper'), 'pay:tamper');
      ctx.sandbox.tamperAmount(providerPaymentId, 100);
      expect((await ctx.adapter.getPaymentStatus(providerPaymentId)).amount).toEqual(rub(100));
    });

    it('a 200 answer without Success -> OutboundResponseError', async () => {
      const odd = new Hono();
      odd.post('/v2/GetState', (c) => c.json({ Status: 'CONFIRMED' }));
      const oddServer = await ctx.serve(odd);
      await expect(ctx.adapterWith({ apiUrl: `${oddServer.url}/v2` }).getPaymentStatus('1')).rejects.toBeInstanceOf(
        OutboundResponseError,
      );
    });
  });

  it('refund (Cancel) sends the amount and the idempotency key as ExternalRequestId', async () => {
    const id = await confirmedPayment('order-r1');
    await ctx.adapter.refund(id, rub(15050), 'order-r1:refund');
    expect(ctx.sandbox.requests.at(-1)?.body).toMatchObject({
      PaymentId: id,
      Amount: 15050,
      ExternalRequestId: 'order-r1:refund',
    });
  });

  describe('notifications', () => {
    let payment: TBankSandboxPayment;
    beforeEach(async () => {
      const { providerPaymentId } = await ctx.adapter.createPayment(input('order-n'), 'pay:order-n');
      payment = ctx.sandbox.payment(providerPaymentId);
      payment.status = 'CONFIRMED';
    });
    const raw = (body: unknown) => JSON.stringify(body);

    it('a notification signed with the terminal password verifies and reports its signed status and amount', async () => {
      const body = raw(ctx.sandbox.notificationFor(payment));
      await expect(ctx.adapter.verifyWebhook({}, body)).resolves.toBeUndefined();
      expect(ctx.adapter.parseWebhook(body)).toEqual({
        eventId: `CONFIRMED:${payment.paymentId}:15050`,
        providerPaymentId: payment.paymentId,
        status: 'succeeded',
        amount: { amountMinor: 15050, currency: 'RUB' },
        raw: JSON.parse(body),
      });
      // PaymentId arrives as a number and names the payment Init returned as a string.
      expect(typeof JSON.parse(body).PaymentId).toBe('number');
    });

    it('nested objects in a notification are outside the signature', async () => {
      const body = raw(ctx.sandbox.notificationFor(payment, { DATA: { Route: 'ACQ', Source: 'cards' } }));
      await expect(ctx.adapter.verifyWebhook({}, body)).resolves.toBeUndefined();
    });

    it('signed with another password -> WebhookVerificationError', async () => {
      await expect(
        ctx.adapter.verifyWebhook({}, raw(ctx.sandbox.notificationFor(payment, {}, 'not-the-password'))),
      ).rejects.toBeInstanceOf(WebhookVerificationError);
    });

    it.each(['Status', 'Amount', 'PaymentId', 'Success', 'OrderId'] as const)(
      'a body tampered after signing (%s) -> WebhookVerificationError',
      async (field) => {
        const body = ctx.sandbox.notificationFor(payment);
        const value = body[field];
        body[field] = typeof value === 'number' ? value + 1 : typeof value === 'boolean' ? !value : `${String(value)}x`;
        await expect(ctx.adapter.verifyWebhook({}, raw(body))).rejects.toBeInstanceOf(WebhookVerificationError);
      },
    );

    it('a scalar added after signing -> WebhookVerificationError', async () => {
      const body = { ...ctx.sandbox.notificationFor(payment), RebillId: 12345 };
      await expect(ctx.adapter.verifyWebhook({}, raw(body))).rejects.toBeInstanceOf(WebhookVerificationError);
    });

    it.each([
      ['missing', undefined],
      ['empty', ''],
      ['short', 'abcdef'],
      ['upper-case of the right one', 'UPPER'],
      ['a number', 12345],
    ])('a %s Token -> WebhookVerificationError (never a RangeError from timingSafeEqual)', async (_label, token) => {
      const body: Record<string, unknown> = ctx.sandbox.notificationFor(payment);
      if (token === 'UPPER') body.Token = String(body.Token).toUpperCase();
      else if (token === undefined) delete body.Token;
      else body.Token = token;
      await expect(ctx.adapter.verifyWebhook({}, raw(body))).rejects.toBeInstanceOf(WebhookVerificationError);
    });

    it('another terminal, a body that is not JSON or not an object -> WebhookVerificationError', async () => {
      const other = new TBankSandbox({ terminalKey: 'OtherTerminal', password: PASSWORD });
      await expect(ctx.adapter.verifyWebhook({}, raw(other.notificationFor(payment)))).rejects.toBeInstanceOf(
        WebhookVerificationError,
      );
      for (const body of ['', '{"Status":', '[]', 'null', '"OK"']) {
        await expect(ctx.adapter.verifyWebhook({}, body)).rejects.toBeInstanceOf(WebhookVerificationError);
      }
    });

    it.each([...TBANK_SANDBOX_STATUSES])('a %s notification reports the table status', (status) => {
      payment.status = status;
      expect(ctx.adapter.parseWebhook(raw(ctx.sandbox.notificationFor(payment))).status).toBe(tbankStatusMap[status]);
    });

    it('an unknown status in a notification -> UnknownProviderStatusError', () => {
      expect(() =>
        ctx.adapter.parseWebhook(raw(ctx.sandbox.notificationFor(payment, { Status: 'SOMETHING_NEW' }))),
      ).toThrow(UnknownProviderStatusError);
    });

    it('the acknowledgement it declares is the exported TBANK_WEBHOOK_ACKNOWLEDGEMENT, a bare `OK`', () => {
      expect(ctx.adapter.webhookAcknowledgement).toEqual(TBANK_WEBHOOK_ACKNOWLEDGEMENT);
      expect(TBANK_WEBHOOK_ACKNOWLEDGEMENT.body).toBe('OK');
    });

    it('the sandbox counts a delivery only on HTTP 200 with body OK, and retries otherwise', async () => {
      let answers = 0;
      const receiver = new Hono();
      receiver.post('/hook', (c) => {
        answers += 1;
        if (answers === 1) return c.json({ outcome: 'applied' });
        if (answers === 2) return c.text('OK', 201);
        return c.text('OK');
      });
      const receiverServer = await ctx.serve(receiver);
      const quick = new TBankSandbox({ terminalKey: TERMINAL_KEY, password: PASSWORD, firstRetryPauseMs: 5 });
      await expect(quick.send(`${receiverServer.url}/hook`, { any: 'thing' })).resolves.toBe(true);
      expect(quick.deliveries.map((d) => [d.status, d.acknowledged])).toEqual([
        [200, false],
        [201, false],
        [200, true],
      ]);
    });
  });
});

describe('T-Bank through the real server (loopback, real database)', () => {
  const ctx = throughTheServer({
    provider: 'tbank',
    price: rub(15000),
    sandbox: () => new TBankSandbox({ terminalKey: TERMINAL_KEY, password: PASSWORD, firstRetryPauseMs: 20 }),
    env: (apiUrl) => ({ TBANK_API_URL: apiUrl, TBANK_TERMINAL_KEY: TERMINAL_KEY, TBANK_PASSWORD: PASSWORD }),
    paymentFor: (sandbox, orderId) => sandbox.paymentFor(orderId),
  });

  const webhook = (body: unknown) =>
    ctx.stack.request<ErrorBody>('POST', '/v1/webhooks/tbank', { raw: JSON.stringify(body) });

  it('the customer pays on the form: the signed notifications get 200 `OK`, the order is paid and exactly one drink is made', async () => {
    ctx.stack.tmetr.resultCallbackUrl = undefined;
    const { orderId, payment, confirmationUrl } = await ctx.order();
    expect(confirmationUrl).toBe(`${ctx.server.url}/new/${payment.formToken}`);
    expect(payment).toMatchObject({
      amount: 15000,
      payType: 'O',
      notificationUrl: `${ctx.stack.server.url}/v1/webhooks/tbank`,
      successUrl: `${ctx.stack.server.url}/orders/${orderId}/return`,
    });

    const form = await fetch(confirmationUrl);
    expect(form.status).toBe(200);
    await form.body?.cancel();
    const pressed = await fetch(`${ctx.server.url}/new/${payment.formToken}/pay`, {
      method: 'POST',
      redirect: 'manual',
    });
    await pressed.body?.cancel();
    expect(pressed.headers.get('location')).toBe(`${ctx.stack.server.url}/orders/${orderId}/return`);

    await ctx.stack.waitForStatus(orderId, 'make_pending', 5000);
    await ctx.sandbox.settled();
    expect(ctx.sandbox.deliveries.map((d) => [d.status, d.body, d.acknowledged])).toEqual([
      [200, 'OK', true],
      [200, 'OK', true],
    ]);
    expect(ctx.stack.tmetr.received.map((c) => c.order_id)).toEqual([orderId]);

    const detail = await ctx.stack.detail(orderId);
    const observed = detail.events.filter((e) => e.event === 'PAYMENT_OBSERVED');
    expect(observed.map((e) => [e.source, e.payload.status, e.to])).toEqual([
      ['webhook', 'pending', 'pending'],
      ['webhook', 'succeeded', 'paid'],
    ]);

    // T-Bank delivers the same notification again: still `OK`, nothing changes.
    const again = await ctx.stack.request('POST', '/v1/webhooks/tbank', {
      raw: JSON.stringify(ctx.sandbox.notificationFor(payment)),
    });
    expect(again.status).toBe(200);
    expect(again.text).toBe('OK');
    expect(again.headers.get('content-type')).toContain('text/plain');
    // A later full refund made in T-Bank's dashboard does not move a paid order backwards.
    await ctx.sandbox.setStatus(payment.paymentId, 'REFUNDED');
    expect(ctx.sandbox.deliveries.at(-1)).toMatchObject({ status: 200, body: 'OK' });
    expect((await ctx.stack.status(orderId)).status).toBe('make_pending');
    expect(ctx.stack.tmetr.received).toHaveLength(1);
  });

  it('a forged notification (wrong password) is 401 with the JSON error body and changes nothing; the real one then works', async () => {
    const { orderId, payment } = await ctx.order();
    const before: OrderDetail = await ctx.stack.detail(orderId);
    payment.status = 'CONFIRMED';

    const forged = await webhook(ctx.sandbox.notificationFor(payment, {}, 'guessed-password'));
    expect(forged.status).toBe(401);
    expect(forged.body.error.code).toBe('webhook_unverified');
    const tampered = ctx.sandbox.notificationFor({ ...payment, status: 'NEW' });
    const lying = await webhook({ ...tampered, Status: 'CONFIRMED' });
    expect(lying.status).toBe(401);
    const unsigned: Record<string, unknown> = ctx.sandbox.notificationFor(payment);
    delete unsigned.Token;
    expect((await webhook(unsigned)).status).toBe(401);

    await ctx.stack.runtime.dispatcher.kick();
    expect(await ctx.stack.detail(orderId)).toEqual(before);
    expect(ctx.stack.tmetr.received).toHaveLength(0);

    // The genuine notification is not shadowed by the forgeries.
    await ctx.sandbox.setStatus(payment.paymentId, 'CONFIRMED');
    await ctx.stack.waitForStatus(orderId, 'successful', 5000);
    expect(ctx.sandbox.deliveries.at(-1)).toMatchObject({ status: 200, body: 'OK', acknowledged: true });
  });

  it('a notification T-Bank cannot have delivered yet (unknown payment) gets a JSON error, so T-Bank delivers it again', async () => {
    const { payment } = await ctx.order();
    const stranger = { ...payment, paymentId: '1234567', status: 'CONFIRMED' as const };
    const reply = await webhook(ctx.sandbox.notificationFor(stranger));
    expect(reply.status).toBe(409);
    expect(reply.body.error.code).toBe('unknown_payment');
  });

  it('a signed amount that differs from the order ends in manual review with an amount_mismatch alert, no drink', async () => {
    const { orderId, payment } = await ctx.order();
    ctx.sandbox.tamperAmount(payment.paymentId, 100);
    await ctx.sandbox.setStatus(payment.paymentId, 'CONFIRMED');
    await ctx.stack.waitForStatus(orderId, 'requires_manual_review');
    await waitFor(
      () => ctx.notifier.alerts.find((a) => a.kind === 'amount_mismatch'),
      3000,
      'the amount_mismatch alert',
    );
    expect(ctx.notifier.alerts.find((a) => a.kind === 'amount_mismatch')?.details).toMatchObject({ orderId });
    expect(ctx.stack.tmetr.received).toHaveLength(0);
  });
});
