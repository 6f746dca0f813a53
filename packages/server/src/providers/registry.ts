import type { PaymentProvider } from '@paystate/core';
import { SettingsError } from '../app/env.js';
import type { Settings } from '../app/settings.js';
import type { ProviderDeps } from './descriptor.js';
import { mtnMomoDescriptor } from './mtn-momo.js';
import { orangeMoneyDescriptor } from './orange-money.js';
import { sumupDescriptor } from './sumup.js';
import { tbankDescriptor } from './tbank.js';
import { waveDescriptor } from './wave.js';
import { yookassaDescriptor } from './yookassa.js';

/** Every provider the server can take payments through: adding one is its module and a line here. */
export const providerDescriptors = [
  yookassaDescriptor,
  tbankDescriptor,
  sumupDescriptor,
  waveDescriptor,
  mtnMomoDescriptor,
  orangeMoneyDescriptor,
] as const;

type Shapes = (typeof providerDescriptors)[number]['settingsSchema']['shape'];
// The union of the shapes turned into their intersection, so Settings types each provider's fields.
type AllOf<U> = (U extends unknown ? (shape: U) => void : never) extends (shape: infer I) => void ? I : never;

/** Every provider's settings, in the list's order (the order `paystate config check` prints them in). */
export const providerSettingsShape = Object.assign(
  {},
  ...providerDescriptors.map((descriptor) => descriptor.settingsSchema.shape),
) as AllOf<Shapes>;

/**
 * The providers whose credentials are set, by code. The default provider must be one of them,
 * else every order without an explicit provider would fail: that is refused at start-up.
 */
export function configuredProviders(
  settings: Settings,
  deps: Omit<ProviderDeps, 'webhookUrl'> & { publicUrl: string },
): Map<string, PaymentProvider> {
  const { publicUrl, ...shared } = deps;
  const providers = new Map<string, PaymentProvider>();
  for (const descriptor of providerDescriptors) {
    const provider = descriptor.fromSettings(settings, {
      ...shared,
      webhookUrl: `${publicUrl}/v1/webhooks/${descriptor.code}`,
    });
    if (provider) providers.set(descriptor.code, provider);
  }
  if (!providers.has(settings.PAYMENT_PROVIDER)) {
    throw new SettingsError(
      `PAYMENT_PROVIDER=${settings.PAYMENT_PROVIDER} is not configured: set its credentials (see docs/configuration.md); configured: ${[...providers.keys()].join(', ') || 'none'}`,
    );
  }
  return providers;
}

/**
 * A merchant's own account at a provider: its credentials are the provider's settings (the names
 * of docs/configuration.md, e.g. WAVE_API_KEY), checked by the same schema and built the same way.
 * Throws SettingsError when they are invalid or incomplete.
 */
export function providerFromCredentials(
  code: string,
  credentials: Record<string, string>,
  deps: ProviderDeps,
): PaymentProvider {
  const descriptor = providerDescriptors.find((candidate) => candidate.code === code);
  if (!descriptor) throw new SettingsError(`no payment provider "${code}"; known: ${providerCodes().join(', ')}`);
  const unknown = Object.keys(credentials).filter((name) => !(name in descriptor.settingsSchema.shape));
  if (unknown.length > 0) throw new SettingsError(`not ${code} settings: ${unknown.join(', ')}`);
  const parsed = descriptor.settingsSchema.safeParse(credentials);
  if (!parsed.success)
    throw new SettingsError(parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; '));
  // Each descriptor's own settings type: the union of descriptors cannot name it here.
  const provider = (descriptor.fromSettings as (settings: unknown, deps: ProviderDeps) => PaymentProvider | undefined)(
    parsed.data,
    deps,
  );
  if (!provider) throw new SettingsError(`incomplete ${code} credentials: see docs/providers/README.md`);
  return provider;
}

export function providerCodes(): string[] {
  return providerDescriptors.map((descriptor) => descriptor.code);
}
