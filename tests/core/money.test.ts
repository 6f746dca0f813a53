import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatMoneyFor, fromDecimalString, minorExponent, MoneyFormatError, toDecimalString } from '@paystate/core';
import { moneyArb } from './support.js';

describe('money as integer minor units', () => {
  it('decimal strings round-trip exactly for every currency exponent', () => {
    fc.assert(
      fc.property(moneyArb, (money) => {
        expect(fromDecimalString(toDecimalString(money), money.currency)).toEqual(money);
      }),
    );
  });

  it('knows currencies without minor units and refuses amounts finer than the currency', () => {
    expect(minorExponent('XOF')).toBe(0);
    expect(toDecimalString({ amountMinor: 1500, currency: 'XOF' })).toBe('1500');
    expect(toDecimalString({ amountMinor: 5, currency: 'RUB' })).toBe('0.05');
    expect(fromDecimalString('150.50', 'RUB')).toEqual({ amountMinor: 15050, currency: 'RUB' });
    expect(() => fromDecimalString('1.005', 'RUB')).toThrow(MoneyFormatError);
    expect(() => fromDecimalString('1.5', 'XOF')).toThrow(MoneyFormatError);
    expect(() => fromDecimalString('-1.00', 'RUB')).toThrow(MoneyFormatError);
    expect(() => fromDecimalString('1e3', 'RUB')).toThrow(MoneyFormatError);
  });
});

describe('prices as a customer reads them', () => {
  it('show exactly the stored amount in every locale: no float rounding, no fraction on whole amounts', () => {
    fc.assert(
      fc.property(moneyArb, fc.constantFrom('ru-RU', 'en'), (money, locale) => {
        const shown = formatMoneyFor(money, locale);
        const [whole = '', fraction = ''] = toDecimalString(money).split('.');
        const digits = shown.replace(/\D/g, '');
        expect(digits).toBe(/^0*$/.test(fraction) ? whole : `${whole}${fraction}`);
      }),
    );
  });

  it('reads like a price tag: "189 ₽", "189,50 ₽", "₽189"', () => {
    expect(formatMoneyFor({ amountMinor: 18900, currency: 'RUB' }, 'ru-RU')).toBe('189\u00a0₽');
    expect(formatMoneyFor({ amountMinor: 18950, currency: 'RUB' }, 'ru-RU')).toBe('189,50\u00a0₽');
    expect(formatMoneyFor({ amountMinor: 18900, currency: 'RUB' }, 'en')).toBe('₽189');
    expect(formatMoneyFor({ amountMinor: 5000, currency: 'XOF' }, 'en')).toBe('F\u202fCFA\u00a05,000');
  });
});
