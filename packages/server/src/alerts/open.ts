import type { Logger } from 'pino';
import { systemClock, type Clock } from '@paystate/core';
import { openDatabase, type OpenDatabaseOptions } from '../db/open.js';
import type { Settings } from '../app/settings.js';
import { Keyring } from '../merchants/sealing.js';
import { AlertService } from './service.js';

/**
 * The alerts alone, on the configured database (what `paystate alerts` runs on): nothing is sent
 * from here. `options.mustExist` for a command that only reads (no SQLite file is created).
 */
export async function openAlerts(
  settings: Settings,
  logger: Logger,
  clock: Clock = systemClock,
  options: OpenDatabaseOptions = {},
) {
  const { store, alerts } = openDatabase(settings, clock, logger, options);
  try {
    await store.ready();
  } catch (error) {
    await store.close();
    throw error;
  }
  return {
    alerts: new AlertService({
      store: alerts,
      orders: store,
      clock,
      keyring: Keyring.fromSetting(settings.PAYSTATE_MASTER_KEY),
      windowMs: settings.ALERT_DIGEST_WINDOW_S * 1000,
      mailConfigured: settings.SMTP_URL !== undefined,
    }),
    close: () => store.close(),
  };
}
