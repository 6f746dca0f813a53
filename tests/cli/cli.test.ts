import { spawn } from 'node:child_process';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createOrderMachine, defaultLifecycleConfig, toMermaid } from '@paystate/core';
import { createRuntime, loadSettings } from '@paystate/server';
import { TmetrSandbox, YooKassaSandbox } from '@paystate/sandbox';
import { paystate, PAYSTATE_BIN as BIN } from '../support/cli.js';
import { tempDatabaseUrl } from '../support/temp-db.js';

let cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  cleanups = [];
});

function tempDb(): string {
  const temp = tempDatabaseUrl();
  cleanups.push(temp.cleanup);
  return temp.url;
}

describe('paystate CLI (real binary, temporary database)', () => {
  it('demo sells a coffee end to end, and a second run works on the same database', async () => {
    const database = tempDb();
    const first = await paystate(['--database', database, 'demo']);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/pending[\s\S]*make_pending[\s\S]*successful/);
    expect(first.stdout).toContain('make commands sent to the machine for this order: 1');
    expect(first.stdout).toContain('orders in this database: 1');
    const second = await paystate(['--database', database, 'demo']);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('orders in this database: 2');

    const listed = await paystate(['--database', database, 'orders', 'list', '--json']);
    const orders = JSON.parse(listed.stdout) as Array<{ order_id: string; status: string }>;
    expect(orders.map((o) => o.status)).toEqual(['successful', 'successful']);

    const shown = await paystate(['--database', database, 'orders', 'show', orders[0]!.order_id, '--json']);
    const detail = JSON.parse(shown.stdout) as { events: Array<{ to: string }> };
    expect(detail.events.map((e) => e.to)).toEqual(['created', 'pending', 'paid', 'make_pending', 'successful']);
  }, 30_000);

  it('demo --scenario tickets sells a ticket over SumUp and mails it once', async () => {
    const database = tempDb();
    const run = await paystate(['--database', database, 'demo', '--scenario', 'tickets']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/pending[\s\S]*successful/);
    expect(run.stdout).toMatch(/ticket [A-Z2-9]{10}; e-mails to guest@example.org: 1/);
    const unknown = await paystate(['--database', database, 'demo', '--scenario', 'casino']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^paystate: unknown scenario "casino"/);
  }, 30_000);

  it('demo --scenario pos runs a till: cash and Wave sales, a partial refund, variance at close; twice on one database', async () => {
    const database = tempDb();
    for (let run = 0; run < 2; run++) {
      const result = await paystate(['--database', database, 'demo', '--scenario', 'pos']);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(result.stdout).toContain('after the payer approved in Wave and the cashier checked: success');
      expect(result.stdout).toContain('expected 11500 XOF, counted 11 450, variance -50');
    }
  }, 40_000);

  it('manages devices and sanitises the status page text', async () => {
    const database = tempDb();
    expect((await paystate(['--database', database, 'migrate'])).stdout).toContain('migrated');
    const added = await paystate([
      '--database',
      database,
      'devices',
      'add',
      'kiosk-1',
      '--name',
      'Kiosk',
      '--location',
      'Hall',
    ]);
    expect(added).toMatchObject({ code: 0, stdout: 'device kiosk-1 saved\n' });
    const set = await paystate([
      '--database',
      database,
      'devices',
      'set-info',
      'kiosk-1',
      '<img src=x onerror=alert(1)><b>Hi</b>',
      '--status',
      'make_failed',
    ]);
    expect(set.stdout).toContain('unsafe markup removed');
    const list = JSON.parse((await paystate(['--database', database, 'devices', 'list', '--json'])).stdout) as Array<
      Record<string, unknown>
    >;
    expect(list).toEqual([
      expect.objectContaining({
        id: 'kiosk-1',
        name: 'Kiosk',
        location: 'Hall',
        client_info_by_status: { make_failed: '<b>Hi</b>' },
      }),
    ]);
  }, 20_000);

  it('fails with one clear line and a non-zero exit code', async () => {
    const database = tempDb();
    // Read-only commands need the database to exist (errors-cli.test.ts: a missing one is never created).
    expect((await paystate(['--database', database, 'migrate'])).code).toBe(0);
    const cases: Array<[string[], Record<string, string>, RegExp]> = [
      [['orders', 'show', 'no-such-order'], {}, /^paystate: no order no-such-order\n$/],
      [['orders', 'show', '../etc/passwd'], {}, /^paystate: "..\/etc\/passwd" is not an order id\n$/],
      [['orders', 'list', '--status', 'bogus'], {}, /^paystate: unknown status "bogus"\n$/],
      [['devices', 'set-info', 'ghost', 'x'], {}, /^paystate: no device ghost; add it with/],
      [
        ['config', 'check'],
        { PAYMENT_API_TIMEOUT_S: 'soon' },
        /^paystate: invalid settings:\n {2}PAYMENT_API_TIMEOUT_S: /,
      ],
      [['config', 'check'], {}, /^paystate: PAYMENT_PROVIDER=yookassa is not configured/],
      [['config', 'check'], { PAYMENT_CHECK_INTERVAL_S: '7' }, /PAYMENT_CHECK_INTERVAL_S: use a divisor of 60/],
    ];
    for (const [args, env, expected] of cases) {
      const run = await paystate(['--database', database, ...args], env);
      expect(run.code, args.join(' ')).toBe(1);
      expect(run.stderr, args.join(' ')).toMatch(expected);
    }
  }, 30_000);

  it('diagram prints the Mermaid diagram generated from the machine', async () => {
    const run = await paystate(['diagram']);
    expect(run.stdout).toBe(`${toMermaid(createOrderMachine(defaultLifecycleConfig))}\n`);
  });

  it('config check masks secrets', async () => {
    const database = tempDb();
    await paystate(['--database', database, 'migrate']);
    const run = await paystate(['config', 'check', '--json'], {
      DATABASE_URL: database,
      DEVICE_TOKEN: 'device-token-1',
      YOOKASSA_SHOP_ID: 'shop',
      YOOKASSA_SECRET_KEY: 'live_super_secret',
      TMETR_API_URL: 'https://tmetr.example',
      TMETR_TOKEN: 'tmetr-secret',
    });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).not.toMatch(/super_secret|tmetr-secret/);
    expect(JSON.parse(run.stdout)).toMatchObject({
      YOOKASSA_SECRET_KEY: '********',
      TMETR_TOKEN: '********',
      YOOKASSA_SHOP_ID: 'shop',
    });
  });

  it('poll --once checks the due orders and prints the cycle as JSON', async () => {
    const database = tempDb();
    const yookassa = new YooKassaSandbox({ shopId: 'shop', secretKey: 'key' });
    const tmetr = new TmetrSandbox({ token: 'tm' });
    const y = await yookassa.start();
    const t = await tmetr.start();
    cleanups.push(
      () => y.close(),
      () => t.close(),
    );
    const env = {
      DATABASE_URL: database,
      YOOKASSA_API_URL: y.apiUrl,
      YOOKASSA_SHOP_ID: 'shop',
      YOOKASSA_SECRET_KEY: 'key',
      TMETR_API_URL: t.url,
      TMETR_TOKEN: 'tm',
      FAST_TRACK_INTERVAL_S: '1',
      LOG_LEVEL: 'silent',
    };
    const runtime = createRuntime({ settings: loadSettings(env), logger: pino({ level: 'silent' }) });
    await runtime.store.upsertDevice({
      id: 'dev',
      name: 'D',
      location: '',
      logoUrl: null,
      clientInfo: '',
      clientInfoByStatus: {},
    });
    const created = await runtime.orders.create({
      deviceId: 'dev',
      productId: 'tea',
      productName: 'Tea',
      size: 'S',
      price: { amountMinor: 9000, currency: 'RUB' },
      provider: 'yookassa',
    });
    await runtime.orders.pay(created.order.orderId);
    await runtime.close();
    await yookassa.setStatus(yookassa.paymentFor(created.order.orderId)!.id, 'succeeded', false);
    await new Promise((resolve) => setTimeout(resolve, 1100));

    const run = await paystate(['poll', '--once', '--json'], env);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ due: 1, answered: 1, failed_checks: 0, moved: { paid: 1 } });
    expect(tmetr.received.map((c) => c.order_id)).toEqual([created.order.orderId]);
  }, 20_000);

  it('serve answers HTTP and stops cleanly on SIGTERM', async () => {
    const database = tempDb();
    const yookassa = new YooKassaSandbox({ shopId: 'shop', secretKey: 'key' });
    const y = await yookassa.start();
    cleanups.push(() => y.close());
    const child = spawn(process.execPath, [BIN, 'serve', '--port', '0'], {
      env: {
        PATH: process.env.PATH ?? '',
        DATABASE_URL: database,
        YOOKASSA_API_URL: y.apiUrl,
        YOOKASSA_SHOP_ID: 'shop',
        YOOKASSA_SECRET_KEY: 'key',
        TMETR_API_URL: 'http://127.0.0.1:9',
        TMETR_TOKEN: 'tm',
        LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    const url = await new Promise<string>((resolve, reject) => {
      let log = '';
      child.stderr.on('data', (chunk: Buffer) => {
        log += chunk.toString();
        const match = /"url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(log);
        if (match?.[1]) resolve(match[1]);
      });
      setTimeout(() => reject(new Error(`serve did not start:\n${log}`)), 15_000).unref();
    });
    const health = await fetch(`${url}/healthz`);
    expect(health.status).toBe(200);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 20_000);
});
