import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSettings } from '@paystate/server';
import { isLoopbackUrl, settingsFindings } from '../../packages/cli/src/commands/config.js';
import { paystate } from '../support/cli.js';

const SECRET = 'live_super_secret_value_1';

let dir: string;
let database: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'paystate-config-'));
  database = `file:${join(dir, 'paystate.db')}`;
  expect((await paystate(['--database', database, 'migrate'])).code).toBe(0);
}, 30_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A complete production-like configuration on a migrated SQLite database. */
const good = () => ({
  DATABASE_URL: database,
  PUBLIC_URL: 'https://pay.example.com',
  ADMIN_TOKEN: 'admin-token-0123456789',
  DEVICE_TOKEN: 'device-token-0123456789',
  YOOKASSA_SHOP_ID: 'shop',
  YOOKASSA_SECRET_KEY: SECRET,
  TMETR_API_URL: 'https://tmetr.example',
  TMETR_TOKEN: 'tmetr-token-0123',
});

describe('paystate config check (the real binary)', () => {
  it('connects to the database and says ok when everything is in place; nothing on stderr', async () => {
    const run = await paystate(['config', 'check'], good());
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(
      'ok: providers yookassa; fulfilment tmetr; database SQLite (connected); public URL https://pay.example.com\n',
    );
  });

  it('fails without DEVICE_TOKEN when the fulfilment sends make commands, saying why', async () => {
    const run = await paystate(['config', 'check'], { ...good(), DEVICE_TOKEN: '' });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^paystate: error: DEVICE_TOKEN is unset: with FULFILMENT=tmetr each machine reports/m);
    expect(run.stderr).toMatch(/^paystate: config check failed \(1 error\)\n$/m);
    expect(run.stdout).not.toContain('ok:');
    // A till that takes POS payments only sends no make command: no machine reports.
    const pos = await paystate(['config', 'check'], { ...good(), DEVICE_TOKEN: '', FULFILMENT: 'none' });
    expect(pos.stderr).toBe('');
    expect(pos.code).toBe(0);
  });

  it('warns, and still passes, when PUBLIC_URL is a loopback address or unset', async () => {
    // One set and one unset: the addresses themselves are told apart in the findings' test below.
    for (const url of ['http://localhost:8787/', undefined]) {
      const env: Record<string, string> = good();
      if (url === undefined) delete env.PUBLIC_URL;
      else env.PUBLIC_URL = url;
      const run = await paystate(['config', 'check'], env);
      expect(run.code, run.stderr).toBe(0);
      expect(run.stderr).toMatch(/^paystate: warning: PUBLIC_URL .*a loopback address: providers' notifications/);
      expect(run.stderr.split('\n').filter(Boolean)).toHaveLength(1);
    }
  }, 30_000);

  it('reports a database it cannot use as an error: missing file (never created), unreachable server', async () => {
    const missing = join(dir, 'typo', 'paystate.db');
    const run = await paystate(['config', 'check'], { ...good(), DATABASE_URL: `file:${missing}` });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`paystate: error: no database at ${missing}; run paystate migrate first\n`);
    expect(existsSync(join(dir, 'typo'))).toBe(false);

    const port = await closedPort();
    const pg = await paystate(['config', 'check'], {
      ...good(),
      DATABASE_URL: `postgres://paystate:pg-Secret-42@127.0.0.1:${port}/paystate`,
    });
    expect(pg.code).toBe(1);
    expect(pg.stderr).toContain(
      `paystate: error: cannot reach the PostgreSQL database postgres://paystate:********@127.0.0.1:${port}/paystate: connection refused`,
    );
    expect(pg.stdout + pg.stderr).not.toContain('pg-Secret-42');
  });

  it('passes every line through the redaction: a secret value is masked wherever it shows', async () => {
    const run = await paystate(['config', 'check'], {
      ...good(),
      // A secret's value where no secret is expected (a pasted line): masked by value, not by name.
      MAIL_FROM: `${SECRET} <shop@example.com>`,
      PUBLIC_URL: `http://127.0.0.1:8787/${SECRET}`,
    });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout + run.stderr).not.toContain(SECRET);
    expect(run.stdout).toContain('MAIL_FROM=******** <shop@example.com>');
    expect(run.stderr).toContain('http://127.0.0.1:8787/********');
  });
});

describe('config check findings', () => {
  it('tells loopback URLs from public ones', () => {
    for (const url of [
      'http://127.0.0.1',
      'http://127.1.2.3:80/x',
      'http://localhost',
      'http://a.localhost',
      'http://[::1]:1',
    ])
      expect(isLoopbackUrl(url), url).toBe(true);
    for (const url of [
      'https://pay.example.com',
      'http://10.0.0.5:8787',
      'http://127.example.com',
      'http://[::2]',
      'nope',
    ])
      expect(isLoopbackUrl(url), url).toBe(false);
  });

  it('requires DEVICE_TOKEN for tmetr only', () => {
    const base = { PUBLIC_URL: 'https://pay.example.com' };
    expect(settingsFindings(loadSettings({ ...base, FULFILMENT: 'tmetr' })).errors).toHaveLength(1);
    expect(settingsFindings(loadSettings({ ...base, FULFILMENT: 'tmetr', DEVICE_TOKEN: 'x' })).errors).toEqual([]);
    expect(settingsFindings(loadSettings({ ...base, FULFILMENT: 'none' })).errors).toEqual([]);
  });
});

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}
