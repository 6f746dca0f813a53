import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  closeDrawer,
  DrawerError,
  expectedMinor,
  offeredMethods,
  openDrawer,
  recordCash,
  varianceMinor,
} from '@paystate/core';

const at = new Date('2026-03-01T08:00:00.000Z');
const cashArb = fc.array(
  fc.record({
    direction: fc.constantFrom('in' as const, 'out' as const),
    amountMinor: fc.integer({ min: 0, max: 100_000 }),
  }),
  { maxLength: 30 },
);

describe('cash drawer sessions', () => {
  it('expected = opening + cash in - cash out; variance = counted - expected', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1_000_000 }),
        cashArb,
        fc.integer({ min: 0, max: 5_000_000 }),
        (opening, moves, counted) => {
          let session = openDrawer('s1', 'm1', { amountMinor: opening, currency: 'XOF' }, at);
          let cashIn = 0;
          let cashOut = 0;
          for (const move of moves) {
            try {
              session = recordCash(session, move.direction, { amountMinor: move.amountMinor, currency: 'XOF' });
              if (move.direction === 'in') cashIn += move.amountMinor;
              else cashOut += move.amountMinor;
            } catch (error) {
              expect(error).toBeInstanceOf(DrawerError);
              expect(move.direction).toBe('out');
              expect(move.amountMinor).toBeGreaterThan(opening + cashIn - cashOut);
            }
          }
          expect(expectedMinor(session)).toBe(opening + cashIn - cashOut);
          expect(expectedMinor(session)).toBeGreaterThanOrEqual(0);
          const closed = closeDrawer(session, { amountMinor: counted, currency: 'XOF' }, at);
          expect(varianceMinor(closed)).toBe(counted - (opening + cashIn - cashOut));
        },
      ),
    );
  });

  it('a closed drawer, a foreign currency or a fractional amount is refused', () => {
    const open = openDrawer('s2', 'm1', { amountMinor: 1000, currency: 'XOF' }, at);
    expect(() => recordCash(open, 'in', { amountMinor: 5, currency: 'EUR' })).toThrow(DrawerError);
    expect(() => recordCash(open, 'in', { amountMinor: 2.5, currency: 'XOF' })).toThrow(DrawerError);
    const closed = closeDrawer(open, { amountMinor: 1000, currency: 'XOF' }, at);
    expect(() => recordCash(closed, 'in', { amountMinor: 5, currency: 'XOF' })).toThrow(DrawerError);
    expect(varianceMinor(open)).toBeNull();
  });

  it('offers only active payment methods, in the merchant order', () => {
    const method = (providerCode: string, sortOrder: number, active = true) => ({
      merchantId: 'm1',
      providerCode,
      displayName: providerCode,
      active,
      sortOrder,
      publicConfig: {},
    });
    expect(
      offeredMethods([method('wave', 2), method('cash', 1), method('mtn_momo', 0, false)]).map((m) => m.providerCode),
    ).toEqual(['cash', 'wave']);
  });
});
