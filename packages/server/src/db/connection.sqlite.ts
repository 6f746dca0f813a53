import { existsSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { drizzle, type BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import * as schema from './schema.sqlite.js';
import { missingSqliteDatabase } from './failures.js';

export type SqliteDb = BetterSQLite3Database<typeof schema>;

const migrationsFolder = fileURLToPath(new URL('../../drizzle/sqlite', import.meta.url));

export class DatabaseUrlError extends Error {
  override readonly name = 'DatabaseUrlError';
}

/** `file:./paystate.db` or `file::memory:` -> a path better-sqlite3 understands. */
export function sqlitePathOf(databaseUrl: string): string {
  if (!databaseUrl.startsWith('file:')) {
    throw new DatabaseUrlError(`not a SQLite URL (expected file:...): ${databaseUrl}`);
  }
  const path = databaseUrl.slice('file:'.length);
  return path === ':memory:' ? path : resolve(path);
}

export interface OpenSqliteOptions {
  /**
   * The file must be there already: no directory and no database is created (read-only
   * commands, so a mistyped path fails instead of leaving an empty database behind).
   */
  mustExist?: boolean;
  /**
   * How long a statement waits for another process's write lock. better-sqlite3 waits on the
   * event loop, so the server keeps this short (SQLITE_BUSY_TIMEOUT_MS) and answers 503 instead;
   * a one-shot command may wait longer.
   */
  busyTimeoutMs?: number;
}

/**
 * Opens the embedded database with the settings docs/architecture.md section 8 asks for: WAL, and
 * synchronous=FULL because WAL's default NORMAL can lose a committed transaction on power loss.
 */
export function openSqlite(databaseUrl: string, options: OpenSqliteOptions = {}): { db: SqliteDb; close(): void } {
  const path = sqlitePathOf(databaseUrl);
  if (path !== ':memory:') {
    if (options.mustExist && !existsSync(path)) throw missingSqliteDatabase(path);
    if (!options.mustExist) mkdirSync(dirname(path), { recursive: true });
  }
  const sqlite = new Database(path, { fileMustExist: options.mustExist === true && path !== ':memory:' });
  try {
    // The first statements read the file: a file that is not a database fails here.
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = FULL');
    sqlite.pragma(`busy_timeout = ${Math.round(options.busyTimeoutMs ?? 5000)}`);
    sqlite.pragma('foreign_keys = ON');
  } catch (error) {
    sqlite.close();
    throw error;
  }
  const db = drizzle(sqlite, { schema });
  return { db, close: () => sqlite.close() };
}

export function migrateSqlite(db: SqliteDb): void {
  migrate(db, { migrationsFolder });
}
