import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '@paystate/core';
import { createRuntime, loadSettings, openDatabase, type DrawerView, type PaymentView } from '@paystate/server';
import { WaveSandbox } from '@paystate/sandbox';
import { paystate } from '../support/cli.js';
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

/** The POS payments of a merchant, read straight from the database. */
async function paymentsIn(database: string, merchant: string) {
  const { store, pos } = openDatabase(loadSettings({ DATABASE_URL: database, LOG_LEVEL: 'silent' }), systemClock);
  try {
    return await pos.listPayments(merchant, { limit: 100 });
  } finally {
    await store.close();
  }
}

describe('paystate pos (real binary, temporary SQLite database)', () => {
  it('methods set/list: one per provider, updated in place, the offer in the merchant order', async () => {
    const database = tempDb();
    const run = (...args: string[]) => paystate(['--database', database, 'pos', ...args]);
    expect((await run('methods', 'set', 'dakar-1', 'cash', '--name', 'Espèces', '--order', '2')).stdout).toBe(
      'dakar-1: cash "Espèces" added (active, order 2)\n',
    );
    expect(
      (
        await run(
          'methods',
          'set',
          'dakar-1',
          'wave',
          '--name',
          'Wave',
          '--order',
          '1',
          '--config',
          'merchant_number=+221770000000',
        )
      ).stdout,
    ).toContain('no credentials for it on this server, so not offered');
    await run('methods', 'set', 'dakar-1', 'orange_money', '--name', 'Orange Money', '--order', '0', '--inactive');
    const updated = await run('methods', 'set', 'dakar-1', 'cash', '--order', '0');
    expect(updated).toMatchObject({ code: 0, stdout: 'dakar-1: cash "Espèces" updated (active, order 0)\n' });

    const listed = JSON.parse((await run('methods', 'list', 'dakar-1', '--json')).stdout) as Array<
      Record<string, unknown>
    >;
    expect(listed.map((m) => [m.provider_code, m.sort_order, m.active])).toEqual([
      ['cash', 0, true],
      ['orange_money', 0, false],
      ['wave', 1, true],
    ]);
    expect(listed.find((m) => m.provider_code === 'wave')?.public_config).toEqual({ merchant_number: '+221770000000' });
    // Wave has no credentials here and Orange Money is inactive: only cash is offered.
    const offered = JSON.parse((await run('methods', 'list', 'dakar-1', '--offered', '--json')).stdout) as Array<
      Record<string, unknown>
    >;
    expect(offered.map((m) => m.provider_code)).toEqual(['cash']);
    const table = await run('methods', 'list', 'dakar-1');
    expect(table.stdout.split('\n')[0]).toMatch(/^order\s+provider\s+name\s+active\s+available$/);
    expect((await run('methods', 'list', 'dakar-2')).stdout).toBe('(none)\n');
  }, 30_000);

  it('cash: pay into the drawer, partial refunds up to what was taken, one beyond refused; close prints expected and variance', async () => {
    const database = tempDb();
    const run = (...args: string[]) => paystate(['--database', database, 'pos', ...args]);
    await run('methods', 'set', 'dakar-1', 'cash', '--name', 'Espèces');

    // No till open: refused, and no payment is recorded.
    const noDrawer = await run('pay', 'dakar-1', '1500', '--currency', 'XOF');
    expect(noDrawer).toMatchObject({
      code: 1,
      stdout: '',
      stderr: 'paystate: merchant dakar-1 has no open cash drawer session\n',
    });
    expect(await paymentsIn(database, 'dakar-1')).toHaveLength(0);

    const opened = await run('drawer', 'open', 'dakar-1', '10000', '--currency', 'XOF', '--operator', 'awa');
    expect(opened.stdout).toMatch(
      /^drawer session \S+ opened\n {2}opening 10000 XOF \+ in 0 XOF - out 0 XOF = expected 10000 XOF\n$/,
    );
    const paid = JSON.parse(
      (await run('pay', 'dakar-1', '4000', '--currency', 'XOF', '--description', 'Thieboudienne', '--json')).stdout,
    ) as PaymentView & { drawer: DrawerView };
    expect(paid).toMatchObject({
      status: 'success',
      method: 'cash',
      amount_minor: 4_000,
      description: 'Thieboudienne',
      drawer: { cash_in_minor: 4_000, expected_minor: 14_000 },
    });
    const human = await run('pay', 'dakar-1', '500', '--currency', 'XOF');
    expect(human.stdout).toMatch(
      /^payment \S+: 500 XOF cash, success\n {2}opening 10000 XOF \+ in 4500 XOF - out 0 XOF = expected 14500 XOF\n$/,
    );

    const refund = await run('refund', 'dakar-1', paid.payment_id, '1500', '--reason', 'plat froid');
    expect(refund.code).toBe(0);
    expect(refund.stdout).toMatch(
      /^refund \S+: 1500 XOF succeeded\npayment \S+: partially_refunded, 1500 XOF of 4000 XOF refunded, 2500 XOF refundable\n {2}opening 10000 XOF \+ in 4500 XOF - out 1500 XOF = expected 13000 XOF\n$/,
    );
    const beyond = await run('refund', 'dakar-1', paid.payment_id, '2501');
    expect(beyond.code).toBe(1);
    expect(beyond.stderr).toMatch(
      /^paystate: a refund of 2501 exceeds what payment \S+ can still refund \(2500 XOF\)\n$/,
    );
    const rest = JSON.parse((await run('refund', 'dakar-1', paid.payment_id, '2500', '--json')).stdout) as {
      status: string;
      payment: PaymentView;
    };
    expect(rest).toMatchObject({ status: 'succeeded', payment: { status: 'refunded', refundable_minor: 0 } });

    const shown = await run('drawer', 'show', 'dakar-1', '--json');
    const session = JSON.parse(shown.stdout) as DrawerView & {
      movements: Array<{ direction: string; amount_minor: number }>;
    };
    expect(session.movements.map((m) => `${m.direction}${m.amount_minor}`)).toEqual([
      'in4000',
      'in500',
      'out1500',
      'out2500',
    ]);
    // opening + in - out = 10 000 + 4 500 - 4 000
    const closed = await run('drawer', 'close', 'dakar-1', '10450', '--operator', 'moussa');
    expect(closed.stdout).toMatch(
      /closed\n {2}opening 10000 XOF \+ in 4500 XOF - out 4000 XOF = expected 10500 XOF\n {2}counted 10450 XOF, variance -50 XOF\n$/,
    );
    const past = JSON.parse(
      (await run('drawer', 'show', 'dakar-1', '--session', session.session_id, '--json')).stdout,
    ) as DrawerView;
    expect(past).toMatchObject({
      status: 'closed',
      expected_minor: 10_500,
      counted_minor: 10_450,
      variance_minor: -50,
      closed_by: 'moussa',
      opened_by: 'awa',
    });
  }, 60_000);

  it('--till: a second till opens beside main, takes its own sales and refunds (with --operator) and closes alone', async () => {
    const database = tempDb();
    const run = (...args: string[]) => paystate(['--database', database, 'pos', ...args]);
    await run('methods', 'set', 'dakar-1', 'cash', '--name', 'Espèces');
    await run('drawer', 'open', 'dakar-1', '10000', '--currency', 'XOF');
    const opened = await run('drawer', 'open', 'dakar-1', '2000', '--currency', 'XOF', '--till', 'bar');
    expect(opened.stdout).toMatch(
      /^drawer session \S+ of till bar opened\n {2}opening 2000 XOF \+ in 0 XOF - out 0 XOF = expected 2000 XOF\n$/,
    );
    const twice = await run('drawer', 'open', 'dakar-1', '0', '--currency', 'XOF', '--till', 'bar');
    expect(twice).toMatchObject({
      code: 1,
      stderr: 'paystate: merchant dakar-1 already has an open cash drawer session on till bar\n',
    });

    const paid = JSON.parse(
      (await run('pay', 'dakar-1', '3000', '--currency', 'XOF', '--till', 'bar', '--json')).stdout,
    ) as PaymentView & { drawer: DrawerView & { till_id: string } };
    expect(paid.drawer).toMatchObject({ till_id: 'bar', cash_in_minor: 3_000, expected_minor: 5_000 });
    const refund = JSON.parse(
      (await run('refund', 'dakar-1', paid.payment_id, '1000', '--till', 'bar', '--operator', 'kossi', '--json'))
        .stdout,
    ) as { status: string; requested_by: string | null; drawer: DrawerView & { till_id: string } };
    expect(refund).toMatchObject({
      status: 'succeeded',
      requested_by: 'kossi',
      drawer: { till_id: 'bar', cash_out_minor: 1_000, expected_minor: 4_000 },
    });
    const unnamed = JSON.parse((await run('refund', 'dakar-1', paid.payment_id, '500', '--json')).stdout) as {
      requested_by: string | null;
      drawer: DrawerView & { till_id: string };
    };
    expect(unnamed).toMatchObject({ requested_by: null, drawer: { till_id: 'main', expected_minor: 9_500 } });
    const noTill = await run('pay', 'dakar-1', '100', '--currency', 'XOF', '--till', 'cave');
    expect(noTill).toMatchObject({
      code: 1,
      stderr: 'paystate: merchant dakar-1 has no open cash drawer session on till cave\n',
    });
    expect(await run('pay', 'dakar-1', '100', '--currency', 'XOF', '--till', '../x')).toMatchObject({
      code: 1,
      stderr: 'paystate: "../x" is not a valid till id (1-64 letters, digits, - or _)\n',
    });

    const bar = JSON.parse((await run('drawer', 'show', 'dakar-1', '--till', 'bar', '--json')).stdout) as DrawerView & {
      till_id: string;
      movements: Array<{ direction: string; amount_minor: number }>;
    };
    expect(bar.till_id).toBe('bar');
    expect(bar.movements.map((m) => `${m.direction}${m.amount_minor}`)).toEqual(['in3000', 'out1000']);
    const closed = await run('drawer', 'close', 'dakar-1', '4000', '--till', 'bar', '--operator', 'moussa');
    expect(closed.stdout).toMatch(
      /^drawer session \S+ of till bar closed\n.*\n {2}counted 4000 XOF, variance 0 XOF\n$/,
    );
    const main = JSON.parse((await run('drawer', 'show', 'dakar-1', '--json')).stdout) as DrawerView & {
      till_id: string;
    };
    expect(main).toMatchObject({ till_id: 'main', status: 'open', expected_minor: 9_500 });
    expect(await run('drawer', 'show', 'dakar-1', '--till', 'bar')).toMatchObject({
      code: 1,
      stderr: 'paystate: merchant dakar-1 has no open cash drawer session on till bar\n',
    });
  }, 60_000);

  it('refunds a Wave payment through the provider with its credentials from the environment', async () => {
    const database = tempDb();
    const wave = new WaveSandbox({ apiKey: 'wave-key', webhookSecret: 'wave-secret' });
    const w = await wave.start();
    cleanups.push(() => w.close());
    const env = {
      DATABASE_URL: database,
      PAYMENT_PROVIDER: 'wave',
      WAVE_API_URL: w.url,
      WAVE_API_KEY: 'wave-key',
      WAVE_WEBHOOK_SECRET: 'wave-secret',
      TMETR_API_URL: 'http://127.0.0.1:9',
      TMETR_TOKEN: 'tm',
      LOG_LEVEL: 'silent',
    };
    const runtime = createRuntime({ settings: loadSettings(env), logger: pino({ level: 'silent' }) });
    await runtime.pos.createMethod({
      merchantId: 'dakar-1',
      providerCode: 'wave',
      displayName: 'Wave',
      active: true,
      sortOrder: 0,
      publicConfig: {},
    });
    const { payment } = await runtime.pos.createPayment('dakar-1', {
      method: 'wave',
      amount: { amountMinor: 1_500, currency: 'XOF' },
      description: 'Mafé',
    });
    await wave.complete(wave.sessionFor(payment.paymentId)!.id, false);
    expect((await runtime.pos.check('dakar-1', payment.paymentId)).payment.status).toBe('success');
    await runtime.close();

    // Wave refunds whole sessions only: a partial refund is refused by the adapter, and given back.
    const partial = await paystate(['pos', 'refund', 'dakar-1', payment.paymentId, '500'], env);
    expect(partial.code).toBe(1);
    expect(partial.stderr).toMatch(
      /^paystate: wave cannot refund through its API: Wave refunds whole checkout sessions only/,
    );
    const full = await paystate(['pos', 'refund', 'dakar-1', payment.paymentId, '1500', '--json'], env);
    expect(full.code).toBe(0);
    expect(JSON.parse(full.stdout)).toMatchObject({
      status: 'succeeded',
      payment: { status: 'refunded', refunded_minor: 1_500 },
      drawer: null,
    });
    expect(wave.refunds).toEqual([wave.sessionFor(payment.paymentId)!.id]);
  }, 30_000);

  it('fails with one clear line and exit code 1', async () => {
    const database = tempDb();
    await paystate(['--database', database, 'pos', 'methods', 'set', 'm1', 'cash', '--name', 'Cash']);
    const cases: Array<[string[], RegExp]> = [
      [['methods', 'set', 'm1', 'wave'], /^paystate: a new payment method needs --name\n$/],
      [['methods', 'set', 'm1', 'Wave!', '--name', 'x'], /^paystate: "Wave!" is not a provider code/],
      [['methods', 'set', '../m1', 'cash', '--name', 'x'], /^paystate: "..\/m1" is not a valid merchant id/],
      [
        ['methods', 'set', 'm1', 'cash', '--active', '--inactive'],
        /^paystate: --active and --inactive contradict each other\n$/,
      ],
      [
        ['methods', 'set', 'm1', 'cash', '--config', 'novalue'],
        /^paystate: --config takes key=value, not "novalue"\n$/,
      ],
      [['pay', 'm1', '12.5', '--currency', 'XOF'], /^paystate: "12.5" is not an amount in XOF: /],
      [['pay', 'm1', '10', '--currency', 'xof'], /^paystate: "xof" is not an ISO 4217 currency code/],
      [['refund', 'm1', 'no-such-payment', '10'], /^paystate: no payment with id no-such-payment\n$/],
      [['drawer', 'close', 'm1', '100'], /^paystate: merchant m1 has no open cash drawer session\n$/],
      [['drawer', 'show', 'm1'], /^paystate: merchant m1 has no open cash drawer session\n$/],
      [['drawer', 'show', 'm1', '--session', 'nope'], /^paystate: no cash drawer session with id nope\n$/],
    ];
    for (const [args, expected] of cases) {
      const run = await paystate(['--database', database, 'pos', ...args]);
      expect(run.code, args.join(' ')).toBe(1);
      expect(run.stderr, args.join(' ')).toMatch(expected);
      expect(run.stderr.split('\n').filter(Boolean), args.join(' ')).toHaveLength(1);
    }
    await paystate(['--database', database, 'pos', 'drawer', 'open', 'm1', '0', '--currency', 'XOF']);
    const twice = await paystate(['--database', database, 'pos', 'drawer', 'open', 'm1', '0', '--currency', 'XOF']);
    expect(twice).toMatchObject({ code: 1, stderr: 'paystate: merchant m1 already has an open cash drawer session\n' });
  }, 90_000);
});
