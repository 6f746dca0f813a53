import { z } from 'zod';

/** Money is always an integer count of the currency's minor unit (kopecks, cents) plus an ISO 4217 code. */
export const currencySchema = z.string().regex(/^[A-Z]{3}$/, 'currency must be an ISO 4217 code such as RUB or EUR');

export const minorUnitsSchema = z
  .number()
  .int('amounts are integer minor units, never fractions')
  .nonnegative()
  .max(Number.MAX_SAFE_INTEGER);

export const moneySchema = z.object({
  amountMinor: minorUnitsSchema,
  currency: currencySchema,
});

export type Money = z.infer<typeof moneySchema>;

export function sameMoney(a: Money, b: Money): boolean {
  return a.amountMinor === b.amountMinor && a.currency === b.currency;
}

/** Renders 12345 RUB as "123.45 RUB" for people; never parse this back. */
export function formatMoney(money: Money): string {
  return `${toDecimalString(money)} ${money.currency}`;
}

/**
 * Renders money the way a customer reads a price in their language: "189 ₽" in Russian,
 * "RUB 189.50" in English. The amount reaches Intl as an exact decimal string, never a float.
 */
export function formatMoneyFor(money: Money, locale: string): string {
  const exponent = minorExponent(money.currency);
  const fractionDigits = money.amountMinor % 10 ** exponent === 0 ? 0 : exponent;
  const format = new Intl.NumberFormat(locale, {
    style: 'currency',
    currency: money.currency,
    currencyDisplay: 'narrowSymbol',
    minimumFractionDigits: fractionDigits,
    maximumFractionDigits: fractionDigits,
  });
  return format.format(toDecimalString(money) as Intl.StringNumericLiteral);
}

/** ISO 4217 minor-unit exponents that differ from the usual 2 (West African CFA francs have none). */
const exponentOverrides: Record<string, number> = {
  BIF: 0,
  CLP: 0,
  DJF: 0,
  GNF: 0,
  ISK: 0,
  JPY: 0,
  KMF: 0,
  KRW: 0,
  PYG: 0,
  RWF: 0,
  UGX: 0,
  VND: 0,
  VUV: 0,
  XAF: 0,
  XOF: 0,
  XPF: 0,
  BHD: 3,
  IQD: 3,
  JOD: 3,
  KWD: 3,
  LYD: 3,
  OMR: 3,
  TND: 3,
};

export function minorExponent(currency: string): number {
  return exponentOverrides[currency] ?? 2;
}

export class MoneyFormatError extends Error {
  override readonly name = 'MoneyFormatError';
}

/** 15000 RUB -> "150.00": the decimal string most provider APIs want, built without floats. */
export function toDecimalString(money: Money): string {
  const exponent = minorExponent(money.currency);
  if (exponent === 0) return money.amountMinor.toString();
  const digits = money.amountMinor.toString().padStart(exponent + 1, '0');
  return `${digits.slice(0, -exponent)}.${digits.slice(-exponent)}`;
}

/** "150.00" RUB -> 15000; rejects anything that is not an exact amount in that currency. */
export function fromDecimalString(value: string | number, currency: string): Money {
  const text = typeof value === 'number' ? value.toString() : value.trim();
  const exponent = minorExponent(currency);
  const match = /^(\d+)(?:\.(\d+))?$/.exec(text);
  if (!match) throw new MoneyFormatError(`not a decimal amount: ${JSON.stringify(value)}`);
  const whole = match[1] ?? '0';
  const fraction = (match[2] ?? '').replace(/0+$/, '');
  if (fraction.length > exponent) {
    throw new MoneyFormatError(`${text} has more decimals than ${currency} allows`);
  }
  const amountMinor = Number(whole + fraction.padEnd(exponent, '0'));
  if (!Number.isSafeInteger(amountMinor)) throw new MoneyFormatError(`${text} is too large`);
  return { amountMinor, currency };
}
