import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromDecimalString, minorExponent, MoneyFormatError, toDecimalString } from '@paystate/core';
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
