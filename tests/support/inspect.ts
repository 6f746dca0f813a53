import Database from 'better-sqlite3';
import pg from 'pg';
import type { TempDatabase } from './temp-db.js';

/**
 * Reads a test database behind the application's back, through the backend's own driver, for
 * what the Store interface does not expose (the outbox rows).
 */

export interface EffectRow {
  key: string;
  kind: string;
  status: string;
  attempts: number;
  lastError: string | null;
  payload: Record<string, unknown>;
}

export async function effectRows(db: TempDatabase, orderId: string): Promise<EffectRow[]> {
  const columns = 'key, kind, status, attempts, last_error as "lastError", payload';
  if (db.backend === 'postgres') {
    const rows = await pgQuery<EffectRow>(db, `select ${columns} from effects where order_id = $1 order by id`, [
      orderId,
    ]);
    return rows;
  }
  const rows = sqliteQuery<EffectRow & { payload: string }>(
    db,
    `select ${columns} from effects where order_id = ? order by id`,
    [orderId],
  );
  return rows.map((row) => ({ ...row, payload: JSON.parse(row.payload) as Record<string, unknown> }));
}

/** Rows of one query on a PostgreSQL test database, on a connection of its own. */
export async function pgQuery<T>(db: TempDatabase, statement: string, params: unknown[] = []): Promise<T[]> {
  if (db.backend !== 'postgres') throw new Error('pgQuery needs a PostgreSQL test database');
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    return (await client.query(statement, params)).rows as T[];
  } finally {
    await client.end();
  }
}

/** Rows of one query on a SQLite test file, opened read-only. */
export function sqliteQuery<T>(db: TempDatabase, statement: string, params: unknown[] = []): T[] {
  if (db.backend !== 'sqlite' || !db.path) throw new Error('sqliteQuery needs a SQLite test database');
  const sqlite = new Database(db.path, { readonly: true });
  try {
    return sqlite.prepare(statement).all(...params) as T[];
  } finally {
    sqlite.close();
  }
}
