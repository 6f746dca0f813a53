/**
 * The daily report's store reads on a real database (docs/pos.md, daily report): captured sales
 * created on the day by method and currency, refunds recorded on the day that succeeded, under their
 * payment's method whatever day it was sold, exact sums beyond 2^53, the merchant's own rows only;
 * and the console's list reads (payments of a range, the refunds of a list of payments).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createPayment, ManualClock, openDrawer, type Money } from '@paystate/core';
import { loadSettings, openDatabase, type PosStore, type Store } from '@paystate/server';
import { dailyReport, decimalOf, reportCsv } from '../../../packages/server/src/pos/report.js';
import { tempDatabase, testBackend, type TempDatabase } from '../../support/temp-db.js';

const clock = new ManualClock('2026-03-01T09:00:00.000Z');
const money = (amountMinor: number, currency = 'XOF'): Money => ({ amountMinor, currency });

describe(`the daily report on ${testBackend}`, () => {
  let temp: TempDatabase;
  let store: Store;
  let pos: PosStore;
  let ids = 0;

  beforeEach(async () => {
    clock.set('2026-03-01T09:00:00.000Z');
    temp = await tempDatabase();
    ({ store, pos } = openDatabase(loadSettings({ DATABASE_URL: temp.url, LOG_LEVEL: 'silent' }), clock));
    await pos.ready();
  });
  afterEach(async () => {
    await store.close();
    await temp.cleanup();
  });

  const newPayment = (method: string, amount: Money, merchantId = 'm1') =>
    pos.insertPayment(
      createPayment({ paymentId: `pay-${++ids}`, merchantId, methodCode: method, amount }, clock),
      'Yassa poulet',
    );

  async function cash(amountMinor: number, merchantId = 'm1') {
    const payment = await newPayment('cash', money(amountMinor), merchantId);
    return (await pos.confirmCashPayment(merchantId, payment.paymentId)).payment;
  }

  async function provider(method: string, amount: Money, outcome: 'SUCCEED' | 'FAIL' = 'SUCCEED', merchantId = 'm1') {
    const payment = await newPayment(method, amount, merchantId);
    await pos.applyPaymentEvents(merchantId, payment.paymentId, [{ type: 'PROCESS' }], {
      providerPaymentId: `p-${payment.paymentId}`,
    });
    const input = outcome === 'SUCCEED' ? { type: 'SUCCEED' as const } : { type: 'FAIL' as const, reason: 'refused' };
    return (await pos.applyPaymentEvents(merchantId, payment.paymentId, [input]))!.payment;
  }

  async function providerRefund(paymentId: string, amount: Money, outcome: 'succeeded' | 'failed') {
    const { refund } = await pos.requestRefund({
      merchantId: 'm1',
      paymentId,
      refundId: `ref-${++ids}`,
      amountMinor: amount.amountMinor,
      reason: null,
    });
    await pos.claimRefund('m1', refund.refundId);
    await pos.finishRefund(
      'm1',
      refund.refundId,
      outcome === 'succeeded' ? { status: 'succeeded' } : { status: 'failed', error: 'no' },
    );
    return refund;
  }

  it('counts captured sales of the day and the refunds recorded on it that succeeded, by method and currency', async () => {
    await pos.openDrawer(openDrawer('drawer-1', 'm1', money(10_000), clock.now()), 'awa');
    await pos.openDrawer(openDrawer('drawer-2', 'm2', money(10_000), clock.now()), 'bo');
    const sale = await cash(2500);
    await cash(700);
    await cash(9999, 'm2');
    await newPayment('cash', money(300)); // never confirmed: not a sale
    const wave = await provider('wave', money(1500));
    await provider('wave', money(4000), 'FAIL');
    const euro = await provider('sumup', money(1050, 'EUR'));
    await pos.requestRefund({
      merchantId: 'm1',
      paymentId: sale.paymentId,
      refundId: 'r-cash',
      amountMinor: 1000,
      reason: null,
    });
    await providerRefund(euro.paymentId, money(5, 'EUR'), 'succeeded');
    await providerRefund(wave.paymentId, money(1500), 'failed');

    clock.set('2026-03-02T08:00:00.000Z');
    await pos.requestRefund({
      merchantId: 'm1',
      paymentId: sale.paymentId,
      refundId: 'r-next',
      amountMinor: 500,
      reason: null,
    });
    await cash(100);

    const first = await dailyReport(pos, 'm1', '2026-03-01');
    expect(
      first.map((r) => [r.method, r.currency, r.count, r.grossMinor, r.refundCount, r.refundsMinor, r.netMinor]),
    ).toEqual([
      ['cash', 'XOF', 2, 3200n, 1, 1000n, 2200n],
      ['sumup', 'EUR', 1, 1050n, 1, 5n, 1045n],
      ['wave', 'XOF', 1, 1500n, 0, 0n, 1500n],
    ]);
    expect(reportCsv(first).split('\r\n')).toEqual([
      'day,merchant_id,method,currency,count,gross,refund_count,refunds,net',
      '2026-03-01,m1,cash,XOF,2,3200,1,1000,2200',
      '2026-03-01,m1,sumup,EUR,1,10.50,1,0.05,10.45',
      '2026-03-01,m1,wave,XOF,1,1500,0,0,1500',
      '',
    ]);
    // The next day: one sale, and a refund of the day before's sale (net below zero).
    expect(reportCsv(await dailyReport(pos, 'm1', '2026-03-02')).split('\r\n')[1]).toBe(
      '2026-03-02,m1,cash,XOF,1,100,1,500,-400',
    );
    expect(await dailyReport(pos, 'm1', '2026-02-28')).toEqual([]);
    expect((await dailyReport(pos, 'm2', '2026-03-01')).map((r) => r.grossMinor)).toEqual([9999n]);
  });

  it('sums exactly beyond 2^53 (the database sums, BigInt adds; never a float)', async () => {
    const big = Number.MAX_SAFE_INTEGER; // 9007199254740991
    await provider('wave', money(big));
    await provider('wave', money(big));
    await provider('wave', money(3));
    const [row] = await dailyReport(pos, 'm1', '2026-03-01');
    expect(row!.grossMinor).toBe(2n * BigInt(big) + 3n);
    expect(decimalOf(row!.grossMinor, 'XOF')).toBe('18014398509481985');
  });

  it("lists a range's payments newest first and the refunds of a list of payments, the merchant's only", async () => {
    await pos.openDrawer(openDrawer('drawer-1', 'm1', money(10_000), clock.now()), 'awa');
    const a = await cash(1000);
    clock.set('2026-03-01T23:59:59.999Z');
    const b = await cash(2000);
    clock.set('2026-03-02T00:00:00.000Z');
    await cash(3000);
    await pos.requestRefund({
      merchantId: 'm1',
      paymentId: a.paymentId,
      refundId: 'r-a',
      amountMinor: 400,
      reason: 'cold',
    });
    const listed = await pos.listPaymentsCreated('m1', '2026-03-01T00:00:00.000Z', '2026-03-02T00:00:00.000Z', 10);
    expect(listed.map((p) => p.paymentId)).toEqual([b.paymentId, a.paymentId]);
    expect(await pos.listPaymentsCreated('m2', '2026-03-01T00:00:00.000Z', '2026-03-03T00:00:00.000Z', 10)).toEqual([]);
    const refunds = await pos.refundsOfPayments('m1', [a.paymentId, b.paymentId]);
    expect(refunds.map((r) => [r.refundId, r.amount.amountMinor, r.reason])).toEqual([['r-a', 400, 'cold']]);
    expect(await pos.refundsOfPayments('m2', [a.paymentId])).toEqual([]);
    expect(await pos.refundsOfPayments('m1', [])).toEqual([]);
  });
});
