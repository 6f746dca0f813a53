import { createRequire } from 'node:module';
import { pino, type DestinationStream, type Logger } from 'pino';
import { systemClock } from '@paystate/core';
import {
  createLogger,
  loadSettings,
  openStore,
  redactorFor,
  type OpenDatabaseOptions,
  type Redactor,
  type Settings,
} from '@paystate/server';

export interface GlobalOptions {
  database?: string;
}

/**
 * How a command that only reads (or only changes records that must already be there) opens the
 * database: a SQLite path that does not exist fails with one line instead of creating a directory
 * and an empty database. migrate, serve, demo and poll create it.
 */
export const existingDatabase: OpenDatabaseOptions = { mustExist: true };

/** Settings come from the environment; --database overrides DATABASE_URL for one command. */
export function settingsFrom(options: GlobalOptions, overrides: Record<string, string> = {}): Settings {
  return loadSettings({
    ...process.env,
    ...(options.database ? { DATABASE_URL: options.database } : {}),
    ...overrides,
  });
}

/** Commands that only read or edit records need the database, not a provider or a device. */
export async function withStore<T>(
  options: GlobalOptions,
  work: (store: ReturnType<typeof openStore>) => Promise<T>,
  open: OpenDatabaseOptions = {},
): Promise<T> {
  const store = openStore(settingsFrom(options), systemClock, undefined, open);
  try {
    return await work(store);
  } finally {
    await store.close();
  }
}

/**
 * Logs go to stderr, never to stdout (which carries a command's output: `poll --once --json`
 * stays parseable): human-readable when stderr is a terminal, one JSON object a line otherwise.
 * Every line passes the redactor of these settings first, pretty or not; the runtime and the
 * accounts register more secrets in it.
 */
export function cliLogging(
  settings: Settings,
  stderr: { isTTY?: boolean } = process.stderr,
): { logger: Logger; redactor: Redactor } {
  const redactor = redactorFor(settings);
  const destination = stderr.isTTY === true ? prettyLogs(2) : pino.destination(2);
  return { logger: createLogger(settings, redactor, destination), redactor };
}

/**
 * pino-pretty as the logger's stream (not a transport thread): pino's streamWrite hook, the
 * redactor, runs on each JSON line before pino-pretty reads it. Synchronous, so the last lines
 * before an exit are not lost. Loaded only for a terminal: a script's run does not pay for it.
 */
export function prettyLogs(destination: number | NodeJS.WritableStream, colorize?: boolean): DestinationStream {
  const pretty = createRequire(import.meta.url)('pino-pretty') as typeof import('pino-pretty');
  return pretty({
    destination,
    sync: true,
    colorize: colorize ?? pretty.isColorSupported,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname',
  });
}
