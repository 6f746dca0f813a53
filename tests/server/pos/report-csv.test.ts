/** The daily report's CSV cells (docs/pos.md, daily report): exact decimals, RFC 4180 quoting, no formulas. */
import { describe, expect, it } from 'vitest';
import { dayBounds, decimalOf, reportCsv, text } from '../../../packages/server/src/pos/report.js';

describe('the daily report CSV', () => {
  it('writes signed sums of minor units as exact decimals in the currency', () => {
    expect(decimalOf(0n, 'EUR')).toBe('0.00');
    expect(decimalOf(5n, 'EUR')).toBe('0.05');
    expect(decimalOf(-1050n, 'EUR')).toBe('-10.50');
    expect(decimalOf(-50n, 'XOF')).toBe('-50');
    expect(decimalOf(1234n, 'KWD')).toBe('1.234');
    expect(decimalOf(18014398509481985n, 'RUB')).toBe('180143985094819.85');
  });

  it('quotes what needs quoting and defuses what a spreadsheet would run', () => {
    expect(text('cash')).toBe('cash');
    expect(text('a,b')).toBe('"a,b"');
    expect(text('say "hi"')).toBe('"say ""hi"""');
    expect(text('two\nlines')).toBe('"two\nlines"');
    expect(text('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
    expect(text('+1')).toBe("'+1");
    expect(text('@sum')).toBe("'@sum");
    const row = {
      day: '2026-03-01',
      merchantId: 'm-1',
      method: 'cash',
      currency: 'XOF',
      count: 1,
      grossMinor: 2500n,
      refundCount: 1,
      refundsMinor: 3000n,
      netMinor: -500n,
    };
    // Amounts are numbers, not text: a negative net keeps its minus sign.
    expect(reportCsv([row])).toBe(
      'day,merchant_id,method,currency,count,gross,refund_count,refunds,net\r\n2026-03-01,m-1,cash,XOF,1,2500,1,3000,-500\r\n',
    );
  });

  it('takes calendar days only', () => {
    expect(dayBounds('2026-03-01')).toEqual({ from: '2026-03-01T00:00:00.000Z', to: '2026-03-02T00:00:00.000Z' });
    expect(dayBounds('2026-02-29')).toBeNull();
    expect(dayBounds('2026-3-1')).toBeNull();
    expect(dayBounds('yesterday')).toBeNull();
  });
});
