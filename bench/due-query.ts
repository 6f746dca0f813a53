import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { migrateSqlite, openSqlite } from '@paystate/server';
import { selectDueOrders } from '@paystate/server/testing';

const NOW = '2026-03-01T12:00:00.000Z';
const DUE = 100;

/**
 * The poller's due-orders query as the table grows to a million orders, with the same 100 due
 * orders each time. Baseline: the same query at 10,000 orders; a ratio near 1 means the query
 * time does not grow with the table.
 */
export async function benchDueQuery(sizes = [10_000, 100_000, 1_000_000]) {
  const dir = mkdtempSync(join(tmpdir(), 'paystate-bench-'));
  const path = join(dir, 'due.db');
  const { db, close } = openSqlite(`file:${path}`);
  let sqlite: Database.Database | undefined;
  try {
    migrateSqlite(db);
    sqlite = new Database(path);
    sqlite.pragma('synchronous = OFF'); // seeding only; the measured query reads through paystate's own connection
    sqlite.prepare("insert into devices (id, name, created_at, updated_at) values ('d', 'D', ?, ?)").run(NOW, NOW);
    const insert = sqlite.prepare(
      `insert into orders (id, device_id, product_id, product_name, size, price_minor, currency, provider, status,
         created_at, expires_at, payment_started_at, next_check_at, snapshot, version, updated_at)
       values (?, 'd', 'latte', 'Latte', 'M', 15000, 'RUB', 'yookassa', ?, ?, ?, ?, ?, '{}', 1, ?)`,
    );
    const seed = sqlite.transaction((from: number, to: number) => {
      for (let i = from; i < to; i++) {
        // Most orders are long finished; a few wait for a later check; DUE are due now.
        const due = i < DUE;
        const waiting = !due && i % 50 === 0;
        const status = due || waiting ? 'pending' : 'successful';
        const started = new Date(Date.parse(NOW) - (i % 600) * 1000).toISOString();
        const next = due ? NOW : waiting ? '2026-03-01T12:01:00.000Z' : null;
        insert.run(`o-${i}`, status, started, '2026-03-01T13:00:00.000Z', started, next, started);
      }
    });
    const results = [];
    let seeded = 0;
    for (const size of sizes) {
      seed(seeded, size);
      seeded = size;
      sqlite.exec('analyze');
      const query = selectDueOrders(db, NOW, ['yookassa'], DUE);
      const times: number[] = [];
      for (let run = 0; run < 300; run++) {
        const started = performance.now();
        const rows = query.all();
        times.push(performance.now() - started);
        if (rows.length !== DUE) throw new Error(`due query returned ${rows.length}`);
      }
      times.sort((a, b) => a - b);
      results.push({ size, medianMs: times[Math.floor(times.length / 2)] ?? 0 });
    }
    const first = results[0]!;
    const last = results[results.length - 1]!;
    return {
      name: `due-orders query, ${DUE} due, ${first.size.toLocaleString('en')} -> ${last.size.toLocaleString('en')} orders`,
      unit: 'ms (median)',
      measured: last.medianMs,
      baseline: first.medianMs,
      baselineName: `same query at ${first.size.toLocaleString('en')} orders`,
      lowerIsBetter: true,
      detail: Object.fromEntries(results.map((r) => [r.size, r.medianMs])),
    };
  } finally {
    sqlite?.close();
    close();
    rmSync(dir, { recursive: true, force: true });
  }
}
