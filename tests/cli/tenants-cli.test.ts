import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createRuntime, loadSettings, openAlerts, openTenants } from '@paystate/server';
import { WaveSandbox } from '@paystate/sandbox';
import { paystate } from '../support/cli.js';
import { tempDatabaseUrl } from '../support/temp-db.js';

let cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  cleanups = [];
});

const masterKey = () => randomBytes(32).toString('base64');

/** `paystate merchants accounts add lome-1 wave` with a credentials file, as JSON. */
const addWaveAccount = (db: string[], credentials: string, env: Record<string, string>) =>
  paystate(
    [
      ...db,
      'merchants',
      'accounts',
      'add',
      'lome-1',
      'wave',
      '--label',
      'main',
      '--credentials',
      credentials,
      '--json',
    ],
    env,
  );
const silent = pino({ level: 'silent' });

describe('paystate merchants, api-keys and keys rotate (real binary, temporary database)', () => {
  it('a merchant, a cashier key that works over HTTP for that merchant only, an account sealed and re-sealed', async () => {
    const temp = tempDatabaseUrl();
    cleanups.push(temp.cleanup);
    const db = ['--database', temp.url];
    const [k1, k2] = [masterKey(), masterKey()];

    expect((await paystate([...db, 'merchants', 'create', 'lome-1', '--name', 'Chez Awa'])).code).toBe(0);
    expect((await paystate([...db, 'merchants', 'create', 'lome-2', '--name', 'Le Maquis'])).code).toBe(0);
    const duplicate = await paystate([...db, 'merchants', 'create', 'lome-1', '--name', 'Again']);
    expect(duplicate).toMatchObject({ code: 1 });
    expect(duplicate.stderr).toContain('exists');
    const listed = JSON.parse((await paystate([...db, 'merchants', 'list', '--json'])).stdout) as Array<{ id: string }>;
    expect(listed.map((m) => m.id)).toEqual(['default', 'lome-1', 'lome-2']);

    const issued = await paystate([
      ...db,
      'api-keys',
      'create',
      '--scope',
      'cashier',
      '--merchant',
      'lome-1',
      '--label',
      'awa',
    ]);
    expect(issued.code).toBe(0);
    const key = issued.stdout.trim();
    expect(key).toMatch(/^psk_[0-9a-f]{12}_/);
    expect(issued.stderr).toContain('shown once');
    const keys = await paystate([...db, 'api-keys', 'list', '--json']);
    expect(keys.stdout).not.toContain(key);

    const runtime = createRuntime({
      settings: loadSettings({
        DATABASE_URL: temp.url,
        FULFILMENT: 'none',
        LOG_LEVEL: 'silent',
        YOOKASSA_SHOP_ID: 's',
        YOOKASSA_SECRET_KEY: 'k',
      }),
      logger: silent,
    });
    cleanups.push(() => runtime.close());
    const get = (path: string, token = key) =>
      runtime.app.request(path, { headers: { authorization: `Bearer ${token}` } });
    expect((await get('/v1/merchants/lome-1/payments')).status).toBe(200);
    expect((await get('/v1/merchants/lome-2/payments')).status).toBe(404);
    expect((await get('/v1/merchants/lome-1/payments', `${key.slice(0, -1)}x`)).status).toBe(401);

    const credentials = join(tmpdir(), `paystate-wave-${randomBytes(4).toString('hex')}.json`);
    const secret = `wave_live_${randomBytes(12).toString('hex')}`;
    writeFileSync(credentials, JSON.stringify({ WAVE_API_KEY: secret, WAVE_WEBHOOK_SECRET: `${secret}_whs` }));
    const added = await addWaveAccount(db, credentials, {
      PAYSTATE_MASTER_KEY: k1,
    });
    expect(added.code).toBe(0);
    expect(added.stdout + added.stderr).not.toContain(secret);
    const account = JSON.parse(added.stdout) as { id: string; master_key_id: string; webhook_url: string };
    expect(account.webhook_url).toMatch(new RegExp(`/v1/webhooks/wave/${account.id}$`));
    const withoutKey = await paystate([
      ...db,
      'merchants',
      'accounts',
      'add',
      'lome-1',
      'wave',
      '--label',
      'other',
      '--credentials',
      credentials,
    ]);
    expect(withoutKey.code).not.toBe(0);
    expect(withoutKey.stderr).toContain('PAYSTATE_MASTER_KEY');

    // An alert webhook channel's signing secret is sealed under the same master key.
    const withK1 = await openAlerts(
      loadSettings({ DATABASE_URL: temp.url, PAYSTATE_MASTER_KEY: k1, LOG_LEVEL: 'silent' }),
      silent,
    );
    const { channel } = await withK1.alerts.addChannel('lome-1', 'webhook', 'http://127.0.0.1:9/paystate');
    await withK1.close();

    // Rotation: the new key first, the old one still listed; afterwards the old one is not needed.
    const rotated = await paystate([...db, 'keys', 'rotate', '--json'], { PAYSTATE_MASTER_KEY: `${k2},${k1}` });
    expect(JSON.parse(rotated.stdout)).toEqual({ resealed: 2, already_current: 0, skipped: 0 });
    const again = await paystate([...db, 'keys', 'rotate', '--json'], { PAYSTATE_MASTER_KEY: `${k2},${k1}` });
    expect(JSON.parse(again.stdout)).toEqual({ resealed: 0, already_current: 2, skipped: 0 });
    const withK2 = await openAlerts(
      loadSettings({ DATABASE_URL: temp.url, PAYSTATE_MASTER_KEY: k2, LOG_LEVEL: 'silent' }),
      silent,
    );
    const [resealed] = await withK2.alerts.listChannels('lome-1');
    await withK2.close();
    expect(resealed).toMatchObject({ id: channel.id });
    expect(resealed?.keyId).not.toBe(channel.keyId);

    const opened = async (setting: string) => {
      const tenants = await openTenants(
        loadSettings({ DATABASE_URL: temp.url, PAYSTATE_MASTER_KEY: setting, LOG_LEVEL: 'silent' }),
        silent,
      );
      try {
        return (await tenants.merchants.accounts.provider(account.id))?.code;
      } finally {
        await tenants.close();
      }
    };
    expect(await opened(k2)).toBe('wave');
    await expect(opened(k1)).rejects.toThrow(/not in PAYSTATE_MASTER_KEY/);
  }, 60_000);

  it("a merchant's Wave account added from the CLI takes a sale over HTTP, and the CLI refunds it into that account", async () => {
    const temp = tempDatabaseUrl();
    cleanups.push(temp.cleanup);
    const db = ['--database', temp.url];
    const master = { PAYSTATE_MASTER_KEY: masterKey() };
    const wave = new WaveSandbox({ apiKey: 'wave_lome_1_key', webhookSecret: 'wave_lome_1_whs' });
    const waveServer = await wave.start();
    cleanups.push(() => waveServer.close());

    expect((await paystate([...db, 'merchants', 'create', 'lome-1', '--name', 'Chez Awa'])).code).toBe(0);
    const credentials = join(tmpdir(), `paystate-wave-${randomBytes(4).toString('hex')}.json`);
    writeFileSync(
      credentials,
      JSON.stringify({
        WAVE_API_URL: waveServer.url,
        WAVE_API_KEY: 'wave_lome_1_key',
        WAVE_WEBHOOK_SECRET: 'wave_lome_1_whs',
      }),
    );
    const added = await addWaveAccount(db, credentials, master);
    const account = JSON.parse(added.stdout) as { id: string };
    const method = await paystate([
      ...db,
      'pos',
      'methods',
      'set',
      'lome-1',
      'wave',
      '--name',
      'Wave',
      '--account',
      account.id,
      '--json',
    ]);
    expect(JSON.parse(method.stdout)).toMatchObject({ provider_code: 'wave', account_id: account.id, available: true });
    const cashier = (
      await paystate([...db, 'api-keys', 'create', '--scope', 'cashier', '--merchant', 'lome-1', '--label', 'awa'])
    ).stdout.trim();

    // No provider of the environment at all: the sale goes through the merchant's own account.
    const runtime = createRuntime({
      settings: loadSettings({
        DATABASE_URL: temp.url,
        FULFILMENT: 'none',
        PAYMENT_PROVIDER: 'wave',
        LOG_LEVEL: 'silent',
        WAVE_API_KEY: 'platform_wave_key',
        WAVE_WEBHOOK_SECRET: 'platform_whs',
        WAVE_API_URL: 'http://127.0.0.1:9',
        ...master,
      }),
      logger: silent,
    });
    cleanups.push(() => runtime.close());
    const post = (path: string, body: unknown) =>
      runtime.app.request(path, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${cashier}`,
          'content-type': 'application/json',
          'idempotency-key': randomBytes(6).toString('hex'),
        },
        body: JSON.stringify(body),
      });
    const sale = (await (
      await post('/v1/merchants/lome-1/payments', { method: 'wave', amount_minor: 1_500, currency: 'XOF' })
    ).json()) as {
      payment_id: string;
      provider_payment_id: string;
    };
    await wave.complete(sale.provider_payment_id, false);
    const checked = (await (await post(`/v1/merchants/lome-1/payments/${sale.payment_id}/check`, {})).json()) as {
      status: string;
    };
    expect(checked.status).toBe('success');

    const refunded = await paystate(
      [...db, 'pos', 'refund', 'lome-1', sale.payment_id, '1500', '--operator', 'awa', '--json'],
      master,
    );
    expect(refunded.code, refunded.stderr).toBe(0);
    expect(JSON.parse(refunded.stdout)).toMatchObject({ status: 'succeeded', requested_by: 'awa' });
    expect(wave.refunds).toEqual([sale.provider_payment_id]);
    expect(wave.books()).toEqual([
      expect.objectContaining({
        captured: { amountMinor: 1_500, currency: 'XOF' },
        refunded: { amountMinor: 1_500, currency: 'XOF' },
      }),
    ]);
  }, 60_000);
});
