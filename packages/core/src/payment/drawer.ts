import type { Money } from '../money.js';

/** A cashier's till from opening to close; all sums in the drawer currency's minor units. */
export interface DrawerSession {
  sessionId: string;
  merchantId: string;
  currency: string;
  openedAt: string;
  openingMinor: number;
  cashInMinor: number;
  cashOutMinor: number;
  closedAt: string | null;
  countedMinor: number | null;
}

export class DrawerError extends Error {
  override readonly name = 'DrawerError';
}

export function openDrawer(sessionId: string, merchantId: string, opening: Money, now: Date): DrawerSession {
  assertWholeAmount(opening.amountMinor);
  return {
    sessionId,
    merchantId,
    currency: opening.currency,
    openedAt: now.toISOString(),
    openingMinor: opening.amountMinor,
    cashInMinor: 0,
    cashOutMinor: 0,
    closedAt: null,
    countedMinor: null,
  };
}

/** A cash payment into the till (`in`) or a cash refund out of it (`out`). */
export function recordCash(session: DrawerSession, direction: 'in' | 'out', cash: Money): DrawerSession {
  assertOpen(session);
  assertWholeAmount(cash.amountMinor);
  if (cash.currency !== session.currency) {
    throw new DrawerError(`drawer holds ${session.currency}, not ${cash.currency}`);
  }
  if (direction === 'out' && cash.amountMinor > expectedMinor(session)) {
    throw new DrawerError('a cash refund cannot take out more than the drawer should hold');
  }
  return direction === 'in'
    ? { ...session, cashInMinor: session.cashInMinor + cash.amountMinor }
    : { ...session, cashOutMinor: session.cashOutMinor + cash.amountMinor };
}

export function expectedMinor(session: DrawerSession): number {
  return session.openingMinor + session.cashInMinor - session.cashOutMinor;
}

/** Positive variance: more cash than expected; negative: cash is missing. */
export function varianceMinor(session: DrawerSession): number | null {
  return session.countedMinor === null ? null : session.countedMinor - expectedMinor(session);
}

export function closeDrawer(session: DrawerSession, counted: Money, now: Date): DrawerSession {
  assertOpen(session);
  assertWholeAmount(counted.amountMinor);
  if (counted.currency !== session.currency) {
    throw new DrawerError(`drawer holds ${session.currency}, not ${counted.currency}`);
  }
  return { ...session, closedAt: now.toISOString(), countedMinor: counted.amountMinor };
}

function assertOpen(session: DrawerSession): void {
  if (session.closedAt !== null) throw new DrawerError(`drawer session ${session.sessionId} is closed`);
}

function assertWholeAmount(amountMinor: number): void {
  if (!Number.isSafeInteger(amountMinor) || amountMinor < 0) {
    throw new DrawerError('cash amounts are non-negative integer minor units');
  }
}
