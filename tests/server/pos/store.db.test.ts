import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createPayment, expectedMinor, ManualClock, openDrawer, varianceMinor, type Money } from '@paystate/core';
import {
  loadSettings,
  openDatabase,
  PgPosStore,
  PosRefusal,
  SqlitePosStore,
  type PosStore,
  type Store,
} from '@paystate/server';
import { tempDatabase, testBackend, type TempDatabase } from '../../support/temp-db.js';

const clock = new ManualClock('2026-03-01T09:00:00.000Z');
const xof = (amountMinor: number): Money => ({ amountMinor, currency: 'XOF' });

/** Resolves to the refusal code of a rejected promise (or fails the test when it resolves). */
async function refusal(work: Promise<unknown>): Promise<string> {
  try {
    await work;
  } catch (error) {
    if (error instanceof PosRefusal) return error.code;
    throw error;
  }
  throw new Error('expected a PosRefusal');
}

describe(`the ${testBackend} POS store on a real database`, () => {
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

  async function newPayment(method: string, amount: Money, merchantId = 'm1') {
    ids += 1;
    return pos.insertPayment(
      createPayment({ paymentId: `pay-${ids}`, merchantId, methodCode: method, amount }, clock),
      'Yassa poulet',
    );
  }

  async function capturedCash(amountMinor: number, merchantId = 'm1') {
    const payment = await newPayment('cash', xof(amountMinor), merchantId);
    return (await pos.confirmCashPayment(merchantId, payment.paymentId)).payment;
  }

  async function capturedWave(amountMinor: number) {
    const payment = await newPayment('wave', xof(amountMinor));
    await pos.applyPaymentEvents('m1', payment.paymentId, [{ type: 'PROCESS' }], {
      providerPaymentId: `cos-${payment.paymentId}`,
      confirmationUrl: 'https://pay.wave.com/c/x',
    });
    return (await pos.applyPaymentEvents('m1', payment.paymentId, [{ type: 'SUCCEED' }]))!.payment;
  }

  const open = (openingMinor: number, merchantId = 'm1') =>
    pos.openDrawer(openDrawer(`drawer-${merchantId}-${++ids}`, merchantId, xof(openingMinor), clock.now()), 'awa');

  it(`DATABASE_URL opens the ${testBackend} POS store beside the order store`, () => {
    expect(pos).toBeInstanceOf(testBackend === 'sqlite' ? SqlitePosStore : PgPosStore);
  });

  it('payment methods: one per provider per merchant, listed in the merchant order, updated and deleted', async () => {
    const method = (providerCode: string, sortOrder: number, merchantId = 'm1') => ({
      merchantId,
      providerCode,
      displayName: providerCode.toUpperCase(),
      active: true,
      sortOrder,
      publicConfig: { merchant_number: '+221 77 000 00 00' },
    });
    await pos.createMethod(method('wave', 2));
    await pos.createMethod(method('cash', 1));
    await pos.createMethod(method('orange_money', 3));
    expect(await refusal(pos.createMethod(method('wave', 9)))).toBe('method_exists');
    // Another merchant may have its own Wave method.
    await pos.createMethod(method('wave', 0, 'm2'));
    expect((await pos.listMethods('m1')).map((m) => m.providerCode)).toEqual(['cash', 'wave', 'orange_money']);
    expect((await pos.getMethod('m1', 'wave'))?.publicConfig).toEqual({ merchant_number: '+221 77 000 00 00' });

    const updated = await pos.updateMethod('m1', 'orange_money', {
      active: false,
      sortOrder: 0,
      displayName: 'Orange Money',
    });
    expect(updated).toMatchObject({ active: false, sortOrder: 0, displayName: 'Orange Money' });
    expect(await pos.updateMethod('m1', 'mtn_momo', { active: false })).toBeNull();
    expect(await pos.deleteMethod('m1', 'wave')).toBe(true);
    expect(await pos.deleteMethod('m1', 'wave')).toBe(false);
    expect((await pos.listMethods('m1')).map((m) => m.providerCode)).toEqual(['orange_money', 'cash']);
    expect((await pos.listMethods('m2')).map((m) => m.providerCode)).toEqual(['wave']);
  });

  it('a cash payment goes into the open drawer in the same transaction; without one nothing is written', async () => {
    const payment = await newPayment('cash', xof(2500));
    expect(await refusal(pos.confirmCashPayment('m1', payment.paymentId))).toBe('drawer_not_open');
    expect(await pos.getPayment('m1', payment.paymentId)).toMatchObject({
      status: 'pending',
      version: 0,
      drawerSessionId: null,
    });

    const drawer = await open(10_000);
    const confirmed = await pos.confirmCashPayment('m1', payment.paymentId);
    expect(confirmed.payment).toMatchObject({ status: 'success', version: 1, drawerSessionId: drawer.sessionId });
    expect(confirmed.drawer).toMatchObject({ cashInMinor: 2500, cashOutMinor: 0, version: 1 });
    expect(expectedMinor(confirmed.drawer)).toBe(12_500);
    expect(await refusal(pos.confirmCashPayment('m1', payment.paymentId))).toBe('payment_not_confirmable');
    expect(await refusal(pos.confirmCashPayment('m2', payment.paymentId))).toBe('payment_not_found');
    const wave = await newPayment('wave', xof(100));
    expect(await refusal(pos.confirmCashPayment('m1', wave.paymentId))).toBe('payment_not_cash');
    expect(await pos.drawerMovements(drawer.sessionId)).toEqual([
      expect.objectContaining({ direction: 'in', amountMinor: 2500, paymentId: payment.paymentId, refundId: null }),
    ]);
  });

  it('cash refunds: partial up to exactly what was captured, out of the drawer; one beyond is refused and writes nothing', async () => {
    const drawer = await open(1_000);
    const payment = await capturedCash(3_000);
    const first = await pos.requestRefund({
      merchantId: 'm1',
      paymentId: payment.paymentId,
      refundId: 'r1',
      amountMinor: 1_000,
      reason: 'cold',
    });
    expect(first.refund).toMatchObject({ status: 'succeeded', drawerSessionId: drawer.sessionId, amount: xof(1_000) });
    expect(first.payment).toMatchObject({ status: 'partially_refunded', refundedMinor: 1_000 });
    expect(first.drawer).toMatchObject({ cashOutMinor: 1_000 });

    const before = { payment: await pos.getPayment('m1', payment.paymentId), drawer: await pos.getOpenDrawer('m1') };
    expect(
      await refusal(
        pos.requestRefund({
          merchantId: 'm1',
          paymentId: payment.paymentId,
          refundId: 'r2',
          amountMinor: 2_001,
          reason: null,
        }),
      ),
    ).toBe('refund_exceeds_refundable');
    expect(await pos.getPayment('m1', payment.paymentId)).toEqual(before.payment);
    expect(await pos.getOpenDrawer('m1')).toEqual(before.drawer);
    expect(await pos.listRefunds('m1', payment.paymentId)).toHaveLength(1);

    const last = await pos.requestRefund({
      merchantId: 'm1',
      paymentId: payment.paymentId,
      refundId: 'r3',
      amountMinor: 2_000,
      reason: null,
    });
    expect(last.payment).toMatchObject({ status: 'refunded', refundedMinor: 3_000 });
    expect(
      await refusal(
        pos.requestRefund({
          merchantId: 'm1',
          paymentId: payment.paymentId,
          refundId: 'r4',
          amountMinor: 1,
          reason: null,
        }),
      ),
    ).toBe('payment_not_refundable');
    const closed = await pos.closeDrawer('m1', xof(900), 'awa');
    expect(expectedMinor(closed)).toBe(1_000 + 3_000 - 3_000);
    expect(varianceMinor(closed)).toBe(-100);
    expect(closed).toMatchObject({ closedBy: 'awa', countedMinor: 900 });
    expect(await pos.getOpenDrawer('m1')).toBeNull();
    expect(
      await refusal(
        pos.requestRefund({
          merchantId: 'm1',
          paymentId: (await capturedCashOn(2)).paymentId,
          refundId: 'r5',
          amountMinor: 1,
          reason: null,
        }),
      ),
    ).toBe('drawer_not_open');

    async function capturedCashOn(n: number) {
      await open(0);
      const p = await capturedCash(n);
      await pos.closeDrawer('m1', xof(n), null);
      return p;
    }
  });

  it("a pending payment is not refundable; a refund of another merchant's payment finds nothing", async () => {
    const payment = await newPayment('cash', xof(500));
    expect(
      await refusal(
        pos.requestRefund({
          merchantId: 'm1',
          paymentId: payment.paymentId,
          refundId: 'x1',
          amountMinor: 100,
          reason: null,
        }),
      ),
    ).toBe('payment_not_refundable');
    expect(
      await refusal(
        pos.requestRefund({
          merchantId: 'm2',
          paymentId: payment.paymentId,
          refundId: 'x2',
          amountMinor: 100,
          reason: null,
        }),
      ),
    ).toBe('payment_not_found');
  });

  it('provider refunds are recorded as requested before the call; a failure gives the amount back, a success is final', async () => {
    const payment = await capturedWave(5_000);
    const requested = await pos.requestRefund({
      merchantId: 'm1',
      paymentId: payment.paymentId,
      refundId: 'w1',
      amountMinor: 5_000,
      reason: null,
    });
    expect(requested.refund.status).toBe('requested');
    expect(requested.drawer).toBeNull();
    expect(requested.payment).toMatchObject({ status: 'refunded', refundedMinor: 5_000 });
    // While it is requested, nothing more can be refunded: a crash cannot lead to a second refund.
    expect(
      await refusal(
        pos.requestRefund({
          merchantId: 'm1',
          paymentId: payment.paymentId,
          refundId: 'w2',
          amountMinor: 1,
          reason: null,
        }),
      ),
    ).toBe('payment_not_refundable');
    // Not claimed yet: nothing was sent, so it cannot be settled.
    expect(await refusal(pos.finishRefund('m1', 'w1', { status: 'succeeded' }))).toBe('refund_not_requested');
    expect(await pos.claimRefund('m1', 'w1')).toMatchObject({ status: 'sending' });
    await pos.noteRefundError('w1', 'timeout');
    const failed = await pos.finishRefund('m1', 'w1', { status: 'failed', error: 'refused' });
    expect(failed.refund).toMatchObject({ status: 'failed', lastError: 'refused' });
    expect(failed.payment).toMatchObject({ status: 'success', refundedMinor: 0 });
    expect(await refusal(pos.finishRefund('m1', 'w1', { status: 'succeeded' }))).toBe('refund_not_requested');
    expect(await refusal(pos.finishRefund('m1', 'nope', { status: 'succeeded' }))).toBe('refund_not_found');

    await pos.requestRefund({
      merchantId: 'm1',
      paymentId: payment.paymentId,
      refundId: 'w3',
      amountMinor: 2_000,
      reason: null,
    });
    await pos.claimRefund('m1', 'w3');
    const done = await pos.finishRefund('m1', 'w3', { status: 'succeeded' });
    expect(done.refund).toMatchObject({ status: 'succeeded', lastError: null });
    expect(done.payment).toMatchObject({ status: 'partially_refunded', refundedMinor: 2_000 });
    expect((await pos.listRefunds('m1', payment.paymentId)).map((r) => [r.refundId, r.status])).toEqual([
      ['w1', 'failed'],
      ['w3', 'succeeded'],
    ]);
  });

  it('a refund is claimed for sending exactly once, whoever races for it (docs/architecture.md section 9, issue 11 path 1)', async () => {
    const payment = await capturedWave(5_000);
    await pos.requestRefund({
      merchantId: 'm1',
      paymentId: payment.paymentId,
      refundId: 'k1',
      amountMinor: 5_000,
      reason: null,
    });
    const claims = await Promise.all(Array.from({ length: 12 }, () => pos.claimRefund('m1', 'k1')));
    expect(claims.filter((claim) => claim !== null)).toHaveLength(1);
    expect(claims.find((claim) => claim !== null)).toMatchObject({ status: 'sending', sentAt: expect.any(String) });
    expect(await pos.claimRefund('m1', 'k1')).toBeNull();
    expect(await pos.claimRefund('m2', 'k1')).toBeNull();
  });

  it('the same refund id again answers the existing refund and writes nothing; on another amount it is refused (issue 11 path 2)', async () => {
    const payment = await capturedWave(5_000);
    const first = await pos.requestRefund({
      merchantId: 'm1',
      paymentId: payment.paymentId,
      refundId: 'same',
      amountMinor: 2_000,
      reason: null,
    });
    expect(first.existing).toBe(false);
    const again = await pos.requestRefund({
      merchantId: 'm1',
      paymentId: payment.paymentId,
      refundId: 'same',
      amountMinor: 2_000,
      reason: null,
    });
    expect(again).toMatchObject({
      existing: true,
      refund: { refundId: 'same', status: 'requested' },
      payment: { refundedMinor: 2_000 },
    });
    expect(
      await refusal(
        pos.requestRefund({
          merchantId: 'm1',
          paymentId: payment.paymentId,
          refundId: 'same',
          amountMinor: 1_000,
          reason: null,
        }),
      ),
    ).toBe('idempotency_key_reused');
    expect(await pos.listRefunds('m1', payment.paymentId)).toHaveLength(1);
    expect(await pos.getPayment('m1', payment.paymentId)).toMatchObject({ refundedMinor: 2_000 });
  });

  it('due provider payments are claimed oldest-due first, each by one poller; a settled payment leaves the schedule (issue 11 path 7)', async () => {
    const schedule = (offsetS: number) => ({
      nextCheckAt: new Date(clock.now().getTime() + offsetS * 1000).toISOString(),
      expiresAt: new Date(clock.now().getTime() + 900_000).toISOString(),
    });
    const due = [];
    for (const offset of [3, 1, 2]) {
      due.push(
        await pos.insertPayment(
          createPayment({ paymentId: `due-${offset}`, merchantId: 'm1', methodCode: 'wave', amount: xof(100) }, clock),
          '',
          schedule(offset),
        ),
      );
    }
    await pos.insertPayment(
      createPayment({ paymentId: 'later', merchantId: 'm1', methodCode: 'wave', amount: xof(100) }, clock),
      '',
      schedule(60),
    );
    await pos.insertPayment(
      createPayment({ paymentId: 'other-method', merchantId: 'm1', methodCode: 'tbank', amount: xof(100) }, clock),
      '',
      schedule(1),
    );
    const now = new Date(clock.now().getTime() + 5_000).toISOString();
    const lease = new Date(clock.now().getTime() + 35_000).toISOString();
    const [a, b] = await Promise.all([
      pos.claimDuePayments(now, lease, ['wave'], 10),
      pos.claimDuePayments(now, lease, ['wave'], 10),
    ]);
    const claimed = [...a!, ...b!].map((p) => p.paymentId);
    expect(claimed.sort()).toEqual(['due-1', 'due-2', 'due-3']);
    expect((a!.length > 0 ? a! : b!).map((p) => p.paymentId)).toEqual(
      ['due-1', 'due-2', 'due-3'].filter((id) => claimed.includes(id)),
    );
    expect(await pos.claimDuePayments(now, lease, ['wave'], 10)).toEqual([]);

    await pos.applyPaymentEvents('m1', 'due-1', [{ type: 'PROCESS' }, { type: 'SUCCEED' }]);
    expect(await pos.getPayment('m1', 'due-1')).toMatchObject({ status: 'success', nextCheckAt: null });
    await pos.schedulePaymentCheck('m1', 'due-1', { nextCheckAt: now, failedChecks: 1 });
    expect(await pos.getPayment('m1', 'due-1')).toMatchObject({ nextCheckAt: null, failedChecks: 0 });
    await pos.schedulePaymentCheck('m1', 'due-2', { nextCheckAt: now, failedChecks: 2 });
    expect((await pos.claimDuePayments(now, lease, ['wave'], 10)).map((p) => [p.paymentId, p.failedChecks])).toEqual([
      ['due-2', 2],
    ]);
  });

  it('concurrent refunds of one payment never exceed what was captured', async () => {
    const payment = await capturedWave(10_000);
    const attempts = await Promise.allSettled(
      Array.from({ length: 12 }, (_, i) =>
        pos.requestRefund({
          merchantId: 'm1',
          paymentId: payment.paymentId,
          refundId: `c${i}`,
          amountMinor: 3_000,
          reason: null,
        }),
      ),
    );
    const ok = attempts.filter((a) => a.status === 'fulfilled');
    const refused = attempts.filter((a): a is PromiseRejectedResult => a.status === 'rejected');
    expect(ok).toHaveLength(3);
    for (const r of refused) expect((r.reason as PosRefusal).code).toBe('refund_exceeds_refundable');
    expect(await pos.getPayment('m1', payment.paymentId)).toMatchObject({
      refundedMinor: 9_000,
      status: 'partially_refunded',
      version: 5,
    });
    expect(await pos.listRefunds('m1', payment.paymentId)).toHaveLength(3);
  });

  it('any sequence of refunds: refunded = the sum of the accepted ones, never beyond captured (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 5_000 }),
        fc.array(fc.integer({ min: 1, max: 3_000 }), { maxLength: 8 }),
        async (captured, amounts) => {
          const drawer = await pos.getOpenDrawer('m1');
          if (!drawer) await open(0);
          const payment = await capturedCash(captured);
          let refunded = 0;
          for (const [i, amount] of amounts.entries()) {
            const request = pos.requestRefund({
              merchantId: 'm1',
              paymentId: payment.paymentId,
              refundId: `${payment.paymentId}-${i}`,
              amountMinor: amount,
              reason: null,
            });
            if (refunded + amount <= captured) {
              await request;
              refunded += amount;
            } else {
              expect(await refusal(request)).toMatch(/^(refund_exceeds_refundable|payment_not_refundable)$/);
            }
          }
          const stored = await pos.getPayment('m1', payment.paymentId);
          expect(stored?.refundedMinor).toBe(refunded);
          expect(stored?.status).toBe(
            refunded === 0 ? 'success' : refunded === captured ? 'refunded' : 'partially_refunded',
          );
        },
      ),
      { numRuns: 15 },
    );
  });

  it('drawer sessions: one open per merchant (also when opened concurrently), cash in and out by hand, close with expected and variance', async () => {
    const opens = await Promise.allSettled(Array.from({ length: 6 }, () => open(5_000)));
    expect(opens.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    for (const o of opens)
      if (o.status === 'rejected') expect((o.reason as PosRefusal).code).toBe('drawer_already_open');
    await open(0, 'm2');

    await pos.recordDrawerCash('m1', 'in', xof(700), 'float');
    await pos.recordDrawerCash('m1', 'out', xof(200), 'change for the market');
    expect(await refusal(pos.recordDrawerCash('m1', 'out', xof(100_000), null))).toBe('drawer_refused');
    expect(await refusal(pos.recordDrawerCash('m1', 'in', { amountMinor: 5, currency: 'EUR' }, null))).toBe(
      'drawer_refused',
    );
    await capturedCash(1_500);
    const current = await pos.getOpenDrawer('m1');
    expect(current).toMatchObject({ openingMinor: 5_000, cashInMinor: 2_200, cashOutMinor: 200 });
    expect(expectedMinor(current!)).toBe(7_000);

    clock.advance(8 * 3600);
    const closed = await pos.closeDrawer('m1', xof(7_050), 'moussa');
    expect(closed.closedAt).toBe(clock.now().toISOString());
    expect(varianceMinor(closed)).toBe(50);
    expect(await refusal(pos.closeDrawer('m1', xof(0), null))).toBe('drawer_not_open');
    expect(await refusal(pos.recordDrawerCash('m1', 'in', xof(1), null))).toBe('drawer_not_open');
    expect((await pos.drawerMovements(closed.sessionId)).map((m) => [m.direction, m.amountMinor])).toEqual([
      ['in', 700],
      ['out', 200],
      ['in', 1_500],
    ]);
    // A new day: a new session.
    const next = await open(7_050);
    expect((await pos.listDrawers('m1', 10)).map((d) => d.sessionId)).toEqual([next.sessionId, closed.sessionId]);
    expect(await pos.getDrawer('m2', closed.sessionId)).toBeNull();
  });

  it('tills: one open session per merchant and till (also when opened concurrently); cash in and out of the till named, the refund records who asked', async () => {
    const openTill = (tillId: string, openingMinor: number) =>
      pos.openDrawer(openDrawer(`drawer-${tillId}-${++ids}`, 'm1', xof(openingMinor), clock.now()), 'awa', tillId);
    const opens = await Promise.allSettled(
      ['main', 'bar', 'main', 'bar', 'main', 'bar'].map((till) => openTill(till, till === 'bar' ? 1_000 : 5_000)),
    );
    const won = opens.flatMap((o) => (o.status === 'fulfilled' ? [o.value.tillId] : []));
    expect(won.sort()).toEqual(['bar', 'main']);
    for (const o of opens)
      if (o.status === 'rejected') expect((o.reason as PosRefusal).code).toBe('drawer_already_open');
    expect(await pos.getOpenDrawer('m1', 'cave')).toBeNull();

    const sale = await newPayment('cash', xof(2_000));
    const confirmed = await pos.confirmCashPayment('m1', sale.paymentId, 'bar');
    expect(confirmed.drawer).toMatchObject({ tillId: 'bar', cashInMinor: 2_000 });
    expect(confirmed.payment.drawerSessionId).toBe(confirmed.drawer.sessionId);
    const refund = await pos.requestRefund({
      merchantId: 'm1',
      paymentId: sale.paymentId,
      refundId: 'r-bar',
      amountMinor: 500,
      reason: null,
      tillId: 'bar',
      requestedBy: 'kossi',
    });
    expect(refund.refund).toMatchObject({ requestedBy: 'kossi', drawerSessionId: confirmed.drawer.sessionId });
    expect(refund.drawer).toMatchObject({ tillId: 'bar', cashOutMinor: 500 });
    await pos.recordDrawerCash('m1', 'out', xof(300), 'ice', 'bar');
    expect(await refusal(pos.recordDrawerCash('m1', 'in', xof(1), null, 'cave'))).toBe('drawer_not_open');
    expect(await refusal(pos.confirmCashPayment('m1', (await newPayment('cash', xof(10))).paymentId, 'cave'))).toBe(
      'drawer_not_open',
    );

    const main = await pos.getOpenDrawer('m1');
    expect(main).toMatchObject({ tillId: 'main', cashInMinor: 0, cashOutMinor: 0 });
    expect(expectedMinor((await pos.getOpenDrawer('m1', 'bar'))!)).toBe(1_000 + 2_000 - 500 - 300);
    const closed = await pos.closeDrawer('m1', xof(2_200), 'moussa', 'bar');
    expect(closed).toMatchObject({ tillId: 'bar', closedBy: 'moussa' });
    expect(await pos.getOpenDrawer('m1', 'bar')).toBeNull();
    expect(await pos.getOpenDrawer('m1')).toEqual(main);
    expect((await pos.listDrawers('m1', 10, 'bar')).map((d) => d.sessionId)).toEqual([closed.sessionId]);
    expect((await pos.listDrawers('m1', 10)).map((d) => d.tillId).sort()).toEqual(['bar', 'main']);
  });

  it('payments are listed per merchant, newest first, by status', async () => {
    const a = await newPayment('cash', xof(100));
    clock.advance(1);
    const b = await newPayment('wave', xof(200));
    clock.advance(1);
    await newPayment('cash', xof(300), 'm2');
    expect((await pos.listPayments('m1', { limit: 10 })).map((p) => p.paymentId)).toEqual([b.paymentId, a.paymentId]);
    await open(0);
    await pos.confirmCashPayment('m1', a.paymentId);
    expect((await pos.listPayments('m1', { status: 'success', limit: 10 })).map((p) => p.paymentId)).toEqual([
      a.paymentId,
    ]);
    expect(await pos.listPayments('m1', { limit: 10, createdBefore: b.createdAt })).toHaveLength(1);
  });
});
