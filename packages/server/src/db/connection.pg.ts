import { fileURLToPath } from 'node:url';
import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';
import * as schema from './schema.pg.js';

export type PgDb = NodePgDatabase<typeof schema>;

const migrationsFolder = fileURLToPath(new URL('../../drizzle/pg', import.meta.url));

/**
 * Session-level advisory lock held while migrating, so several processes starting together
 * against one database apply each migration once instead of racing on CREATE TABLE.
 * The number is arbitrary but fixed: "paystate" in ASCII.
 */
export const MIGRATION_LOCK_KEY = 0x7061797374617465n;

export function isPostgresUrl(databaseUrl: string): boolean {
  return /^postgres(ql)?:\/\//i.test(databaseUrl);
}

export interface PgHandle {
  db: PgDb;
  pool: pg.Pool;
  close(): Promise<void>;
}

export interface PgOptions {
  /** Connections in the pool (pg's default is 10). */
  max?: number;
  /** Told about connection errors on idle clients (a restarted server); without a listener pg would crash the process. */
  onError?: (error: Error) => void;
}

/** Opens a connection pool for `postgres://…` or `postgresql://…`; no connection is made until the first query. */
export function openPg(databaseUrl: string, options: PgOptions = {}): PgHandle {
  if (!isPostgresUrl(databaseUrl)) throw new Error(`not a PostgreSQL URL (expected postgres://...): ${databaseUrl}`);
  const pool = new pg.Pool({ connectionString: databaseUrl, max: options.max ?? 10, application_name: 'paystate' });
  pool.on('error', options.onError ?? (() => undefined));
  const db = drizzle(pool, { schema });
  let closed: Promise<void> | undefined;
  return { db, pool, close: () => (closed ??= pool.end()) };
}

/** Applies the migrations in drizzle/pg on one connection, under the migration advisory lock. */
export async function migratePg(pool: pg.Pool): Promise<void> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    // Waits while another process migrates; the lock goes with the session if that process dies.
    await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_KEY.toString()]);
    try {
      await migrate(drizzle(client, { schema }), { migrationsFolder });
    } finally {
      await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY.toString()]);
    }
  } catch (error) {
    broken = error instanceof Error ? error : new Error(String(error));
    throw error;
  } finally {
    // A connection that failed mid-way may still hold the lock: destroy it rather than pool it.
    client.release(broken);
  }
}
