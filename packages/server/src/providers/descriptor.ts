import type { Logger } from 'pino';
import type { z } from 'zod';
import type { Clock, PaymentProvider } from '@paystate/core';

/** What the server hands every provider it builds. */
export interface ProviderDeps {
  timeoutMs: number;
  logger: Logger;
  clock: Clock;
  /** Where this provider's notifications arrive (`/v1/webhooks/<code>` under PUBLIC_URL), for those told per payment. */
  webhookUrl: string;
}

/**
 * One payment provider as the server knows it, after Medusa's provider modules: the code orders
 * and webhook URLs name it by, the settings it reads, and how it is built from them.
 */
export interface ProviderDescriptor<Schema extends z.ZodObject = z.ZodObject> {
  readonly code: string;
  /** Merged into the server's settings schema, so loadSettings checks these with the rest at start-up. */
  readonly settingsSchema: Schema;
  /** The provider, or undefined while its credentials are unset; a SettingsError for an unusable combination. */
  fromSettings(settings: z.output<Schema>, deps: ProviderDeps): PaymentProvider | undefined;
}
