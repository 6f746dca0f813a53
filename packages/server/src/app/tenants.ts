import type { Logger } from 'pino';
import { systemClock, type Clock } from '@paystate/core';
import { openDatabase, type OpenDatabaseOptions } from '../db/open.js';
import { MerchantService } from '../merchants/service.js';
import { ConsoleSessions } from '../console/sessions.js';
import { providerDirectoryFromSettings } from './adapters.js';
import type { Settings } from './settings.js';
import type { Redactor } from '../secrets/redaction.js';

/**
 * The tenant registry alone, on the configured database (what `paystate merchants`, `api-keys`,
 * `keys rotate` and `console-users` run on): no provider of the environment is built.
 * `options.mustExist` for a command that only reads (no SQLite file is created).
 */
export async function openTenants(
  settings: Settings,
  logger: Logger,
  redactor?: Redactor,
  clock: Clock = systemClock,
  options: OpenDatabaseOptions = {},
) {
  const { store, pos, merchants, console: consoleStore } = openDatabase(settings, clock, logger, options);
  try {
    await store.ready();
  } catch (error) {
    await store.close();
    throw error;
  }
  const providers = providerDirectoryFromSettings(settings, {
    merchants,
    methods: pos,
    logger,
    clock,
    environment: new Map(),
    ...(redactor ? { redactor } : {}),
  });
  const service = new MerchantService(merchants, store, clock, providers.accounts);
  return {
    merchants: service,
    console: new ConsoleSessions(consoleStore, service, clock, settings.ADMIN_TOKEN),
    close: () => store.close(),
  };
}
