/**
 * Two restaurants on one paystate, each paid into its own Wave account (docs/merchants.md):
 * platform → merchants → merchant admin keys → sealed provider accounts → cashier keys → sales,
 * webhooks and refunds, checked against each Wave sandbox's own books.
 */
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WaveSandbox, type LoopbackServer } from '@paystate/sandbox';
import { ADMIN_TOKEN, startStack, type ErrorBody, type Reply, type Stack } from '../support/harness.js';
import { testBackend } from '../support/temp-db.js';

const T = 20_000;

interface Restaurant {
  id: string;
  wave: WaveSandbox;
  server: LoopbackServer;
  credentials: { WAVE_API_URL: string; WAVE_API_KEY: string; WAVE_WEBHOOK_SECRET: string };
  adminKey: string;
  cashierKey: string;
  accountId: string;
  webhookUrl: string;
}

interface PaymentView {
  payment_id: string;
  status: string;
  provider_payment_id: string;
  provider_account_id: string | null;
  refunded_minor: number;
}

describe(`merchants as tenants on ${testBackend}: each restaurant's money in its own Wave account`, () => {
  let stack: Stack;
  const restaurants: Restaurant[] = [];

  const call = <B = unknown>(token: string, method: string, path: string, body?: unknown, key?: string) =>
    stack.request<B>(method, path, {
      token,
      ...(body === undefined ? {} : { body }),
      ...(key ? { headers: { 'idempotency-key': key } } : {}),
    });

  function expectOk<B>(reply: Reply<B>, status: number): B {
    expect({ status: reply.status, body: reply.body }).toMatchObject({ status });
    return reply.body;
  }

  beforeEach(async () => {
    stack = await startStack({
      merchants: [],
      env: { FULFILMENT: 'none', PAYSTATE_MASTER_KEY: randomBytes(32).toString('base64') },
    });
    restaurants.length = 0;
    for (const id of ['lome-1', 'lome-2']) {
      const secrets = { apiKey: `wave_${id}_${randomBytes(8).toString('hex')}`, webhookSecret: `wave_${id}_whs` };
      const wave = new WaveSandbox(secrets);
      const server = await wave.start();
      expectOk(await call(ADMIN_TOKEN, 'POST', '/v1/admin/merchants', { id, name: `Restaurant ${id}` }), 201);
      const admin = expectOk(
        await call<{ key: string }>(ADMIN_TOKEN, 'POST', '/v1/admin/api-keys', {
          scope: 'merchant_admin',
          label: `${id} owner`,
          merchant_id: id,
        }),
        201,
      );
      const credentials = {
        WAVE_API_URL: server.url,
        WAVE_API_KEY: secrets.apiKey,
        WAVE_WEBHOOK_SECRET: secrets.webhookSecret,
      };
      const account = expectOk(
        await call<{ id: string; webhook_url: string }>(admin.key, 'POST', `/v1/merchants/${id}/provider-accounts`, {
          provider_code: 'wave',
          label: 'main',
          credentials,
        }),
        201,
      );
      wave.webhookUrl = account.webhook_url;
      expectOk(
        await call(admin.key, 'POST', `/v1/merchants/${id}/payment-methods`, {
          provider_code: 'wave',
          display_name: 'Wave',
          account_id: account.id,
        }),
        201,
      );
      const cashier = expectOk(
        await call<{ key: string }>(admin.key, 'POST', '/v1/admin/api-keys', { scope: 'cashier', label: `${id} till` }),
        201,
      );
      restaurants.push({
        id,
        wave,
        server,
        credentials,
        adminKey: admin.key,
        cashierKey: cashier.key,
        accountId: account.id,
        webhookUrl: account.webhook_url,
      });
    }
  });

  afterEach(async () => {
    for (const r of restaurants) await Promise.race([r.wave.settled(), new Promise((done) => setTimeout(done, 2000))]);
    await stack?.stop();
    for (const r of restaurants) await r.server.close();
  });

  async function sell(r: Restaurant, amountMinor: number): Promise<PaymentView> {
    const created = expectOk(
      await call<PaymentView>(
        r.cashierKey,
        'POST',
        `/v1/merchants/${r.id}/payments`,
        { method: 'wave', amount_minor: amountMinor, currency: 'XOF', description: 'Attiéké' },
        `sale-${r.id}-${amountMinor}`,
      ),
      201,
    );
    expect(created.provider_account_id).toBe(r.accountId);
    return created;
  }

  it(
    'payments, signed webhooks and refunds of two merchants each reach only their own Wave account',
    async () => {
      const [a, b] = restaurants as [Restaurant, Restaurant];
      const saleA = await sell(a, 1_500);
      const saleB = await sell(b, 2_500);
      // Each payment was created in its own merchant's Wave, with that account's key.
      expect(a.wave.books().map((entry) => entry.amount.amountMinor)).toEqual([1_500]);
      expect(b.wave.books().map((entry) => entry.amount.amountMinor)).toEqual([2_500]);

      // Each Wave signs with its own secret and posts to its account's URL: both payments settle.
      for (const [r, sale] of [
        [a, saleA],
        [b, saleB],
      ] as const) {
        await r.wave.complete(sale.provider_payment_id, false);
        expect(
          await r.wave.notify(r.wave.event('checkout.session.completed', sale.provider_payment_id), undefined, {
            attempts: 1,
          }),
        ).toBe(true);
        const settled = expectOk(
          await call<PaymentView>(r.cashierKey, 'GET', `/v1/merchants/${r.id}/payments/${sale.payment_id}`),
          200,
        );
        expect(settled.status).toBe('success');
      }

      // B's event signed by B's Wave but sent to A's URL is not verified there (A's secret).
      const raw = JSON.stringify(b.wave.event('checkout.session.completed', saleB.provider_payment_id));
      const crossed = await stack.request<ErrorBody>('POST', a.webhookUrl, {
        raw,
        headers: { 'wave-signature': b.wave.signatureHeader(raw) },
      });
      expect(crossed.status).toBe(401);

      // Refunds: each cashier refunds in full; each Wave refunds its own session once.
      for (const [r, sale] of [
        [a, saleA],
        [b, saleB],
      ] as const) {
        const amount = r === a ? 1_500 : 2_500;
        expectOk(
          await call(
            r.cashierKey,
            'POST',
            `/v1/merchants/${r.id}/payments/${sale.payment_id}/refunds`,
            { amount_minor: amount },
            `refund-${r.id}`,
          ),
          201,
        );
      }
      expect(a.wave.books()).toEqual([
        expect.objectContaining({
          captured: { amountMinor: 1_500, currency: 'XOF' },
          refunded: { amountMinor: 1_500, currency: 'XOF' },
        }),
      ]);
      expect(b.wave.books()).toEqual([
        expect.objectContaining({
          captured: { amountMinor: 2_500, currency: 'XOF' },
          refunded: { amountMinor: 2_500, currency: 'XOF' },
        }),
      ]);
      expect(a.wave.refunds).toEqual([saleA.provider_payment_id]);
      expect(b.wave.refunds).toEqual([saleB.provider_payment_id]);
    },
    T,
  );

  it(
    "a merchant's keys never reach the other merchant, and no answer carries a credential",
    async () => {
      const [a, b] = restaurants as [Restaurant, Restaurant];
      const saleB = await sell(b, 2_500);
      for (const [path, method] of [
        [`/v1/merchants/${b.id}/payments`, 'GET'],
        [`/v1/merchants/${b.id}/payments/${saleB.payment_id}`, 'GET'],
        [`/v1/merchants/${b.id}/provider-accounts`, 'GET'],
        [`/v1/admin/merchants/${b.id}`, 'GET'],
      ] as const) {
        for (const key of [a.adminKey, a.cashierKey]) {
          const reply = await call<ErrorBody>(key, method, path);
          expect([403, 404], `${method} ${path}`).toContain(reply.status);
        }
      }
      // A cashier sells but does not configure: methods and accounts need a merchant admin.
      const refused = await call<ErrorBody>(a.cashierKey, 'POST', `/v1/merchants/${a.id}/payment-methods`, {
        provider_code: 'cash',
        display_name: 'Cash',
      });
      expect(refused).toMatchObject({ status: 403, body: { error: { code: 'forbidden' } } });
      // A merchant cannot point its method at the other merchant's account.
      const foreign = await call<ErrorBody>(a.adminKey, 'PATCH', `/v1/merchants/${a.id}/payment-methods/wave`, {
        account_id: b.accountId,
      });
      expect(foreign.status).toBe(404);

      // Secrets never leave: not in account listings, key listings, or the merchant's payments.
      const answers = [
        await call(a.adminKey, 'GET', `/v1/merchants/${a.id}/provider-accounts`),
        await call(a.adminKey, 'GET', `/v1/merchants/${a.id}/provider-accounts/${a.accountId}`),
        await call(ADMIN_TOKEN, 'GET', '/v1/admin/api-keys'),
        await call(a.adminKey, 'GET', `/v1/merchants/${a.id}/payment-methods`),
      ];
      const text = answers.map((answer) => answer.text).join('\n');
      for (const r of restaurants) {
        expect(text).not.toContain(r.credentials.WAVE_API_KEY);
        expect(text).not.toContain(r.credentials.WAVE_WEBHOOK_SECRET);
        expect(text).not.toContain(r.adminKey);
        expect(text).not.toContain(r.cashierKey);
      }

      // A revoked key is refused at once; a disabled merchant's keys too.
      const keys = expectOk(
        await call<{ api_keys: Array<{ id: string; label: string }> }>(a.adminKey, 'GET', '/v1/admin/api-keys'),
        200,
      );
      const tillKey = keys.api_keys.find((key) => key.label === `${a.id} till`)!;
      expectOk(await call(a.adminKey, 'DELETE', `/v1/admin/api-keys/${tillKey.id}`), 200);
      expect((await call(a.cashierKey, 'GET', `/v1/merchants/${a.id}/payments`)).status).toBe(401);
      expectOk(await call(ADMIN_TOKEN, 'PATCH', `/v1/admin/merchants/${b.id}`, { status: 'disabled' }), 200);
      expect((await call(b.cashierKey, 'GET', `/v1/merchants/${b.id}/payments`)).status).toBe(401);
      const refusedSale = await call<ErrorBody>(
        ADMIN_TOKEN,
        'POST',
        `/v1/merchants/${b.id}/payments`,
        { method: 'wave', amount_minor: 100, currency: 'XOF' },
        'after-disable',
      );
      expect(refusedSale).toMatchObject({ status: 409, body: { error: { code: 'merchant_disabled' } } });
    },
    T,
  );
});
