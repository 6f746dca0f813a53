/**
 * A merchant connects its own SumUp account by OAuth (docs/merchants.md): consent, code
 * exchange, payments and refunds with the merchant's token, renewal before expiry by the poller,
 * and an alert when renewal fails. Against the SumUp sandbox's own OAuth server and books.
 */
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '@paystate/core';
import { SumUpSandbox, type LoopbackServer } from '@paystate/sandbox';
import { ADMIN_TOKEN, startStack, type ErrorBody, type Stack } from '../support/harness.js';
import { RecordingNotifier } from '../support/provider-contract.js';
import { testBackend } from '../support/temp-db.js';

const OAUTH = { clientId: 'paystate-platform', clientSecret: `cs_${randomBytes(12).toString('hex')}` };
const MERCHANT_CODE = 'MLOME01';
const T = 20_000;

describe(`SumUp connected by OAuth on ${testBackend}`, () => {
  let stack: Stack;
  let sumup: SumUpSandbox;
  let server: LoopbackServer;
  let clock: ManualClock;
  let notifier: RecordingNotifier;
  let owner: string;

  beforeEach(async () => {
    sumup = new SumUpSandbox({
      apiKey: `sup_sk_${randomBytes(8).toString('hex')}`,
      merchantCode: MERCHANT_CODE,
      oauth: OAUTH,
    });
    server = await sumup.start();
    clock = new ManualClock(new Date());
    notifier = new RecordingNotifier();
    stack = await startStack({
      clock,
      notifier,
      merchants: ['lome-3'],
      env: {
        FULFILMENT: 'none',
        PAYSTATE_MASTER_KEY: randomBytes(32).toString('base64'),
        SUMUP_OAUTH_CLIENT_ID: OAUTH.clientId,
        SUMUP_OAUTH_CLIENT_SECRET: OAUTH.clientSecret,
        SUMUP_OAUTH_URL: server.url,
      },
    });
    const key = await stack.request<{ key: string }>('POST', '/v1/admin/api-keys', {
      token: ADMIN_TOKEN,
      body: { scope: 'merchant_admin', label: 'owner', merchant_id: 'lome-3' },
    });
    owner = key.body.key;
  });

  afterEach(async () => {
    await Promise.race([sumup.settled(), new Promise((done) => setTimeout(done, 2000))]);
    await stack?.stop();
    await server?.close();
  });

  /** The owner asks for the consent link; SumUp (the merchant approves) sends the browser back to paystate. */
  async function connect(label = 'sumup') {
    const started = await stack.request<{ authorize_url: string }>(
      'POST',
      '/v1/merchants/lome-3/provider-accounts/sumup/connect',
      { token: owner, body: { label, merchant_code: MERCHANT_CODE } },
    );
    expect(started.status, started.text).toBe(200);
    const consent = await fetch(started.body.authorize_url, { redirect: 'manual' });
    expect(consent.status).toBe(302);
    const callback = consent.headers.get('location')!;
    expect(callback.startsWith(`${stack.server.url}/v1/oauth/sumup/callback?`)).toBe(true);
    return callback;
  }

  it(
    'connects, sells and refunds with the merchant token, renews it before expiry, and alerts when renewal fails',
    async () => {
      const connected = await stack.request<{ id: string; provider_code: string }>('GET', await connect());
      expect(connected.status, connected.text).toBe(201);
      expect(connected.body.provider_code).toBe('sumup');
      expect(sumup.grants).toEqual(['authorization_code']);
      const method = await stack.request('POST', '/v1/merchants/lome-3/payment-methods', {
        token: owner,
        body: { provider_code: 'sumup', display_name: 'Carte', account_id: connected.body.id },
      });
      expect(method.status, method.text).toBe(201);

      const sale = await stack.request<{ payment_id: string; provider_payment_id: string }>(
        'POST',
        '/v1/merchants/lome-3/payments',
        {
          token: owner,
          headers: { 'idempotency-key': 'sale-1' },
          body: { method: 'sumup', amount_minor: 1_250, currency: 'EUR', description: 'Menu' },
        },
      );
      expect(sale.status, sale.text).toBe(201);
      await sumup.setStatus(sale.body.provider_payment_id, 'PAID', false);

      // 55 minutes on: the token has 5 left, so the poll cycle renews it. At 61 the first one is dead,
      // and the check and the refund go through with the renewed one.
      clock.advance(55 * 60);
      await stack.runtime.poller.runCycle();
      expect(sumup.grants).toEqual(['authorization_code', 'refresh_token']);
      clock.advance(6 * 60);
      const checked = await stack.request<{ status: string }>(
        'POST',
        `/v1/merchants/lome-3/payments/${sale.body.payment_id}/check`,
        { token: owner, headers: { 'idempotency-key': 'check-1' } },
      );
      expect(checked.body.status, checked.text).toBe('success');
      const refund = await stack.request('POST', `/v1/merchants/lome-3/payments/${sale.body.payment_id}/refunds`, {
        token: owner,
        headers: { 'idempotency-key': 'refund-1' },
        body: { amount_minor: 1_250 },
      });
      expect(refund.status, refund.text).toBe(201);
      expect(sumup.books()).toEqual([
        expect.objectContaining({
          captured: { amountMinor: 1_250, currency: 'EUR' },
          refunded: { amountMinor: 1_250, currency: 'EUR' },
        }),
      ]);

      expect(sumup.grants).toHaveLength(2);

      // SumUp's token endpoint down when the next renewal is due: an alert, the account not yet broken.
      sumup.faults.inject('token', { status: 503, times: 10 });
      clock.advance(50 * 60);
      await stack.runtime.poller.runCycle();
      expect(notifier.alerts.map((alert) => alert.kind)).toContain('provider_account_renewal_failed');
      const alert = notifier.alerts.find((a) => a.kind === 'provider_account_renewal_failed')!;
      expect(alert.details).toMatchObject({ accountId: connected.body.id, merchantId: 'lome-3', provider: 'sumup' });
      expect(JSON.stringify(notifier.alerts)).not.toContain(OAUTH.clientSecret);
    },
    T,
  );

  it('a forged or stale state creates nothing', async () => {
    const callback = new URL(await connect());
    const forged = new URL(callback);
    forged.searchParams.set('state', `${callback.searchParams.get('state')!.slice(0, -4)}AAAA`);
    const refused = await stack.request<ErrorBody>('GET', forged.toString());
    expect(refused).toMatchObject({ status: 400, body: { error: { code: 'invalid_state' } } });

    clock.advance(16 * 60);
    const stale = await stack.request<ErrorBody>('GET', callback.toString());
    expect(stale).toMatchObject({ status: 400, body: { error: { code: 'state_expired' } } });
    const accounts = await stack.request<{ provider_accounts: unknown[] }>(
      'GET',
      '/v1/merchants/lome-3/provider-accounts',
      {
        token: owner,
      },
    );
    expect(accounts.body.provider_accounts).toEqual([]);
  });
});
