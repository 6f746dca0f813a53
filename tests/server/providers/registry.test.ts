import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { systemClock } from '@paystate/core';
import {
  loadSettings,
  MtnMomoProvider,
  OrangeMoneyProvider,
  SettingsError,
  SumUpProvider,
  TBankProvider,
  WaveProvider,
  YooKassaProvider,
} from '@paystate/server';
import { configuredProviders, providerDescriptors } from '../../../packages/server/src/providers/registry.js';

const deps = {
  timeoutMs: 1000,
  logger: pino({ level: 'silent' }),
  clock: systemClock,
  publicUrl: 'https://pay.example',
};

/** Per code, the credentials that configure it and the adapter it must be built as. */
const expected: Record<string, { env: Record<string, string>; adapter: abstract new (...args: never[]) => unknown }> = {
  yookassa: { env: { YOOKASSA_SHOP_ID: 'shop', YOOKASSA_SECRET_KEY: 'key' }, adapter: YooKassaProvider },
  tbank: { env: { TBANK_TERMINAL_KEY: 'terminal', TBANK_PASSWORD: 'password' }, adapter: TBankProvider },
  sumup: { env: { SUMUP_API_KEY: 'key', SUMUP_MERCHANT_CODE: 'M1' }, adapter: SumUpProvider },
  wave: { env: { WAVE_API_KEY: 'key', WAVE_WEBHOOK_SECRET: 'secret' }, adapter: WaveProvider },
  mtn_momo: {
    env: { MTN_MOMO_SUBSCRIPTION_KEY: 'sub', MTN_MOMO_API_USER: 'user', MTN_MOMO_API_KEY: 'key' },
    adapter: MtnMomoProvider,
  },
  orange_money: {
    env: { ORANGE_MONEY_CLIENT_ID: 'id', ORANGE_MONEY_CLIENT_SECRET: 'secret', ORANGE_MONEY_MERCHANT_KEY: 'mk' },
    adapter: OrangeMoneyProvider,
  },
};
const codes = providerDescriptors.map((descriptor) => descriptor.code);
const allConfigured = Object.assign({}, ...Object.values(expected).map(({ env }) => env)) as Record<string, string>;

describe('provider registry', () => {
  it('gives every descriptor its own code and its own settings, and this test knows them all', () => {
    expect(new Set(codes).size).toBe(codes.length);
    const names = providerDescriptors.flatMap((descriptor) => Object.keys(descriptor.settingsSchema.shape));
    expect(new Set(names).size).toBe(names.length);
    expect([...codes].sort()).toEqual(Object.keys(expected).sort());
  });

  it('builds each configured provider from its descriptor, under its own code', () => {
    const providers = configuredProviders(loadSettings(allConfigured), deps);
    expect([...providers.keys()]).toEqual(codes);
    for (const code of codes) {
      expect(providers.get(code)).toBeInstanceOf(expected[code]!.adapter);
      // Webhooks and orders find a provider by this code, so the adapter must answer to it.
      expect(providers.get(code)?.code).toBe(code);
    }
  });

  it.each(codes)('leaves %s out while its credentials are unset, and refuses it as PAYMENT_PROVIDER', (code) => {
    const env = Object.fromEntries(Object.entries(allConfigured).filter(([name]) => !(name in expected[code]!.env)));
    const other = codes.find((candidate) => candidate !== code)!;
    const providers = configuredProviders(loadSettings({ ...env, PAYMENT_PROVIDER: other }), deps);
    expect(providers.has(code)).toBe(false);
    expect(providers.size).toBe(codes.length - 1);
    const asDefault = () => configuredProviders(loadSettings({ ...env, PAYMENT_PROVIDER: code }), deps);
    expect(asDefault).toThrow(SettingsError);
    expect(asDefault).toThrow(
      `PAYMENT_PROVIDER=${code} is not configured: set its credentials (see docs/configuration.md); configured: ${codes.filter((c) => c !== code).join(', ')}`,
    );
  });
});
