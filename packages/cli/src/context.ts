import { pino, type Logger } from 'pino';
import { systemClock } from '@paystate/core';
import { loadSettings, openStore, type Settings } from '@paystate/server';

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

export function cliLogger(settings: Settings): Logger {
  return pino({ level: settings.LOG_LEVEL }, pino.destination(2));
}
