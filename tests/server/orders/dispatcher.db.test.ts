import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '@paystate/core';
import { createRuntime, loadSettings, type Runtime } from '@paystate/server';
import { TmetrSandbox, YooKassaSandbox } from '@paystate/sandbox';
import { effectRows as outboxRows } from '../../support/inspect.js';
import { tempDatabase } from '../../support/temp-db.js';

const SHOP = { shopId: 'shop-1', secretKey: 'secret-1' };
let cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  cleanups = [];
});

async function stack(env: Record<string, string> = {}) {
  const clock = new ManualClock('2026-03-01T09:00:00.000Z');
  const yookassa = new YooKassaSandbox(SHOP);
  const tmetr = new TmetrSandbox({ token: 'tm' });
  const y = await yookassa.start();
  const t = await tmetr.start();
  const temp = await tempDatabase();
  const settings = loadSettings({
    DATABASE_URL: temp.url,
    YOOKASSA_API_URL: y.apiUrl,
    YOOKASSA_SHOP_ID: SHOP.shopId,
    YOOKASSA_SECRET_KEY: SHOP.secretKey,
    TMETR_API_URL: t.url,
    TMETR_TOKEN: 'tm',
    PAYMENT_API_TIMEOUT_S: '0.3',
    LOG_LEVEL: 'silent',
    ...env,
  });
  const runtime: Runtime = createRuntime({ settings, clock, logger: pino({ level: 'silent' }) });
  cleanups.push(
    temp.cleanup,
    () => y.close(),
    () => t.close(),
    () => runtime.close(),
  );
  await runtime.store.upsertDevice({
    id: 'dev-1',
    name: 'D',
    location: '',
    logoUrl: null,
    clientInfo: '',
    clientInfoByStatus: {},
  });

  /** An order paid on the fast track, its MAKE_COMMAND committed but not yet performed. */
  async function paidOrder(): Promise<{ orderId: string; paymentId: string }> {
    const record = await runtime.orders.create({
      deviceId: 'dev-1',
      productId: 'latte',
      productName: 'Latte',
      size: 'M',
      price: { amountMinor: 15_000, currency: 'RUB' },
      provider: 'yookassa',
    });
    const orderId = record.order.orderId;
    await runtime.orders.pay(orderId);
    const paymentId = yookassa.paymentFor(orderId)!.id;
    await yookassa.setStatus(paymentId, 'succeeded', false);
    await runtime.store.applyEvent(orderId, {
      type: 'PAYMENT_OBSERVED',
      source: 'poll',
      status: 'succeeded',
      amount: { amountMinor: 15_000, currency: 'RUB' },
    });
    return { orderId, paymentId };
  }

  /** The order's outbox rows, read through the backend's own driver. */
  async function effectRows(orderId: string) {
    return (await outboxRows(temp, orderId)).map(({ kind, status, attempts, lastError }) => ({
      kind,
      status,
      attempts,
      lastError,
    }));
  }

  return { clock, runtime, yookassa, tmetr, paidOrder, effectRows };
}

describe('effects dispatcher', () => {
  it('resends a make command whose answer was lost, and the machine makes one drink', async () => {
    const s = await stack();
    const { orderId } = await s.paidOrder();
    s.tmetr.faults.inject('make', { delayMs: 800, afterEffect: true });
    await s.runtime.dispatcher.kick();
    expect((await s.runtime.store.getOrder(orderId))?.status).toBe('paid');
    expect(await s.effectRows(orderId)).toEqual([
      expect.objectContaining({ kind: 'MAKE_COMMAND', status: 'pending', attempts: 1 }),
    ]);

    s.clock.advance(2); // past the first backoff
    await s.runtime.dispatcher.kick();
    expect(s.tmetr.received.map((c) => c.order_id)).toEqual([orderId, orderId]);
    expect([...s.tmetr.made.keys()]).toEqual([orderId]);
    expect((await s.runtime.store.getOrder(orderId))?.status).toBe('make_pending');
    expect(await s.effectRows(orderId)).toEqual([
      expect.objectContaining({ kind: 'MAKE_COMMAND', status: 'done', attempts: 2 }),
    ]);
  });

  it('sends no make command again once the machine reported the order (issue 11, path 4)', async () => {
    const s = await stack();
    const { orderId } = await s.paidOrder();
    // Tmetr hangs past the timeout: the outcome is unknown and a retry is scheduled.
    s.tmetr.faults.inject('make', { delayMs: 800, afterEffect: true });
    await s.runtime.dispatcher.kick();
    expect(s.tmetr.received).toHaveLength(1);
    // Meanwhile the machine made the drink and said so.
    await s.runtime.orders.deviceReport('dev-1', orderId, 'made');
    expect((await s.runtime.store.getOrder(orderId))?.status).toBe('successful');
    for (let i = 0; i < 3; i++) {
      s.clock.advance(60);
      await s.runtime.dispatcher.kick();
    }
    expect(s.tmetr.received.map((c) => c.order_id)).toEqual([orderId]);
    expect((await s.effectRows(orderId)).find((row) => row.kind === 'MAKE_COMMAND')).toMatchObject({
      status: 'cancelled',
    });
  });

  it('gives up after MAKE_ATTEMPTS_LIMIT transient failures: make_failed, with an alert', async () => {
    const s = await stack({ MAKE_ATTEMPTS_LIMIT: '3' });
    const { orderId } = await s.paidOrder();
    s.tmetr.faults.inject('make', { status: 503, times: 10 });
    for (let i = 0; i < 3; i++) {
      await s.runtime.dispatcher.kick();
      s.clock.advance(10);
    }
    await s.runtime.dispatcher.kick();
    const record = await s.runtime.store.getOrder(orderId);
    expect(record?.status).toBe('make_failed');
    expect(record?.order.failureReason).toBe('make_rejected');
    const rows = await s.effectRows(orderId);
    expect(rows[0]).toMatchObject({ kind: 'MAKE_COMMAND', status: 'failed', attempts: 3, lastError: 'HTTP 503' });
    expect(rows.filter((row) => row.kind === 'ALERT')).toHaveLength(1);
    expect(s.tmetr.made.size).toBe(0);
  });

  it('a machine that refuses (4xx) fails the order at once, without retrying', async () => {
    const s = await stack();
    const { orderId } = await s.paidOrder();
    s.tmetr.mode = 'reject';
    await s.runtime.dispatcher.kick();
    expect((await s.runtime.store.getOrder(orderId))?.status).toBe('make_failed');
    expect(s.tmetr.received).toHaveLength(1);
    expect((await s.effectRows(orderId))[0]).toMatchObject({ status: 'failed', attempts: 1, lastError: 'HTTP 422' });
  });

  it('an operator refund reaches the provider once, even when its first answer is lost', async () => {
    const s = await stack();
    const { orderId, paymentId } = await s.paidOrder();
    s.tmetr.mode = 'reject';
    await s.runtime.dispatcher.kick();
    await s.runtime.orders.operatorAction(orderId, 'refund', 'anna', 'machine jammed');
    s.yookassa.faults.inject('refund', { delayMs: 800, afterEffect: true });
    await s.runtime.dispatcher.kick();
    s.clock.advance(2);
    await s.runtime.dispatcher.kick();
    expect(s.yookassa.payment(paymentId).refunded).toEqual({ amountMinor: 15_000, currency: 'RUB' });
    expect((await s.runtime.store.getOrder(orderId))?.status).toBe('refunded');
    expect((await s.effectRows(orderId)).find((row) => row.kind === 'REFUND')).toMatchObject({
      status: 'done',
      attempts: 2,
    });
  });

  it('a refund the provider refuses puts the order under manual review', async () => {
    const s = await stack();
    const { orderId, paymentId } = await s.paidOrder();
    s.tmetr.mode = 'reject';
    await s.runtime.dispatcher.kick();
    s.yookassa.payment(paymentId).status = 'canceled';
    await s.runtime.orders.operatorAction(orderId, 'refund', 'anna');
    await s.runtime.dispatcher.kick();
    expect((await s.runtime.store.getOrder(orderId))?.status).toBe('requires_manual_review');
    expect((await s.effectRows(orderId)).find((row) => row.kind === 'REFUND')).toMatchObject({
      status: 'failed',
      lastError: 'HTTP 400',
    });
  });
});
