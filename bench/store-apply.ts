import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createOrder, defaultLifecycleConfig, ManualClock } from '@paystate/core';
import { migrateSqlite, openSqlite, SqliteStore } from '@paystate/server';
import { opsPerSecond } from './measure.js';

/**
 * Committed transitions per second on a SQLite file (load, decide, snapshot + columns + audit
 * row, one transaction). Baseline: a bare transaction updating one row of the same width with
 * the same durability settings (WAL, synchronous=FULL) — the fsync floor.
 */
export async function benchStoreApply() {
  const dir = mkdtempSync(join(tmpdir(), 'paystate-bench-'));
  try {
    const clock = new ManualClock('2026-03-01T09:00:00.000Z');
    const deps = { clock, config: defaultLifecycleConfig };
    const { db, close } = openSqlite(`file:${join(dir, 'store.db')}`);
    migrateSqlite(db);
    const store = new SqliteStore(db, deps, close);
    await store.upsertDevice({
      id: 'd-1',
      name: 'D',
      location: '',
      logoUrl: null,
      clientInfo: '',
      clientInfoByStatus: {},
    });
    const price = { amountMinor: 15000, currency: 'RUB' };
    await store.insertOrder(
      createOrder(
        {
          orderId: 'o-1',
          deviceId: 'd-1',
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
    await store.applyEvent('o-1', { type: 'PAYMENT_INITIATED', providerPaymentId: 'p-1' });
    const observation = { type: 'PAYMENT_OBSERVED', source: 'poll', status: 'pending', amount: price } as const;

    const raw = new Database(join(dir, 'baseline.db'));
    raw.pragma('journal_mode = WAL');
    raw.pragma('synchronous = FULL');
    raw.exec('create table t (id text primary key, body text, n integer)');
    const snapshotSize = JSON.stringify((await store.getOrder('o-1'))?.order ?? {}).length * 2;
    raw.prepare('insert into t values (?, ?, 0)').run('o-1', 'x'.repeat(snapshotSize));
    const update = raw.prepare('update t set n = n + 1, body = ? where id = ?');
    const body = 'y'.repeat(snapshotSize);
    const baseline = await opsPerSecond(() => raw.transaction(() => update.run(body, 'o-1')).immediate(), 2000);
    raw.close();

    const measured = await opsPerSecond(() => {
      clock.advance(5);
      return store.applyEvent('o-1', observation);
    }, 2000);
    await store.close();
    return {
      name: 'SQLite committed transition',
      unit: 'transitions/s',
      measured,
      baseline,
      baselineName: 'bare one-row update transaction',
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
