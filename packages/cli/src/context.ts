import { pino, type Logger } from 'pino';
import { systemClock } from '@paystate/core';
import { createLogger, loadSettings, openStore, redactorFor, type Redactor, type Settings } from '@paystate/server';

export interface GlobalOptions {
  database?: string;
}

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
): Promise<T> {
  const store = openStore(settingsFrom(options), systemClock);
  try {
    return await work(store);
  } finally {
    await store.close();
  }
}

/** Logs to stderr through the redactor of these settings; the runtime and the accounts register more secrets in it. */
export function cliLogging(settings: Settings): { logger: Logger; redactor: Redactor } {
  const redactor = redactorFor(settings);
  return { logger: createLogger(settings, redactor, pino.destination(2)), redactor };
}
