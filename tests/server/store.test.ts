import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createOrder, defaultLifecycleConfig, ManualClock } from '@paystate/core';
import { migrateSqlite, openSqlite, SqliteStore } from '@paystate/server';
import { tempDatabaseUrl } from '../support/temp-db.js';

const clock = new ManualClock('2026-03-01T09:00:00.000Z');
const deps = { clock, config: defaultLifecycleConfig };
const price = { amountMinor: 15000, currency: 'RUB' };

describe('SqliteStore on a real file', () => {
  let temp: ReturnType<typeof tempDatabaseUrl>;
  let store: SqliteStore;

  const open = () => {
    const { db, close } = openSqlite(temp.url);
    migrateSqlite(db);
    return new SqliteStore(db, deps, close);
  };

  beforeEach(async () => {
    temp = tempDatabaseUrl();
    store = open();
    await store.upsertDevice({ id: 'dev-1', name: 'Lobby', location: 'Hall', logoUrl: null, clientInfo: '', clientInfoByStatus: {} });
  });
  afterEach(async () => {
    await store.close();
    temp.cleanup();
  });

  async function pendingOrder(orderId: string) {
    await store.insertOrder(createOrder({ orderId, deviceId: 'dev-1', productId: 'latte', productName: 'Latte', size: 'M', price, provider: 'yookassa' }, deps));
    await store.applyEvent(orderId, { type: 'PAYMENT_INITIATED', providerPaymentId: `pay-${orderId}` });
  }

  async function paidOrder(orderId: string) {
    await pendingOrder(orderId);
    return store.applyEvent(orderId, { type: 'PAYMENT_OBSERVED', source: 'webhook', status: 'succeeded', amount: price });
  }

  it('opens with WAL, synchronous=FULL and a busy timeout', () => {
    const raw = new Database(temp.path);
    expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    raw.close();
    const { close } = openSqlite(temp.url);
    close();
  });

  it('writes snapshot, projected columns, audit and the make effect together, and they survive a reopen', async () => {
    const decision = await paidOrder('o-1');
    expect(decision?.status).toBe('paid');
    await store.close();
    store = open();
    const record = await store.getOrder('o-1');
    expect(record).toMatchObject({ status: 'paid', version: 2 });
    expect(record?.order.nextCheckAt).toBeNull();
    expect((await store.orderEvents('o-1')).map((e) => [e.event, e.to, e.applied])).toEqual([
      ['ORDER_CREATED', 'created', true],
      ['PAYMENT_INITIATED', 'pending', true],
      ['PAYMENT_OBSERVED', 'paid', true],
    ]);
    const claimed = await store.claimDueEffects('w1', clock.now().toISOString(), '2026-03-01T09:01:00.000Z', 10);
    expect(claimed.map((e) => [e.key, e.effect.type])).toEqual([['o-1:make', 'MAKE_COMMAND']]);
    expect(await store.findOrderByPayment('yookassa', 'pay-o-1')).toMatchObject({ status: 'paid' });
  });

  it('a duplicate observation adds only an audit row: no version bump, no effect', async () => {
    await paidOrder('o-2');
    const again = await store.applyEvent('o-2', { type: 'PAYMENT_OBSERVED', source: 'poll', status: 'succeeded', amount: price });
    expect(again?.changed).toBe(false);
    expect((await store.getOrder('o-2'))?.version).toBe(2);
    expect((await store.orderEvents('o-2')).at(-1)).toMatchObject({ applied: false, event: 'PAYMENT_OBSERVED' });
    expect(await store.countPendingEffects()).toBe(1);
  });

  it('a claimed effect is not claimed again until its lease ends', async () => {
    await paidOrder('o-3');
    const now = clock.now().toISOString();
    expect(await store.claimDueEffects('w1', now, '2026-03-01T09:00:30.000Z', 10)).toHaveLength(1);
    expect(await store.claimDueEffects('w2', now, '2026-03-01T09:00:30.000Z', 10)).toHaveLength(0);
    const later = await store.claimDueEffects('w2', '2026-03-01T09:00:31.000Z', '2026-03-01T09:01:00.000Z', 10);
    expect(later.map((e) => e.attempts)).toEqual([2]);
  });

  it('two connections to one file racing the same success produce one make effect', async () => {
    await pendingOrder('o-4');
    const second = open();
    const observation = { type: 'PAYMENT_OBSERVED' as const, source: 'poll' as const, status: 'succeeded' as const, amount: price };
    const results = await Promise.all([store.applyEvent('o-4', observation), second.applyEvent('o-4', observation)]);
    await second.close();
    expect(results.map((d) => d?.changed).sort()).toEqual([false, true]);
    const claimed = await store.claimDueEffects('w1', clock.now().toISOString(), '2026-03-01T09:01:00.000Z', 10);
    expect(claimed.filter((e) => e.effect.type === 'MAKE_COMMAND')).toHaveLength(1);
  });

  it('records webhook deliveries once per dedupe key, unless processing failed', async () => {
    const first = await store.recordWebhookDelivery('yookassa', 'evt-1', '{}', clock.now().toISOString());
    expect(first.duplicate).toBe(false);
    expect((await store.recordWebhookDelivery('yookassa', 'evt-1', '{}', clock.now().toISOString())).duplicate).toBe(true);
    await store.finishWebhookDelivery(first.id, 'error', clock.now().toISOString());
    expect((await store.recordWebhookDelivery('yookassa', 'evt-1', '{}', clock.now().toISOString())).duplicate).toBe(false);
    expect((await store.recordWebhookDelivery('tbank', 'evt-1', '{}', clock.now().toISOString())).duplicate).toBe(false);
  });

  it('refuses to delete a device that has orders', async () => {
    await paidOrder('o-5');
    expect(await store.deleteDevice('dev-1')).toBe('in_use');
    expect(await store.deleteDevice('nope')).toBe('not_found');
  });
});
