/**
 * Liveness and readiness, and a SQLite write lock held by another process (issue 16): the
 * server answers 503 with Retry-After within its short busy budget instead of freezing every
 * request for seconds, readiness says so while liveness stays ok, nothing is half-written, and
 * the same request succeeds once the lock is gone.
 */
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../support/harness.js';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ env: { SQLITE_BUSY_TIMEOUT_MS: '200' } });
  await stack.createDevice('dev-1');
});

afterAll(async () => {
  await stack?.stop();
});

const newOrder = {
  device_id: 'dev-1',
  product_id: 'latte',
  product_name: 'Latte',
  size: 'M',
  price: 15000,
  currency: 'RUB',
};

describe.runIf(process.env.PAYSTATE_TEST_BACKEND !== 'postgres')('readiness under a held SQLite write lock', () => {
  it('answers 503 database_busy with Retry-After in well under a second, then works once the lock is gone', async () => {
    expect((await stack.request('GET', '/readyz')).status).toBe(200);
    const other = new Database(stack.db.path!);
    try {
      other.exec('BEGIN IMMEDIATE');
      const started = performance.now();
      const ready = await stack.request('GET', '/readyz');
      expect(ready.status).toBe(503);
      expect(ready.body).toMatchObject({ error: { code: 'database_busy' } });
      expect(ready.headers.get('retry-after')).toBe('1');
      const order = await stack.request('POST', '/v1/orders', { body: newOrder });
      expect(order.status, order.text).toBe(503);
      expect(order.headers.get('retry-after')).toBe('1');
      expect(performance.now() - started).toBeLessThan(1500);
      // Liveness never touches the database: the process itself is fine.
      expect((await stack.request('GET', '/livez')).status).toBe(200);
      // Reads still work under WAL while a writer holds the lock.
      expect((await stack.admin('GET', '/orders')).status).toBe(200);
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    expect((await stack.request('GET', '/readyz')).status).toBe(200);
    expect((await stack.request('GET', '/healthz')).status).toBe(200);
    const orders = await stack.admin<{ orders: unknown[] }>('GET', '/orders');
    expect(orders.body.orders).toHaveLength(0);
    expect((await stack.request('POST', '/v1/orders', { body: newOrder })).status).toBe(201);
  });
});
