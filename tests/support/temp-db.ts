import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export type TestBackend = 'sqlite' | 'postgres';

/** The backend of this test run: the vitest project sets PAYSTATE_TEST_BACKEND (vitest.config.ts). */
export const testBackend: TestBackend = process.env.PAYSTATE_TEST_BACKEND === 'postgres' ? 'postgres' : 'sqlite';

/** A database on the PostgreSQL test server from which temporary databases are created and dropped. */
export const PG_ADMIN_URL = process.env.PAYSTATE_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** Temporary PostgreSQL databases are named paystate_t_<creation ms>_<random>, so stale ones can be told by age. */
export const PG_TEMP_PREFIX = 'paystate_t_';

export interface TempDatabase {
  backend: TestBackend;
  url: string;
  /** The SQLite file, or null on PostgreSQL. */
  path: string | null;
  /** Removes the file or drops the database (closing whatever connections are still open). */
  cleanup(): Promise<void>;
}

/** A fresh directory for a real SQLite file; removed by the returned cleanup. */
export function tempDatabaseUrl(): { url: string; path: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'paystate-'));
  const path = join(dir, 'paystate.db');
  return { url: `file:${path}`, path, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface TempDatabaseOptions {
  /**
   * PostgreSQL only. Test databases commit without waiting for the WAL flush
   * (synchronous_commit=off): the tests kill paystate processes, never the database server, and
   * a commit is as visible and as final to every other session either way; only a crash of the
   * server itself could lose the last commits. Benchmarks pass true to measure production
   * durability.
   */
  durable?: boolean;
}

/** A fresh, empty database of this run's backend: a new SQLite file or a new PostgreSQL database. */
export async function tempDatabase(
  backend: TestBackend = testBackend,
  options: TempDatabaseOptions = {},
): Promise<TempDatabase> {
  if (backend === 'sqlite') {
    const file = tempDatabaseUrl();
    return { backend, url: file.url, path: file.path, cleanup: async () => file.cleanup() };
  }
  const name = `${PG_TEMP_PREFIX}${Date.now()}_${randomBytes(4).toString('hex')}`;
  await adminQuery(`create database ${name}`);
  if (!options.durable) await adminQuery(`alter database ${name} set synchronous_commit = off`);
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  let dropped: Promise<void> | undefined;
  return {
    backend,
    url: url.toString(),
    path: null,
    cleanup: () => (dropped ??= adminQuery(`drop database if exists ${name} with (force)`).then(() => undefined)),
  };
}

/** One statement on the admin database, on a connection of its own. */
export async function adminQuery(statement: string, params: unknown[] = []): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: PG_ADMIN_URL });
  await client.connect();
  try {
    return await client.query(statement, params);
  } finally {
    await client.end();
  }
}
