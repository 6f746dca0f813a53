import { Hono } from 'hono';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AlertKind, CreatePaymentInput, Money, Notifier } from '@paystate/core';
import {
  OutboundHttpError,
  OutboundNetworkError,
  OutboundResponseError,
  OutboundTimeoutError,
  TBANK_WEBHOOK_ACKNOWLEDGEMENT,
  TBankProvider,
  TBankRefusedError,
  tbankStatusMap,
  tbankToken,
  tbankTokenMatches,
  UnknownProviderStatusError,
  WebhookParseError,
  WebhookVerificationError,
} from '@paystate/server';
import {
  startOnLoopback,
  TBANK_SANDBOX_STATUSES,
  TBankSandbox,
  type LoopbackServer,
  type TBankSandboxPayment,
  type TBankSandboxStatus,
} from '@paystate/sandbox';
import { startStack, waitFor, type ErrorBody, type OrderDetail, type Stack } from '../support/harness.js';

const TERMINAL_KEY = 'TinkoffBankTest1234';
const PASSWORD = 'terminal-password-42';
const silent = pino({ level: 'silent' });

function input(orderId: string, amount: Money = { amountMinor: 15050, currency: 'RUB' }): CreatePaymentInput {
  return { orderId, amount, description: `Latte for ${orderId}`, returnUrl: 'https://shop.example/orders/x/return' };
}

async function failureOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail, it succeeded');
}

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
  let sandbox: TBankSandbox;
  let server: LoopbackServer & { apiUrl: string };
  let provider: TBankProvider;
  const extraServers: LoopbackServer[] = [];

  const providerWith = (
    overrides: Partial<{ apiUrl: string; password: string; terminalKey: string; timeoutMs: number }> = {},
  ) =>
    new TBankProvider({
      apiUrl: server.apiUrl,
      terminalKey: TERMINAL_KEY,
      password: PASSWORD,
      timeoutMs: 500,
      logger: silent,
      notificationUrl: 'http://127.0.0.1:9/v1/webhooks/tbank',
      ...overrides,
    });

  beforeEach(async () => {
    sandbox = new TBankSandbox({ terminalKey: TERMINAL_KEY, password: PASSWORD });
    server = await sandbox.start();
    provider = providerWith();
  });
  afterEach(async () => {
    await Promise.all(extraServers.splice(0).map((extra) => extra.close()));
    await server.close();
  });

  async function confirmedPayment(orderId: string, amountMinor = 15050): Promise<string> {
    const { providerPaymentId } = await provider.createPayment(
      input(orderId, { amountMinor, currency: 'RUB' }),
      `pay:${orderId}`,
    );
    await sandbox.setStatus(providerPaymentId, 'CONFIRMED', false);
    return providerPaymentId;
  }

  describe('createPayment (Init)', () => {
    it('creates a one-stage payment with amount in kopecks, order id, description, return and notification URLs', async () => {
      const created = await provider.createPayment(input('order-1'), 'pay:order-1');
      const payment = sandbox.payment(created.providerPaymentId);
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
      expect(created.confirmationUrl).toBe(`${server.url}/new/${payment.formToken}`);
      expect(created.providerPaymentId).toMatch(/^\d+$/);
    });

    it('signs every request with a Token the sandbox checked; the password itself never travels, and no auth header is sent', async () => {
      const seen: Headers[] = [];
      const front = new Hono();
      front.all('*', (c) => {
        seen.push(new Headers(c.req.raw.headers));
        return sandbox.app.fetch(c.req.raw, c.env);
      });
      const recorder = await startOnLoopback(front);
      extraServers.push(recorder);
      const viaRecorder = providerWith({ apiUrl: `${recorder.url}/v2` });

      const { providerPaymentId } = await viaRecorder.createPayment(input('order-sig'), 'pay:order-sig');
      await sandbox.setStatus(providerPaymentId, 'CONFIRMED', false);
      await viaRecorder.getPaymentStatus(providerPaymentId);
      await viaRecorder.refund(providerPaymentId, { amountMinor: 50, currency: 'RUB' }, 'refund-sig');

      expect(sandbox.requests.map((r) => r.method)).toEqual(['Init', 'GetState', 'Cancel']);
      for (const { body } of sandbox.requests) {
        expect(body.TerminalKey).toBe(TERMINAL_KEY);
        expect(body.Token).toMatch(/^[0-9a-f]{64}$/);
        expect(body.Token).toBe(tbankToken(body, PASSWORD));
        expect(JSON.stringify(body)).not.toContain(PASSWORD);
      }
      expect(seen.map((h) => h.get('authorization'))).toEqual([null, null, null]);
      expect(seen.every((h) => h.get('content-type') === 'application/json')).toBe(true);
    });

    it('a wrong terminal password -> the sandbox refuses the Token: TBankRefusedError 204, not transient, nothing created', async () => {
      const error = await failureOf(
        providerWith({ password: 'wrong' }).createPayment(input('order-pw'), 'pay:order-pw'),
      );
      expect(error).toBeInstanceOf(TBankRefusedError);
      expect(error).toBeInstanceOf(OutboundHttpError);
      expect((error as TBankRefusedError).errorCode).toBe('204');
      expect((error as TBankRefusedError).isTransient).toBe(false);
      expect((error as Error).message).toContain('ErrorCode 204');
      expect(sandbox.payments.size).toBe(0);
    });

    it('a wrong terminal key is refused the same way', async () => {
      const error = await failureOf(
        providerWith({ terminalKey: 'SomeoneElse' }).createPayment(input('order-tk'), 'pay:order-tk'),
      );
      expect((error as TBankRefusedError).errorCode).toBe('204');
      expect(sandbox.payments.size).toBe(0);
    });

    it('is idempotent on the order id: Init again for the same unpaid order returns the same payment', async () => {
      const first = await provider.createPayment(input('order-2'), 'pay:order-2');
      const again = await provider.createPayment(input('order-2'), 'pay:order-2');
      expect(again).toEqual(first);
      expect(sandbox.payments.size).toBe(1);
      // Another order is another payment.
      const other = await provider.createPayment(input('order-3'), 'pay:order-3');
      expect(other.providerPaymentId).not.toBe(first.providerPaymentId);
      expect(sandbox.payments.size).toBe(2);
    });

    it('the same order id with another amount, or for an order already paid, is refused and creates nothing', async () => {
      await provider.createPayment(input('order-4'), 'pay:order-4');
      await expect(
        provider.createPayment(input('order-4', { amountMinor: 1, currency: 'RUB' }), 'pay:order-4'),
      ).rejects.toBeInstanceOf(TBankRefusedError);
      const paid = await confirmedPayment('order-5');
      await expect(provider.createPayment(input('order-5'), 'pay:order-5')).rejects.toBeInstanceOf(TBankRefusedError);
      expect(sandbox.payments.size).toBe(2);
      expect(sandbox.payment(paid).status).toBe('CONFIRMED');
    });

    it('an injected 503 on Init -> transient OutboundHttpError; the retry creates one payment', async () => {
      sandbox.faults.inject('create', { status: 503 });
      const error = await failureOf(provider.createPayment(input('order-6'), 'pay:order-6'));
      expect(error).toBeInstanceOf(OutboundHttpError);
      expect((error as OutboundHttpError).status).toBe(503);
      expect((error as OutboundHttpError).isTransient).toBe(true);
      expect(sandbox.payments.size).toBe(0);
      await provider.createPayment(input('order-6'), 'pay:order-6');
      expect(sandbox.payments.size).toBe(1);
    });

    it('a lost answer (timeout after the payment was made) and a retry still leave one payment for the order', async () => {
      sandbox.faults.inject('create', { delayMs: 1500, afterEffect: true });
      const error = await failureOf(providerWith({ timeoutMs: 200 }).createPayment(input('order-7'), 'pay:order-7'));
      expect(error).toBeInstanceOf(OutboundTimeoutError);
      expect(sandbox.payments.size).toBe(1);
      const retried = await provider.createPayment(input('order-7'), 'pay:order-7');
      expect(sandbox.payments.size).toBe(1);
      expect(retried.providerPaymentId).toBe(sandbox.paymentFor('order-7')?.paymentId);
    });

    it('keeps the description within 140 characters', async () => {
      const { providerPaymentId } = await provider.createPayment(
        { ...input('order-8'), description: 'Ж'.repeat(300) },
        'pay:order-8',
      );
      expect(sandbox.payment(providerPaymentId).description).toBe('Ж'.repeat(140));
    });

    it('refuses a currency other than roubles before calling T-Bank', async () => {
      await expect(
        provider.createPayment(input('order-eur', { amountMinor: 100, currency: 'EUR' }), 'pay:order-eur'),
      ).rejects.toThrow(/RUB/);
      expect(sandbox.requests).toHaveLength(0);
    });
  });

  describe('getPaymentStatus (GetState)', () => {
    it.each([...TBANK_SANDBOX_STATUSES])('maps %s through tbankStatusMap', async (status: TBankSandboxStatus) => {
      const { providerPaymentId } = await provider.createPayment(input(`order-${status}`), `pay:${status}`);
      await sandbox.setStatus(providerPaymentId, status, false);
      const report = await provider.getPaymentStatus(providerPaymentId);
      expect(report.status).toBe(tbankStatusMap[status]);
      expect(report.amount).toEqual({ amountMinor: 15050, currency: 'RUB' });
      expect(report.raw).toMatchObject({ PaymentId: providerPaymentId, Status: status, Amount: 15050 });
    });

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

    it('an unknown status -> UnknownProviderStatusError, never guessed (prototype names included)', async () => {
      const { providerPaymentId } = await provider.createPayment(input('order-weird'), 'pay:weird');
      for (const weird of ['PAID_MAYBE', 'constructor', 'confirmed']) {
        (sandbox.payment(providerPaymentId) as { status: string }).status = weird;
        await expect(provider.getPaymentStatus(providerPaymentId)).rejects.toBeInstanceOf(UnknownProviderStatusError);
      }
    });

    it('reports the amount T-Bank reports (tampered here), so the core can see a mismatch', async () => {
      const { providerPaymentId } = await provider.createPayment(input('order-tamper'), 'pay:tamper');
      sandbox.tamperAmount(providerPaymentId, 100);
      expect((await provider.getPaymentStatus(providerPaymentId)).amount).toEqual({
        amountMinor: 100,
        currency: 'RUB',
      });
    });

    it('an unknown payment -> TBankRefusedError, not transient', async () => {
      const error = await failureOf(provider.getPaymentStatus('999'));
      expect(error).toBeInstanceOf(TBankRefusedError);
      expect((error as TBankRefusedError).isTransient).toBe(false);
    });

    it('an injected delay beyond a 200 ms client timeout -> OutboundTimeoutError; the fault is then spent', async () => {
      const { providerPaymentId } = await provider.createPayment(input('order-slow'), 'pay:slow');
      sandbox.faults.inject('get', { delayMs: 2000 });
      const started = performance.now();
      await expect(providerWith({ timeoutMs: 200 }).getPaymentStatus(providerPaymentId)).rejects.toBeInstanceOf(
        OutboundTimeoutError,
      );
      expect(performance.now() - started).toBeLessThan(800);
      await expect(provider.getPaymentStatus(providerPaymentId)).resolves.toMatchObject({ status: 'pending' });
    });

    it('injected 502s -> transient OutboundHttpError for `times` calls, then an answer', async () => {
      const { providerPaymentId } = await provider.createPayment(input('order-502'), 'pay:502');
      sandbox.faults.inject('get', { status: 502, times: 2 });
      for (let i = 0; i < 2; i += 1) {
        const error = await failureOf(provider.getPaymentStatus(providerPaymentId));
        expect((error as OutboundHttpError).status).toBe(502);
        expect((error as OutboundHttpError).isTransient).toBe(true);
      }
      await expect(provider.getPaymentStatus(providerPaymentId)).resolves.toMatchObject({ status: 'pending' });
    });

    it('an injected connection reset -> OutboundNetworkError', async () => {
      const { providerPaymentId } = await provider.createPayment(input('order-reset'), 'pay:reset');
      sandbox.faults.inject('get', { reset: true });
      await expect(provider.getPaymentStatus(providerPaymentId)).rejects.toBeInstanceOf(OutboundNetworkError);
    });

    it('a 200 answer without Success -> OutboundResponseError', async () => {
      const odd = new Hono();
      odd.post('/v2/GetState', (c) => c.json({ Status: 'CONFIRMED' }));
      const oddServer = await startOnLoopback(odd);
      extraServers.push(oddServer);
      await expect(providerWith({ apiUrl: `${oddServer.url}/v2` }).getPaymentStatus('1')).rejects.toBeInstanceOf(
        OutboundResponseError,
      );
    });
  });

  describe('refund (Cancel)', () => {
    it('refunds a confirmed payment with the amount and the idempotency key as ExternalRequestId', async () => {
      const id = await confirmedPayment('order-r1');
      await provider.refund(id, { amountMinor: 15050, currency: 'RUB' }, 'order-r1:refund');
      expect(sandbox.payment(id)).toMatchObject({ status: 'REFUNDED', refunded: 15050 });
      expect(sandbox.requests.at(-1)?.body).toMatchObject({
        PaymentId: id,
        Amount: 15050,
        ExternalRequestId: 'order-r1:refund',
      });
    });

    it('never beyond what was captured: a larger refund is refused and nothing is refunded', async () => {
      const id = await confirmedPayment('order-r2');
      const error = await failureOf(provider.refund(id, { amountMinor: 15051, currency: 'RUB' }, 'refund-r2'));
      expect(error).toBeInstanceOf(TBankRefusedError);
      expect((error as TBankRefusedError).isTransient).toBe(false);
      expect(sandbox.payment(id)).toMatchObject({ status: 'CONFIRMED', refunded: 0 });
    });

    it('partial refunds add up to the captured amount and no further', async () => {
      const id = await confirmedPayment('order-r3');
      await provider.refund(id, { amountMinor: 10000, currency: 'RUB' }, 'refund-r3-a');
      expect(sandbox.payment(id).status).toBe('PARTIAL_REFUNDED');
      await expect(provider.refund(id, { amountMinor: 5051, currency: 'RUB' }, 'refund-r3-b')).rejects.toBeInstanceOf(
        TBankRefusedError,
      );
      await provider.refund(id, { amountMinor: 5050, currency: 'RUB' }, 'refund-r3-c');
      expect(sandbox.payment(id)).toMatchObject({ status: 'REFUNDED', refunded: 15050 });
    });

    it('the same key again is the same refund (ExternalRequestId), not a second one', async () => {
      const id = await confirmedPayment('order-r4');
      await provider.refund(id, { amountMinor: 10000, currency: 'RUB' }, 'refund-r4');
      await provider.refund(id, { amountMinor: 10000, currency: 'RUB' }, 'refund-r4');
      expect(sandbox.payment(id).refunded).toBe(10000);
      await expect(
        provider.refund(id, { amountMinor: 10000, currency: 'RUB' }, 'refund-r4-new'),
      ).rejects.toBeInstanceOf(TBankRefusedError);
      expect(sandbox.payment(id).refunded).toBe(10000);
    });

    it('a refund whose answer was lost (timeout after the effect), retried with the same key, refunds once', async () => {
      const id = await confirmedPayment('order-r5');
      sandbox.faults.inject('refund', { delayMs: 1500, afterEffect: true });
      await expect(
        providerWith({ timeoutMs: 200 }).refund(id, { amountMinor: 15050, currency: 'RUB' }, 'refund-r5'),
      ).rejects.toBeInstanceOf(OutboundTimeoutError);
      await provider.refund(id, { amountMinor: 15050, currency: 'RUB' }, 'refund-r5');
      expect(sandbox.payment(id)).toMatchObject({ status: 'REFUNDED', refunded: 15050 });
    });

    it('an injected 500 -> transient; the retry refunds once', async () => {
      const id = await confirmedPayment('order-r6');
      sandbox.faults.inject('refund', { status: 500 });
      const error = await failureOf(provider.refund(id, { amountMinor: 50, currency: 'RUB' }, 'refund-r6'));
      expect((error as OutboundHttpError).isTransient).toBe(true);
      expect(sandbox.payment(id).refunded).toBe(0);
      await provider.refund(id, { amountMinor: 50, currency: 'RUB' }, 'refund-r6');
      expect(sandbox.payment(id).refunded).toBe(50);
    });

    it('Cancel of a payment nobody paid only cancels it: not a refund -> OutboundResponseError', async () => {
      const { providerPaymentId } = await provider.createPayment(input('order-r7'), 'pay:r7');
      await expect(
        provider.refund(providerPaymentId, { amountMinor: 15050, currency: 'RUB' }, 'refund-r7'),
      ).rejects.toBeInstanceOf(OutboundResponseError);
      expect(sandbox.payment(providerPaymentId).refunded).toBe(0);
    });

    it('a rejected payment cannot be refunded -> TBankRefusedError', async () => {
      const { providerPaymentId } = await provider.createPayment(input('order-r8'), 'pay:r8');
      await sandbox.setStatus(providerPaymentId, 'REJECTED', false);
      await expect(
        provider.refund(providerPaymentId, { amountMinor: 1, currency: 'RUB' }, 'refund-r8'),
      ).rejects.toBeInstanceOf(TBankRefusedError);
    });
  });

  describe('notifications', () => {
    let payment: TBankSandboxPayment;
    beforeEach(async () => {
      const { providerPaymentId } = await provider.createPayment(input('order-n'), 'pay:order-n');
      payment = sandbox.payment(providerPaymentId);
      payment.status = 'CONFIRMED';
    });
    const raw = (body: unknown) => JSON.stringify(body);

    it('a notification signed with the terminal password verifies and reports its signed status and amount', async () => {
      const body = raw(sandbox.notificationFor(payment));
      await expect(provider.verifyWebhook({}, body)).resolves.toBeUndefined();
      expect(provider.parseWebhook(body)).toEqual({
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
      const body = raw(sandbox.notificationFor(payment, { DATA: { Route: 'ACQ', Source: 'cards' } }));
      await expect(provider.verifyWebhook({}, body)).resolves.toBeUndefined();
    });

    it('signed with another password -> WebhookVerificationError', async () => {
      await expect(
        provider.verifyWebhook({}, raw(sandbox.notificationFor(payment, {}, 'not-the-password'))),
      ).rejects.toBeInstanceOf(WebhookVerificationError);
    });

    it.each(['Status', 'Amount', 'PaymentId', 'Success', 'OrderId'] as const)(
      'a body tampered after signing (%s) -> WebhookVerificationError',
      async (field) => {
        const body = sandbox.notificationFor(payment);
        const value = body[field];
        body[field] = typeof value === 'number' ? value + 1 : typeof value === 'boolean' ? !value : `${String(value)}x`;
        await expect(provider.verifyWebhook({}, raw(body))).rejects.toBeInstanceOf(WebhookVerificationError);
      },
    );

    it('a scalar added after signing -> WebhookVerificationError', async () => {
      const body = { ...sandbox.notificationFor(payment), RebillId: 12345 };
      await expect(provider.verifyWebhook({}, raw(body))).rejects.toBeInstanceOf(WebhookVerificationError);
    });

    it.each([
      ['missing', undefined],
      ['empty', ''],
      ['short', 'abcdef'],
      ['upper-case of the right one', 'UPPER'],
      ['a number', 12345],
    ])('a %s Token -> WebhookVerificationError (never a RangeError from timingSafeEqual)', async (_label, token) => {
      const body: Record<string, unknown> = sandbox.notificationFor(payment);
      if (token === 'UPPER') body.Token = String(body.Token).toUpperCase();
      else if (token === undefined) delete body.Token;
      else body.Token = token;
      await expect(provider.verifyWebhook({}, raw(body))).rejects.toBeInstanceOf(WebhookVerificationError);
    });

    it('another terminal, a body that is not JSON or not an object -> WebhookVerificationError', async () => {
      const other = new TBankSandbox({ terminalKey: 'OtherTerminal', password: PASSWORD });
      await expect(provider.verifyWebhook({}, raw(other.notificationFor(payment)))).rejects.toBeInstanceOf(
        WebhookVerificationError,
      );
      for (const body of ['', '{"Status":', '[]', 'null', '"OK"']) {
        await expect(provider.verifyWebhook({}, body)).rejects.toBeInstanceOf(WebhookVerificationError);
      }
    });

    it.each([...TBANK_SANDBOX_STATUSES])('a %s notification reports the table status', (status) => {
      payment.status = status;
      expect(provider.parseWebhook(raw(sandbox.notificationFor(payment))).status).toBe(tbankStatusMap[status]);
    });

    it('an unknown status in a notification -> UnknownProviderStatusError', () => {
      expect(() => provider.parseWebhook(raw(sandbox.notificationFor(payment, { Status: 'SOMETHING_NEW' })))).toThrow(
        UnknownProviderStatusError,
      );
    });

    it.each([
      ['not JSON', '{'],
      [
        'no Status',
        raw({ TerminalKey: TERMINAL_KEY, OrderId: 'o', Success: true, PaymentId: 1, ErrorCode: '0', Amount: 1 }),
      ],
      [
        'fractional Amount',
        raw({
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
        raw({ TerminalKey: TERMINAL_KEY, OrderId: 'o', Success: true, Status: 'CONFIRMED', ErrorCode: '0', Amount: 1 }),
      ],
    ])('%s -> WebhookParseError', (_label, body) => {
      expect(() => provider.parseWebhook(body)).toThrow(WebhookParseError);
    });

    it('the provider asks for a bare `OK` as the acknowledgement', () => {
      expect(provider.webhookAcknowledgement).toEqual({ body: 'OK', contentType: 'text/plain; charset=utf-8' });
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
      const receiverServer = await startOnLoopback(receiver);
      extraServers.push(receiverServer);
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

class RecordingNotifier implements Notifier {
  readonly alerts: { kind: AlertKind; details: Record<string, unknown> }[] = [];
  async alert(kind: AlertKind, details: Record<string, unknown>): Promise<void> {
    this.alerts.push({ kind, details });
  }
  async notifyCustomer(): Promise<void> {}
}

describe('T-Bank through the real server (loopback, real database)', () => {
  let tbank: TBankSandbox;
  let tbankServer: LoopbackServer & { apiUrl: string };
  let stack: Stack;
  let notifier: RecordingNotifier;

  beforeEach(async () => {
    tbank = new TBankSandbox({ terminalKey: TERMINAL_KEY, password: PASSWORD, firstRetryPauseMs: 20 });
    tbankServer = await tbank.start();
    notifier = new RecordingNotifier();
    stack = await startStack({
      notifier,
      env: { TBANK_API_URL: tbankServer.apiUrl, TBANK_TERMINAL_KEY: TERMINAL_KEY, TBANK_PASSWORD: PASSWORD },
    });
    await stack.createDevice('dev-tb');
  });
  afterEach(async () => {
    await Promise.race([tbank.settled(), new Promise((resolve) => setTimeout(resolve, 2000))]);
    await stack?.stop();
    await tbankServer.close();
  });

  async function tbankOrder() {
    const created = await stack.request<{ order_id: string }>('POST', '/v1/orders', {
      body: {
        deviceId: 'dev-tb',
        productId: 'latte',
        productName: 'Latte',
        size: 'M',
        price: 15000,
        currency: 'RUB',
        provider: 'tbank',
      },
    });
    expect(created.status).toBe(201);
    const orderId = created.body.order_id;
    const paid = await stack.request<{ confirmationUrl: string }>('POST', `/v1/orders/${orderId}/pay`);
    expect(paid.status).toBe(200);
    const payment = tbank.paymentFor(orderId);
    if (!payment) throw new Error('no T-Bank payment for the order');
    return { orderId, payment, confirmationUrl: paid.body.confirmationUrl };
  }

  const webhook = (body: unknown) =>
    stack.request<ErrorBody>('POST', '/v1/webhooks/tbank', { raw: JSON.stringify(body) });

  it('the customer pays on the form: the signed notifications get 200 `OK`, the order is paid and exactly one drink is made', async () => {
    stack.tmetr.resultCallbackUrl = undefined;
    const { orderId, payment, confirmationUrl } = await tbankOrder();
    expect(confirmationUrl).toBe(`${tbankServer.url}/new/${payment.formToken}`);
    expect(payment).toMatchObject({
      amount: 15000,
      payType: 'O',
      notificationUrl: `${stack.server.url}/v1/webhooks/tbank`,
      successUrl: `${stack.server.url}/orders/${orderId}/return`,
    });

    const form = await fetch(confirmationUrl);
    expect(form.status).toBe(200);
    await form.body?.cancel();
    const pressed = await fetch(`${tbankServer.url}/new/${payment.formToken}/pay`, {
      method: 'POST',
      redirect: 'manual',
    });
    await pressed.body?.cancel();
    expect(pressed.headers.get('location')).toBe(`${stack.server.url}/orders/${orderId}/return`);

    await stack.waitForStatus(orderId, 'make_pending', 5000);
    await tbank.settled();
    expect(tbank.deliveries.map((d) => [d.status, d.body, d.acknowledged])).toEqual([
      [200, 'OK', true],
      [200, 'OK', true],
    ]);
    expect(stack.tmetr.received.map((c) => c.order_id)).toEqual([orderId]);

    const detail = await stack.detail(orderId);
    const observed = detail.events.filter((e) => e.event === 'PAYMENT_OBSERVED');
    expect(observed.map((e) => [e.source, e.payload.status, e.to])).toEqual([
      ['webhook', 'pending', 'pending'],
      ['webhook', 'succeeded', 'paid'],
    ]);

    // T-Bank delivers the same notification again: still `OK`, nothing changes.
    const again = await stack.request('POST', '/v1/webhooks/tbank', {
      raw: JSON.stringify(tbank.notificationFor(payment)),
    });
    expect(again.status).toBe(200);
    expect(again.text).toBe('OK');
    expect(again.headers.get('content-type')).toContain('text/plain');
    // A later full refund made in T-Bank's dashboard does not move a paid order backwards.
    await tbank.setStatus(payment.paymentId, 'REFUNDED');
    expect(tbank.deliveries.at(-1)).toMatchObject({ status: 200, body: 'OK' });
    expect((await stack.status(orderId)).status).toBe('make_pending');
    expect(stack.tmetr.received).toHaveLength(1);
  });

  it('a forged notification (wrong password) is 401 with the JSON error body and changes nothing; the real one then works', async () => {
    const { orderId, payment } = await tbankOrder();
    const before: OrderDetail = await stack.detail(orderId);
    payment.status = 'CONFIRMED';

    const forged = await webhook(tbank.notificationFor(payment, {}, 'guessed-password'));
    expect(forged.status).toBe(401);
    expect(forged.body.error.code).toBe('webhook_unverified');
    const tampered = tbank.notificationFor({ ...payment, status: 'NEW' });
    const lying = await webhook({ ...tampered, Status: 'CONFIRMED' });
    expect(lying.status).toBe(401);
    const unsigned: Record<string, unknown> = tbank.notificationFor(payment);
    delete unsigned.Token;
    expect((await webhook(unsigned)).status).toBe(401);

    await stack.runtime.dispatcher.kick();
    expect(await stack.detail(orderId)).toEqual(before);
    expect(stack.tmetr.received).toHaveLength(0);

    // The genuine notification is not shadowed by the forgeries.
    await tbank.setStatus(payment.paymentId, 'CONFIRMED');
    await stack.waitForStatus(orderId, 'successful', 5000);
    expect(tbank.deliveries.at(-1)).toMatchObject({ status: 200, body: 'OK', acknowledged: true });
  });

  it('a notification T-Bank cannot have delivered yet (unknown payment) gets a JSON error, so T-Bank delivers it again', async () => {
    const { payment } = await tbankOrder();
    const stranger = { ...payment, paymentId: '1234567', status: 'CONFIRMED' as const };
    const reply = await webhook(tbank.notificationFor(stranger));
    expect(reply.status).toBe(409);
    expect(reply.body.error.code).toBe('unknown_payment');
  });

  it('a signed amount that differs from the order ends in manual review with an amount_mismatch alert, no drink', async () => {
    const { orderId, payment } = await tbankOrder();
    tbank.tamperAmount(payment.paymentId, 100);
    await tbank.setStatus(payment.paymentId, 'CONFIRMED');
    await stack.waitForStatus(orderId, 'requires_manual_review');
    await waitFor(() => notifier.alerts.find((a) => a.kind === 'amount_mismatch'), 3000, 'the amount_mismatch alert');
    expect(notifier.alerts.find((a) => a.kind === 'amount_mismatch')?.details).toMatchObject({ orderId });
    expect(stack.tmetr.received).toHaveLength(0);
  });
});
