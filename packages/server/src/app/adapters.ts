import type { Logger } from 'pino';
import { systemClock, type Clock, type DeviceGateway, type Notifier, type PaymentProvider } from '@paystate/core';
import { TmetrGateway } from '../devices/tmetr.js';
import { Mailer } from '../notifications/mailer.js';
import { configuredProviders } from '../providers/registry.js';
import { ProviderAccounts } from '../merchants/provider-accounts.js';
import { ProviderDirectory } from '../merchants/provider-directory.js';
import { Keyring } from '../merchants/sealing.js';
import type { MerchantStore } from '../merchants/store.js';
import type { PaymentMethodStore } from '../pos/store.js';
import type { Redactor } from '../secrets/redaction.js';
import { SumUpOAuth } from '../providers/sumup-oauth.js';
import { publicUrlOf, SettingsError, type Settings } from './settings.js';

/** Builds the configured provider and device adapters (no I/O); throws SettingsError on what is missing. */
export function adaptersFromSettings(settings: Settings, logger: Logger) {
  const providers = paymentProvidersFromSettings(settings, logger);
  if (settings.FULFILMENT === 'tmetr') deviceFromSettings(settings, settings.PAYMENT_API_TIMEOUT_S * 1000, logger);
  mailerFromSettings(settings, logger)?.close();
  return { providers, fulfilment: settings.FULFILMENT };
}

/** The configured payment providers alone (no I/O), for commands that call a provider but make nothing (`paystate pos refund`). */
export function paymentProvidersFromSettings(
  settings: Settings,
  logger: Logger,
  clock: Clock = systemClock,
): Map<string, PaymentProvider> {
  return configuredProviders(settings, {
    timeoutMs: settings.PAYMENT_API_TIMEOUT_S * 1000,
    logger,
    clock,
    publicUrl: publicUrlOf(settings),
  });
}

/** Tickets need e-mail; elsewhere SMTP_URL only adds the customer notices. */
export function mailerFromSettings(settings: Settings, logger: Logger): Mailer | null {
  if (!settings.SMTP_URL) {
    if (settings.FULFILMENT === 'tickets')
      throw new SettingsError('FULFILMENT=tickets needs SMTP_URL to mail the tickets');
    return null;
  }
  return new Mailer(settings.SMTP_URL, settings.MAIL_FROM, logger);
}

export function deviceFromSettings(settings: Settings, timeoutMs: number, logger: Logger): DeviceGateway {
  if (!settings.TMETR_API_URL || !settings.TMETR_TOKEN) {
    throw new SettingsError('TMETR_API_URL and TMETR_TOKEN are required to send make commands');
  }
  return new TmetrGateway({ apiUrl: settings.TMETR_API_URL, token: settings.TMETR_TOKEN, timeoutMs, logger });
}

/** FULFILMENT=none: nothing can be made, so a make command fails at once (make_failed, with an alert). */
export const noFulfilment: DeviceGateway = {
  async sendMakeCommand() {
    throw new SettingsError('FULFILMENT=none: this server fulfils no orders');
  },
};

export interface ProviderDirectoryOptions {
  merchants: MerchantStore;
  methods: Pick<PaymentMethodStore, 'getMethod'>;
  logger: Logger;
  clock?: Clock;
  /** The environment's providers; built from the settings when absent. */
  environment?: ReadonlyMap<string, PaymentProvider>;
  redactor?: Redactor;
  /** Hears of OAuth renewals that failed. */
  notifier?: Notifier;
}

/**
 * Every account a payment can go through: the environment's providers and the merchants' own
 * accounts, opened with PAYSTATE_MASTER_KEY (SumUp OAuth connections renewed when configured).
 */
export function providerDirectoryFromSettings(
  settings: Settings,
  options: ProviderDirectoryOptions,
): ProviderDirectory {
  const { logger, clock = systemClock } = options;
  const sumup = sumupOAuthFromSettings(settings, logger);
  const accounts = new ProviderAccounts(options.merchants, Keyring.fromSetting(settings.PAYSTATE_MASTER_KEY), {
    timeoutMs: settings.PAYMENT_API_TIMEOUT_S * 1000,
    logger,
    clock,
    publicUrl: publicUrlOf(settings),
    ...(sumup ? { refreshers: new Map([['sumup', sumup]]) } : {}),
    ...(options.redactor ? { redactor: options.redactor } : {}),
    ...(options.notifier ? { notifier: options.notifier } : {}),
  });
  const environment = options.environment ?? paymentProvidersFromSettings(settings, logger, clock);
  return new ProviderDirectory(environment, accounts, options.methods);
}

/** The platform's SumUp OAuth app, when SUMUP_OAUTH_CLIENT_ID and its secret are set (docs/merchants.md). */
export function sumupOAuthFromSettings(settings: Settings, logger: Logger): SumUpOAuth | null {
  if (!settings.SUMUP_OAUTH_CLIENT_ID || !settings.SUMUP_OAUTH_CLIENT_SECRET) return null;
  return new SumUpOAuth({
    baseUrl: settings.SUMUP_OAUTH_URL,
    clientId: settings.SUMUP_OAUTH_CLIENT_ID,
    clientSecret: settings.SUMUP_OAUTH_CLIENT_SECRET,
    redirectUri: `${publicUrlOf(settings)}/v1/oauth/sumup/callback`,
    timeoutMs: settings.PAYMENT_API_TIMEOUT_S * 1000,
    logger,
  });
}
