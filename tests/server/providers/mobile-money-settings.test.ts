import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import {
  adaptersFromSettings,
  loadSettings,
  MtnMomoProvider,
  OrangeMoneyProvider,
  SettingsError,
  WaveProvider,
} from '@paystate/server';

const silent = pino({ level: 'silent' });
const base = { TMETR_API_URL: 'http://127.0.0.1:9', TMETR_TOKEN: 't', YOOKASSA_SHOP_ID: 's', YOOKASSA_SECRET_KEY: 'k' };
const wave = { WAVE_API_KEY: 'wave-key', WAVE_WEBHOOK_SECRET: 'wave-secret' };
const momo = {
  MTN_MOMO_SUBSCRIPTION_KEY: 'sub',
  MTN_MOMO_API_USER: '9f0d3a57-4b6e-4f0e-8c59-2b8d7f1e6a10',
  MTN_MOMO_API_KEY: 'key',
};
const orange = { ORANGE_MONEY_CLIENT_ID: 'id', ORANGE_MONEY_CLIENT_SECRET: 'secret', ORANGE_MONEY_MERCHANT_KEY: 'mk' };

describe('West-African mobile money settings', () => {
  it('have the documented defaults', () => {
    const settings = loadSettings({});
    expect(settings).toMatchObject({
      WAVE_API_URL: 'https://api.wave.com',
      MTN_MOMO_API_URL: 'https://sandbox.momodeveloper.mtn.com',
      MTN_MOMO_TARGET_ENVIRONMENT: 'sandbox',
      ORANGE_MONEY_API_URL: 'https://api.orange.com',
      ORANGE_MONEY_COUNTRY: 'dev',
    });
    expect(settings.WAVE_API_KEY).toBeUndefined();
  });

  it('register wave, mtn_momo and orange_money when configured, and nothing otherwise', () => {
    expect([...adaptersFromSettings(loadSettings(base), silent).providers.keys()]).toEqual(['yookassa']);
    const { providers } = adaptersFromSettings(
      loadSettings({ ...base, ...wave, ...momo, ...orange, ORANGE_MONEY_COUNTRY: 'ci' }),
      silent,
    );
    expect(providers.get('wave')).toBeInstanceOf(WaveProvider);
    expect(providers.get('mtn_momo')).toBeInstanceOf(MtnMomoProvider);
    expect(providers.get('orange_money')).toBeInstanceOf(OrangeMoneyProvider);
    for (const code of ['wave', 'mtn_momo', 'orange_money']) {
      expect(providers.get(code)?.code).toBe(code);
      expect(providers.get(code)?.canQueryStatus).toBe(true);
    }
  });

  it('each can be the default provider', () => {
    for (const [code, env] of [
      ['wave', wave],
      ['mtn_momo', momo],
      ['orange_money', orange],
    ] as const) {
      const { providers } = adaptersFromSettings(
        loadSettings({ TMETR_API_URL: 'http://127.0.0.1:9', TMETR_TOKEN: 't', PAYMENT_PROVIDER: code, ...env }),
        silent,
      );
      expect([...providers.keys()]).toEqual([code]);
    }
  });

  it('partial credentials do not register a provider; as PAYMENT_PROVIDER that is a SettingsError', () => {
    const { MTN_MOMO_API_KEY: _k, ...momoWithoutKey } = momo;
    expect(adaptersFromSettings(loadSettings({ ...base, ...momoWithoutKey }), silent).providers.has('mtn_momo')).toBe(
      false,
    );
    expect(() =>
      adaptersFromSettings(loadSettings({ ...base, ...momoWithoutKey, PAYMENT_PROVIDER: 'mtn_momo' }), silent),
    ).toThrow(SettingsError);
  });

  it('WAVE_API_KEY without WAVE_WEBHOOK_SECRET is refused at start-up', () => {
    expect(() => adaptersFromSettings(loadSettings({ ...base, WAVE_API_KEY: 'wave-key' }), silent)).toThrow(
      /WAVE_WEBHOOK_SECRET/,
    );
  });

  it.each([
    ['ORANGE_MONEY_COUNTRY', 'CI'],
    ['ORANGE_MONEY_COUNTRY', 'c/i'],
    ['WAVE_API_URL', 'not a url'],
    ['MTN_MOMO_API_URL', 'nope'],
    ['ORANGE_MONEY_API_URL', ''],
  ])('%s=%j is refused with a clear message', (name, value) => {
    expect(() => loadSettings({ [name]: value })).toThrow(new RegExp(name));
  });
});
