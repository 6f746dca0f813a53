import { minorExponent } from '@paystate/core';
import type { PosReportStore, PosTotals } from './store.js';

/**
 * The daily report of a merchant's POS (docs/pos.md, daily report): for one UTC day, per method
 * and currency, the captured sales created that day (count, gross) and the refunds that
 * recorded that day and succeeded (whatever day their sale was), and net = gross − refunds. Sums are BigInt
 * over the database's exact integer sums: never a float.
 */
export interface ReportRow {
  day: string;
  merchantId: string;
  method: string;
  currency: string;
  count: number;
  grossMinor: bigint;
  refundCount: number;
  refundsMinor: bigint;
  netMinor: bigint;
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** The instants [from, to) of a UTC day `YYYY-MM-DD`; null when it is not a calendar day. */
export function dayBounds(day: string): { from: string; to: string } | null {
  if (!DAY.test(day)) return null;
  const start = Date.parse(`${day}T00:00:00.000Z`);
  if (Number.isNaN(start) || new Date(start).toISOString().slice(0, 10) !== day) return null;
  return { from: new Date(start).toISOString(), to: new Date(start + 86_400_000).toISOString() };
}

export async function dailyReport(store: PosReportStore, merchantId: string, day: string): Promise<ReportRow[]> {
  const bounds = dayBounds(day);
  if (!bounds) throw new RangeError(`not a day: ${day}`);
  const [sales, refunds] = await Promise.all([
    store.salesTotals(merchantId, bounds.from, bounds.to),
    store.refundTotals(merchantId, bounds.from, bounds.to),
  ]);
  const rows = new Map<string, ReportRow>();
  const row = (totals: PosTotals) => {
    const key = `${totals.methodCode}\u0000${totals.currency}`;
    let found = rows.get(key);
    if (!found) {
      found = {
        day,
        merchantId,
        method: totals.methodCode,
        currency: totals.currency,
        count: 0,
        grossMinor: 0n,
        refundCount: 0,
        refundsMinor: 0n,
        netMinor: 0n,
      };
      rows.set(key, found);
    }
    return found;
  };
  for (const totals of sales) {
    const r = row(totals);
    r.count += totals.count;
    r.grossMinor += BigInt(totals.totalMinor);
  }
  for (const totals of refunds) {
    const r = row(totals);
    r.refundCount += totals.count;
    r.refundsMinor += BigInt(totals.totalMinor);
  }
  for (const r of rows.values()) r.netMinor = r.grossMinor - r.refundsMinor;
  return [...rows.values()].sort((a, b) =>
    a.method === b.method ? a.currency.localeCompare(b.currency) : a.method.localeCompare(b.method),
  );
}

/** -1050n EUR -> "-10.50", 2500n XOF -> "2500": the exact decimal of a signed sum of minor units. */
export function decimalOf(minor: bigint, currency: string): string {
  const exponent = minorExponent(currency);
  const sign = minor < 0n ? '-' : '';
  const digits = (minor < 0n ? -minor : minor).toString();
  if (exponent === 0) return `${sign}${digits}`;
  const padded = digits.padStart(exponent + 1, '0');
  return `${sign}${padded.slice(0, -exponent)}.${padded.slice(-exponent)}`;
}

export const REPORT_CSV_HEADER = [
  'day',
  'merchant_id',
  'method',
  'currency',
  'count',
  'gross',
  'refund_count',
  'refunds',
  'net',
] as const;

/** RFC 4180 CSV (CRLF, quoted where needed); text that a spreadsheet would run as a formula is defused. */
export function reportCsv(rows: readonly ReportRow[]): string {
  const lines = [REPORT_CSV_HEADER.join(',')];
  for (const r of rows)
    lines.push(
      [
        text(r.day),
        text(r.merchantId),
        text(r.method),
        text(r.currency),
        String(r.count),
        decimalOf(r.grossMinor, r.currency),
        String(r.refundCount),
        decimalOf(r.refundsMinor, r.currency),
        decimalOf(r.netMinor, r.currency),
      ].join(','),
    );
  return `${lines.join('\r\n')}\r\n`;
}

/** A text cell: a leading = + - @ (or tab, CR) gets a quote mark so no spreadsheet evaluates it; then CSV quoting. */
export function text(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}
