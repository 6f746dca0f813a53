import { readFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createOrder, defaultLifecycleConfig, ManualClock } from '@paystate/core';
import {
  loadSettings,
  migratePg,
  openPg,
  openSqlite,
  openStore,
  PgStore,
  SettingsError,
  SqliteStore,
  type Store,
} from '@paystate/server';
import { effectRows, pgQuery } from '../../support/inspect.js';
import { tempDatabase, testBackend, type TempDatabase } from '../../support/temp-db.js';

const clock = new ManualClock('2026-03-01T09:00:00.000Z');
const deps = { clock, config: defaultLifecycleConfig };
const price = { amountMinor: 15000, currency: 'RUB' };

describe(`the ${testBackend} store on a real database`, () => {
  let temp: TempDatabase;
  let store: Store;

  /** The store the runtime opens for this DATABASE_URL, migrated. */
  const open = () => openStore(loadSettings({ DATABASE_URL: temp.url, LOG_LEVEL: 'silent' }), clock);

  beforeEach(async () => {
    clock.set('2026-03-01T09:00:00.000Z');
    temp = await tempDatabase();
    store = open();
    await store.upsertDevice({
      id: 'dev-1',
      name: 'Lobby',
      location: 'Hall',
      logoUrl: null,
      clientInfo: '',
      clientInfoByStatus: {},
    });
  });
  afterEach(async () => {
    await store.close();
    await temp.cleanup();
  });

  async function pendingOrder(orderId: string) {
    await store.insertOrder(
      createOrder(
        {
          orderId,
          deviceId: 'dev-1',
          productId: 'latte',
          productName: 'Latte',
          size: 'M',
          price,
          provider: 'yookassa',
        },
        deps,
      ),
      { merchantId: 'default', providerAccountId: null },
    );
    await store.applyEvent(orderId, { type: 'PAYMENT_INITIATED', providerPaymentId: `pay-${orderId}` });
  }

  async function paidOrder(orderId: string) {
    await pendingOrder(orderId);
    return store.applyEvent(orderId, {
      type: 'PAYMENT_OBSERVED',
      source: 'webhook',
      status: 'succeeded',
      amount: price,
    });
  }

  it("a payment start is leased to one caller; a dead caller's lease runs out; the next transition ends it", async () => {
    await store.insertOrder(
      createOrder(
        {
          orderId: 'o-lease',
          deviceId: 'dev-1',
          productId: 'latte',
          productName: 'Latte',
          size: 'M',
          price,
          provider: 'yookassa',
        },
        deps,
      ),
      { merchantId: 'default', providerAccountId: null },
    );
    const at = (seconds: number) => new Date(Date.parse('2026-03-01T09:00:00.000Z') + seconds * 1000).toISOString();
    const claims = await Promise.all([0, 0, 0].map(() => store.claimPaymentStart('o-lease', at(0), at(60))));
    expect(claims.filter(Boolean)).toHaveLength(1);
    expect(await store.claimPaymentStart('o-lease', at(59), at(119))).toBe(false);
    // Its holder died mid-call: after the lease the next caller may start it (with the same idempotency key).
    expect(await store.claimPaymentStart('o-lease', at(60), at(120))).toBe(true);
    await store.releasePaymentStart('o-lease');
    expect(await store.claimPaymentStart('o-lease', at(61), at(121))).toBe(true);
    await store.applyEvent('o-lease', { type: 'PAYMENT_INITIATED', providerPaymentId: 'pay-lease' });
    // Pending now: there is nothing left to start.
    expect(await store.claimPaymentStart('o-lease', at(200), at(260))).toBe(false);
  });

  it(`DATABASE_URL ${testBackend === 'sqlite' ? 'file:' : 'postgres://'} opens the ${testBackend} store`, () => {
    expect(store).toBeInstanceOf(testBackend === 'sqlite' ? SqliteStore : PgStore);
  });

  if (testBackend === 'postgres') {
    it('several processes migrating one fresh database at once: the advisory lock lets each migration run once', async () => {
      const fresh = await tempDatabase();
      const handles = Array.from({ length: 4 }, () => openPg(fresh.url, { max: 1 }));
      try {
        await Promise.all(handles.map((handle) => migratePg(handle.pool)));
      } finally {
        await Promise.all(handles.map((handle) => handle.close()));
      }
      const applied = await pgQuery<{ n: string }>(fresh, 'select count(*) as n from drizzle.__drizzle_migrations');
      const tables = await pgQuery<{ name: string }>(
        fresh,
        "select tablename as name from pg_tables where schemaname = 'public' order by 1",
      );
      await fresh.cleanup();
      const journal = JSON.parse(
        readFileSync(new URL('../../../packages/server/drizzle/pg/meta/_journal.json', import.meta.url), 'utf8'),
      ) as { entries: unknown[] };
      expect(Number(applied[0]?.n)).toBe(journal.entries.length);
      expect(tables.map((t) => t.name)).toEqual([
        'alert_channels',
        'alert_deliveries',
        'alerts',
        'api_keys',
        'cash_drawer_movements',
        'cash_drawer_sessions',
        'console_sessions',
        'console_users',
        'devices',
        'effects',
        'idempotency_keys',
        'merchants',
        'order_events',
        'orders',
        'payment_methods',
        'payment_refunds',
        'payments',
        'provider_accounts',
        'readiness_probe',
        'tickets',
        'webhook_inbox',
      ]);
    });
  }

  if (testBackend === 'sqlite') {
    it('opens with WAL, synchronous=FULL and a busy timeout', () => {
      const raw = new Database(temp.path!);
      expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
      raw.close();
      const { close } = openSqlite(temp.url);
      close();
    });
  }

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
    const again = await store.applyEvent('o-2', {
      type: 'PAYMENT_OBSERVED',
      source: 'poll',
      status: 'succeeded',
      amount: price,
    });
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

  it('two connections to one database racing the same success produce one make effect', async () => {
    await pendingOrder('o-4');
    const second = open();
    const observation = {
      type: 'PAYMENT_OBSERVED' as const,
      source: 'poll' as const,
      status: 'succeeded' as const,
      amount: price,
    };
    const results = await Promise.all([store.applyEvent('o-4', observation), second.applyEvent('o-4', observation)]);
    await second.close();
    expect(results.map((d) => d?.changed).sort()).toEqual([false, true]);
    const claimed = await store.claimDueEffects('w1', clock.now().toISOString(), '2026-03-01T09:01:00.000Z', 10);
    expect(claimed.filter((e) => e.effect.type === 'MAKE_COMMAND')).toHaveLength(1);
  });

  it('records webhook deliveries once per dedupe key, unless processing failed', async () => {
    const first = await store.recordWebhookDelivery('yookassa', 'evt-1', '{}', clock.now().toISOString());
    expect(first.duplicate).toBe(false);
    expect((await store.recordWebhookDelivery('yookassa', 'evt-1', '{}', clock.now().toISOString())).duplicate).toBe(
      true,
    );
    await store.finishWebhookDelivery(first.id, 'error', clock.now().toISOString());
    expect((await store.recordWebhookDelivery('yookassa', 'evt-1', '{}', clock.now().toISOString())).duplicate).toBe(
      false,
    );
    expect((await store.recordWebhookDelivery('tbank', 'evt-1', '{}', clock.now().toISOString())).duplicate).toBe(
      false,
    );
  });

  it('a delivery cut off mid-processing (still "received") is taken over by a redelivery a minute later, once', async () => {
    const at = () => clock.now().toISOString();
    const first = await store.recordWebhookDelivery('yookassa', 'evt-crash', '{}', at());
    clock.advance(59);
    expect((await store.recordWebhookDelivery('yookassa', 'evt-crash', '{}', at())).duplicate).toBe(true);
    clock.advance(2);
    const retry = await store.recordWebhookDelivery('yookassa', 'evt-crash', '{}', at());
    expect(retry).toEqual({ id: first.id, duplicate: false });
    expect((await store.recordWebhookDelivery('yookassa', 'evt-crash', '{}', at())).duplicate).toBe(true);
    await store.finishWebhookDelivery(retry.id, 'applied', at());
    clock.advance(3600);
    expect((await store.recordWebhookDelivery('yookassa', 'evt-crash', '{}', at())).duplicate).toBe(true);
  });

  it('refuses to delete a device that has orders', async () => {
    await paidOrder('o-5');
    expect(await store.deleteDevice('dev-1')).toBe('in_use');
    expect(await store.deleteDevice('nope')).toBe('not_found');
  });

  it('ten observations from two connections at once: one transition, one make effect, every event audited', async () => {
    await pendingOrder('o-6');
    const second = open();
    const observation = {
      type: 'PAYMENT_OBSERVED' as const,
      source: 'poll' as const,
      status: 'succeeded' as const,
      amount: price,
    };
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => (i % 2 ? second : store).applyEvent('o-6', observation)),
    );
    await second.close();
    expect(results.filter((d) => d?.changed)).toHaveLength(1);
    expect((await store.getOrder('o-6'))?.version).toBe(2);
    expect((await store.orderEvents('o-6')).filter((e) => e.event === 'PAYMENT_OBSERVED')).toHaveLength(10);
    expect((await effectRows(temp, 'o-6')).map((row) => [row.key, row.kind, row.status])).toEqual([
      ['o-6:make', 'MAKE_COMMAND', 'pending'],
    ]);
  });

  it('two connections claiming due orders at once take disjoint sets that together cover every due order', async () => {
    for (let i = 0; i < 20; i++) await pendingOrder(`c-${i}`);
    const second = open();
    const now = '2026-03-01T09:00:05.000Z';
    const lease = '2026-03-01T09:00:35.000Z';
    const [a, b] = await Promise.all([
      store.claimDueOrders('w1', now, lease, ['yookassa'], 15),
      second.claimDueOrders('w2', now, lease, ['yookassa'], 15),
    ]);
    await second.close();
    const ids = [...a, ...b].map((r) => r.order.orderId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.sort()).toEqual(Array.from({ length: 20 }, (_, i) => `c-${i}`).sort());
    // Held until the lease ends; a transition gives the order back at once (with its next due time).
    expect(await store.claimDueOrders('w3', now, lease, ['yookassa'], 100)).toHaveLength(0);
    expect(
      await store.claimDueOrders('w3', '2026-03-01T09:00:35.000Z', '2026-03-01T09:01:05.000Z', ['yookassa'], 100),
    ).toHaveLength(20);
    expect(
      await store.claimDueOrders('w4', '2026-03-01T09:00:40.000Z', '2026-03-01T09:01:10.000Z', ['yookassa'], 100),
    ).toHaveLength(0);
    await store.applyEvent('c-0', { type: 'CHECK_FAILED', reason: 'timeout' });
    expect(
      (await store.claimDueOrders('w4', '2026-03-01T09:00:40.000Z', '2026-03-01T09:01:10.000Z', ['yookassa'], 100)).map(
        (r) => r.order.orderId,
      ),
    ).toEqual(['c-0']);
  });

  it('claims due orders oldest due first (issue 11 path 8: newest-first starved old orders), and only of the providers asked for', async () => {
    for (let i = 0; i < 3; i++) {
      await pendingOrder(`n-${i}`);
      clock.advance(1);
    }
    clock.advance(5);
    const claimed = await store.claimDueOrders(
      'w1',
      clock.now().toISOString(),
      '2026-03-01T10:00:00.000Z',
      ['yookassa'],
      2,
    );
    expect(claimed.map((r) => r.order.orderId)).toEqual(['n-0', 'n-1']);
    expect(
      await store.claimDueOrders('w1', clock.now().toISOString(), '2026-03-01T10:00:00.000Z', ['tbank'], 10),
    ).toEqual([]);
  });
});

describe('choosing the backend by DATABASE_URL', () => {
  it('refuses a URL of another scheme with a settings error naming both kinds, the password masked', () => {
    const settings = loadSettings({ DATABASE_URL: 'mysql://app:hunter2@db/paystate' });
    expect(() => openStore(settings, clock)).toThrow(SettingsError);
    expect(() => openStore(settings, clock)).toThrow(
      /expected file:.*postgres:\/\/.*got mysql:\/\/app:\*{8}@db\/paystate/,
    );
  });
});
