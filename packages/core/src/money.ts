import { z } from 'zod';

/** Money is always an integer count of the currency's minor unit (kopecks, cents) plus an ISO 4217 code. */
export const currencySchema = z
  .string()
  .regex(/^[A-Z]{3}$/, 'currency must be an ISO 4217 code such as RUB or EUR');

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
export function formatMoney(money: Money, minorDigits = 2): string {
  const sign = money.amountMinor < 0 ? '-' : '';
  const digits = Math.abs(money.amountMinor).toString().padStart(minorDigits + 1, '0');
  const major = digits.slice(0, digits.length - minorDigits);
  const minor = digits.slice(digits.length - minorDigits);
  return `${sign}${major}${minorDigits > 0 ? `.${minor}` : ''} ${money.currency}`;
}
