import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import pg from 'pg';
import type { Logger } from 'pino';
import type { Clock } from '@paystate/core';
import { lifecycleConfigOf, SettingsError, type Settings } from '../app/settings.js';
import { PgStore } from '../orders/store.pg.js';
import { SqliteStore } from '../orders/store.sqlite.js';
import type { Store } from '../orders/store.js';
import { PgPosStore } from '../pos/store.pg.js';
import { SqlitePosStore } from '../pos/store.sqlite.js';
import type { PosStore } from '../pos/store.js';
import { PgTicketStore } from '../tickets/store.pg.js';
import { SqliteTicketStore } from '../tickets/store.sqlite.js';
import type { TicketStore } from '../tickets/store.js';
import { PgIdempotencyStore } from '../idempotency/store.pg.js';
import { SqliteIdempotencyStore } from '../idempotency/store.sqlite.js';
import type { IdempotencyStore } from '../idempotency/store.js';
import { PgMerchantStore } from '../merchants/store.pg.js';
import { SqliteMerchantStore } from '../merchants/store.sqlite.js';
import type { MerchantStore } from '../merchants/store.js';
import { PgConsoleStore } from '../console/store.pg.js';
import { SqliteConsoleStore } from '../console/store.sqlite.js';
import type { ConsoleStore } from '../console/store.js';
import { PgAlertStore } from '../alerts/store.pg.js';
import { SqliteAlertStore } from '../alerts/store.sqlite.js';
import type { AlertStore } from '../alerts/store.js';
import { isPostgresUrl, migratePg, openPg } from './connection.pg.js';
import { migrateSqlite, openSqlite, sqlitePathOf } from './connection.sqlite.js';
import { asDatabaseFailure, missingSqliteDatabase } from './failures.js';
import { redactUrl } from '../secrets/redaction.js';

export type DatabaseKind = 'sqlite' | 'postgres';

/** `file:` is the embedded SQLite default; `postgres://` or `postgresql://` is PostgreSQL for several instances. */
export function databaseKindOf(databaseUrl: string): DatabaseKind {
  if (databaseUrl.startsWith('file:')) return 'sqlite';
  if (isPostgresUrl(databaseUrl)) return 'postgres';
  throw new SettingsError(
    `DATABASE_URL: expected file:<path> (SQLite) or postgres://user@host:port/database (PostgreSQL), got ${redactUrl(databaseUrl)}`,
  );
}

export interface OpenDatabaseOptions {
  /**
   * A SQLite file must exist already (read-only commands): nothing is created, and a missing
   * file fails with `database_missing`. PostgreSQL databases are never created by paystate.
   */
  mustExist?: boolean;
  /** SQLite only: how long a statement waits for another process's write lock (default 5 s). */
  busyTimeoutMs?: number;
}

/**
 * Opens the configured database and brings its schema up to date: SQLite at once, PostgreSQL
 * in the background under an advisory lock (every store call waits for it; `store.ready()`
 * reports a failure early). A database that cannot be used fails as a `PaystateError` naming it
 * (db/failures.ts).
 */
export function openStore(settings: Settings, clock: Clock, logger?: Logger, options: OpenDatabaseOptions = {}): Store {
  return openDatabase(settings, clock, logger, options).store;
}

/** The order store and, on the same connection, every other feature's store (closing the order store closes them). */
export function openDatabase(
  settings: Settings,
  clock: Clock,
  logger?: Logger,
  options: OpenDatabaseOptions = {},
): {
  store: Store;
  tickets: TicketStore;
  pos: PosStore;
  idempotency: IdempotencyStore;
  merchants: MerchantStore;
  alerts: AlertStore;
  console: ConsoleStore;
} {
  const deps = { clock, config: lifecycleConfigOf(settings) };
  if (databaseKindOf(settings.DATABASE_URL) === 'postgres') {
    const handle = openPg(settings.DATABASE_URL, {
      onError: (error) => logger?.warn({ err: error }, 'PostgreSQL connection lost; the pool reconnects'),
    });
    const store = new PgStore(handle, deps, {
      prepare: () =>
        migratePg(handle.pool).catch((error: unknown) => {
          throw asDatabaseFailure(error, settings.DATABASE_URL);
        }),
      close: handle.close,
    });
    return {
      store,
      tickets: new PgTicketStore(handle.db, () => store.ready()),
      pos: new PgPosStore(handle.db, clock, { prepare: () => store.ready() }),
      idempotency: new PgIdempotencyStore(handle.db, store.ready()),
      merchants: new PgMerchantStore(handle.db, store.ready()),
      alerts: new PgAlertStore(handle.db, store.ready()),
      console: new PgConsoleStore(handle.db, store.ready()),
    };
  }
  const { db, close } = openMigratedSqlite(settings.DATABASE_URL, options);
  return {
    store: new SqliteStore(db, deps, close),
    tickets: new SqliteTicketStore(db),
    pos: new SqlitePosStore(db, clock),
    idempotency: new SqliteIdempotencyStore(db),
    merchants: new SqliteMerchantStore(db),
    alerts: new SqliteAlertStore(db),
    console: new SqliteConsoleStore(db),
  };
}

function openMigratedSqlite(databaseUrl: string, options: OpenDatabaseOptions): ReturnType<typeof openSqlite> {
  let opened: ReturnType<typeof openSqlite> | undefined;
  try {
    opened = openSqlite(databaseUrl, options);
    migrateSqlite(opened.db);
    return opened;
  } catch (error) {
    opened?.close();
    throw asDatabaseFailure(error, databaseUrl);
  }
}

/** Applies pending migrations to the configured database (what `paystate migrate` runs). */
export async function migrateDatabase(databaseUrl: string): Promise<DatabaseKind> {
  const kind = databaseKindOf(databaseUrl);
  if (kind === 'postgres') {
    const { pool, close } = openPg(databaseUrl);
    try {
      await migratePg(pool);
    } catch (error) {
      throw asDatabaseFailure(error, databaseUrl);
    } finally {
      await close();
    }
    return kind;
  }
  openMigratedSqlite(databaseUrl, {}).close();
  return kind;
}

/**
 * Connects to the configured database and reads from it, changing nothing (what `paystate
 * config check` runs): a SQLite file must exist and be a database; a PostgreSQL server must
 * answer within `timeoutMs` and admit the login. Fails with the `PaystateError` naming why.
 */
export async function probeDatabase(databaseUrl: string, timeoutMs = 5000): Promise<DatabaseKind> {
  const kind = databaseKindOf(databaseUrl);
  if (kind === 'postgres') {
    const client = new pg.Client({
      connectionString: databaseUrl,
      connectionTimeoutMillis: timeoutMs,
      application_name: 'paystate',
    });
    // An error after connect (the server going away) is reported by the query below, never thrown on its own.
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('select 1');
    } catch (error) {
      throw asDatabaseFailure(error, databaseUrl);
    } finally {
      await client.end().catch(() => undefined);
    }
    return kind;
  }
  const path = sqlitePathOf(databaseUrl);
  if (path === ':memory:') return kind;
  if (!existsSync(path)) throw missingSqliteDatabase(path);
  let sqlite: Database.Database | undefined;
  try {
    sqlite = new Database(path, { readonly: true, fileMustExist: true });
    sqlite.prepare('select count(*) from sqlite_master').get();
  } catch (error) {
    throw asDatabaseFailure(error, databaseUrl);
  } finally {
    sqlite?.close();
  }
  return kind;
}
