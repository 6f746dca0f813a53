import type { Logger } from 'pino';
import { systemClock, type Clock } from '@paystate/core';
import { openDatabase } from '../db/open.js';
import { MerchantService } from '../merchants/service.js';
import { providerDirectoryFromSettings } from './adapters.js';
import type { Settings } from './settings.js';
import type { Redactor } from '../secrets/redaction.js';

/**
 * The tenant registry alone, on the configured database (what `paystate merchants`, `api-keys`
 * and `keys rotate` run on): no provider of the environment is built.
 */
export async function openTenants(settings: Settings, logger: Logger, redactor?: Redactor, clock: Clock = systemClock) {
  const { store, pos, merchants } = openDatabase(settings, clock, logger);
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
  return {
    merchants: new MerchantService(merchants, store, clock, providers.accounts),
    close: () => store.close(),
  };
}
