import { resolve } from 'node:path';
import { PaystateError } from '../errors.js';
import { redactUrl } from '../secrets/redaction.js';
import { isPostgresUrl } from './connection.pg.js';

/**
 * A database that cannot be used, as one line that names it (its password masked by the one
 * redaction path) and says why, instead of a driver's `SqliteError` or `ECONNREFUSED`. What the
 * CLI prints and what stops `serve` at start-up; the kind gives the exit code (75: try again
 * later for a server that does not answer, 1 for a path or a login to fix).
 */
export function databaseFailure(error: unknown, databaseUrl: string): PaystateError | null {
  if (error instanceof PaystateError) return error;
  return isPostgresUrl(databaseUrl) ? postgresFailure(error, databaseUrl) : sqliteFailure(error, databaseUrl);
}

/** The error as it should reach the caller: classified when it is a known database failure, as it was otherwise. */
export function asDatabaseFailure(error: unknown, databaseUrl: string): unknown {
  return databaseFailure(error, databaseUrl) ?? error;
}

/** What a read-only command says for a SQLite file that is not there (it never creates one). */
export function missingSqliteDatabase(path: string): PaystateError {
  return new PaystateError('not_found', 'database_missing', `no database at ${path}; run paystate migrate first`);
}

function codeOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { code } = error as { code?: unknown };
  if (typeof code === 'string') return code;
  // A host name with several addresses (localhost: ::1 and 127.0.0.1) fails as one AggregateError.
  const { errors } = error as { errors?: unknown };
  return Array.isArray(errors) ? codeOf(errors[0]) : undefined;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

const unreachable: Record<string, string> = {
  ECONNREFUSED: 'connection refused (is the server running, and on this host and port?)',
  ENOTFOUND: 'host name not found',
  EAI_AGAIN: 'host name lookup failed (try again later)',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ECONNRESET: 'connection reset by the server',
};

function postgresFailure(error: unknown, databaseUrl: string): PaystateError | null {
  const name = `the PostgreSQL database ${redactUrl(databaseUrl)}`;
  const code = codeOf(error);
  const message = messageOf(error);
  if (code && unreachable[code])
    return new PaystateError('unavailable', 'database_unreachable', `cannot reach ${name}: ${unreachable[code]}`);
  // node-postgres' own connect timeout (connectionTimeoutMillis), and a server closing mid-handshake.
  if (/timeout expired|connection timeout|Connection terminated unexpectedly/i.test(message))
    return new PaystateError('unavailable', 'database_unreachable', `cannot reach ${name}: no answer in time`);
  switch (code) {
    // SQLSTATE classes 28 (invalid authorization) and 3D000 (no such database).
    case '28P01':
    case '28000':
      return new PaystateError('unauthorized', 'database_refused', `${name} refused the login: ${message}`);
    case '3D000':
      return new PaystateError(
        'not_found',
        'database_missing',
        `${name} does not exist (create it, then run paystate migrate)`,
      );
    case '57P03':
    case '53300':
      return new PaystateError(
        'unavailable',
        'database_unreachable',
        `${name} does not take connections now: ${message}`,
      );
    default:
      return null;
  }
}

function sqliteFailure(error: unknown, databaseUrl: string): PaystateError | null {
  if (!databaseUrl.startsWith('file:')) return null;
  const file = databaseUrl.slice('file:'.length);
  const path = file === ':memory:' ? file : resolve(file);
  const name = `the SQLite database ${path}`;
  const code = codeOf(error) ?? '';
  const unreadable = (why: string) =>
    new PaystateError('invalid', 'database_unreadable', `cannot open ${name}: ${why}`);
  if (code.startsWith('SQLITE_NOTADB')) return unreadable('the file is not a SQLite database');
  if (code.startsWith('SQLITE_CORRUPT')) return unreadable('the file is damaged (not a valid SQLite database)');
  if (code.startsWith('SQLITE_READONLY')) return unreadable('the file or its directory is read-only');
  if (code.startsWith('SQLITE_CANTOPEN'))
    return unreadable('the file cannot be opened (a directory, or no permission?)');
  if (code.startsWith('SQLITE_PERM') || code.startsWith('SQLITE_AUTH')) return unreadable('permission denied');
  // Creating the file's directory (migrate, serve, demo).
  if (code === 'EACCES' || code === 'EPERM') return unreadable('permission denied');
  if (code === 'ENOTDIR' || code === 'EEXIST') return unreadable('a part of the path is a file, not a directory');
  if (code === 'EISDIR') return unreadable('the path is a directory');
  return null;
}

/**
 * Another process holds SQLite's write lock past the busy budget (SQLITE_BUSY_TIMEOUT_MS), or the
 * disk is full: the statement did nothing (better-sqlite3 rolls its transaction back), so the
 * caller may simply try again later. Null for every other error.
 */
export function databaseBusy(error: unknown): PaystateError | null {
  for (let e: unknown = error, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const code = codeOf(e) ?? '';
    if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'))
      return new PaystateError('unavailable', 'database_busy', 'the database is busy; try again in a moment');
    if (code === 'SQLITE_FULL' || code === '53100')
      return new PaystateError('unavailable', 'database_full', 'the database cannot take writes: its disk is full');
  }
  return null;
}
