import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import { PaystateError } from '../errors.js';
import { isPostgresUrl } from './connection.pg.js';
import { missingSqliteDatabase } from './failures.js';
import { sqlitePathOf } from './connection.sqlite.js';

export interface BackupReport {
  source: string;
  destination: string;
  pages: number;
}

/**
 * Copies the SQLite database into `destination` with SQLite's online backup API, while the
 * server keeps serving: the copy is one consistent snapshot (a write by another connection
 * restarts the copy, it never mixes two states), then it is opened and must pass
 * `integrity_check`. An existing destination is never overwritten. PostgreSQL has its own
 * tools (pg_dump / pg_restore, docs/operations.md).
 */
export async function backupDatabase(databaseUrl: string, destination: string): Promise<BackupReport> {
  if (isPostgresUrl(databaseUrl))
    throw new PaystateError(
      'invalid',
      'backup_use_pg_dump',
      'a PostgreSQL database is backed up with pg_dump --format=custom (restore: pg_restore); see docs/operations.md',
    );
  const source = sqlitePathOf(databaseUrl);
  if (source === ':memory:')
    throw new PaystateError('invalid', 'backup_in_memory', 'an in-memory database has nothing to back up');
  if (!existsSync(source)) throw missingSqliteDatabase(source);
  if (existsSync(destination))
    throw new PaystateError('conflict', 'backup_exists', `${destination} exists already; choose a new file`);
  const db = new Database(source, { fileMustExist: true, readonly: true });
  let pages: number;
  try {
    ({ totalPages: pages } = await db.backup(destination));
  } finally {
    db.close();
  }
  const copy = new Database(destination, { fileMustExist: true, readonly: true });
  try {
    const [check] = copy.pragma('integrity_check') as Array<{ integrity_check: string }>;
    if (check?.integrity_check !== 'ok')
      throw new PaystateError('unavailable', 'backup_damaged', `the copy at ${destination} failed its integrity check`);
  } finally {
    copy.close();
  }
  return { source, destination, pages };
}
