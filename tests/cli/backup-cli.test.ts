/**
 * `paystate backup` through the real binary, against the file a running server is writing to:
 * the copy is one consistent snapshot that passes its integrity check, restores by being the
 * database a server opens (migrate, then serve), is never written over, and PostgreSQL is sent
 * to pg_dump in one line.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../support/harness.js';
import { paystate } from '../support/cli.js';

const onSqlite = process.env.PAYSTATE_TEST_BACKEND !== 'postgres';

describe.runIf(onSqlite)('paystate backup (real binary, a serving database)', () => {
  let stack: Stack;
  let dir: string;

  beforeAll(async () => {
    stack = await startStack();
    await stack.createDevice('dev-1');
    dir = mkdtempSync(join(tmpdir(), 'paystate-backup-'));
  });

  afterAll(async () => {
    await stack?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('copies while orders keep arriving; the copy is a consistent snapshot a server can open', async () => {
    for (let i = 0; i < 5; i++) await stack.createOrder('dev-1');
    const copy = join(dir, 'copy.db');
    let writing = true;
    const writer = (async () => {
      let made = 0;
      while (writing) {
        await stack.createOrder('dev-1');
        made += 1;
      }
      return made;
    })();
    const run = await paystate(['backup', copy], { DATABASE_URL: `file:${stack.db.path}` });
    writing = false;
    await writer;
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^backed up file:.* to .*copy\.db \(\d+ pages, integrity ok\)\n$/);

    // Restore: the copy is the database a server opens (migrate brings it up to date first).
    const migrated = await paystate(['--database', `file:${copy}`, 'migrate']);
    expect(migrated.code, migrated.stderr).toBe(0);
    const listed = await paystate(['--database', `file:${copy}`, 'orders', 'list', '--json', '--limit', '500']);
    expect(listed.code, listed.stderr).toBe(0);
    const restored = JSON.parse(listed.stdout) as Array<{ status: string }>;
    const live = await stack.admin<{ orders: unknown[] }>('GET', '/orders?limit=500');
    expect(restored.length).toBeGreaterThanOrEqual(5);
    expect(restored.length).toBeLessThanOrEqual(live.body.orders.length);
    expect(restored.every((order) => order.status === 'created')).toBe(true);
  }, 60_000);

  it('never writes over an existing file, and sends PostgreSQL to pg_dump, each in one line', async () => {
    const copy = join(dir, 'twice.db');
    expect((await paystate(['backup', copy], { DATABASE_URL: `file:${stack.db.path}` })).code).toBe(0);
    const again = await paystate(['backup', copy], { DATABASE_URL: `file:${stack.db.path}` });
    expect(again.code).toBe(1);
    expect(again.stderr.trim().split('\n')).toHaveLength(1);
    expect(again.stderr).toContain('exists already');
    const pg = await paystate(['backup', join(dir, 'pg.db')], {
      DATABASE_URL: 'postgres://paystate:secret@127.0.0.1:5432/none',
    });
    expect(pg.code).toBe(1);
    expect(pg.stderr).toContain('pg_dump');
    expect(pg.stderr).not.toContain('secret');
  }, 60_000);
});
