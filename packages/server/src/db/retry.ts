/**
 * Running a unit of database work again when it lost a race, written once for every store.
 *
 * Invariants:
 * - Only work that did nothing when it failed is retried: a lost compare-and-set, or PostgreSQL's
 *   serialization_failure / deadlock_detected (the transaction was rolled back whole).
 * - At most MAX_ATTEMPTS runs; the last failure is thrown (or what `giveUp` makes of it).
 */

/** How many times a store runs one unit of work before it gives up. */
export const MAX_ATTEMPTS = 5;

/** serialization_failure and deadlock_detected: the transaction did nothing and may simply run again. */
const RETRYABLE_SQLSTATES = new Set(['40001', '40P01']);

/** The SQLSTATE of a pg error, also when drizzle wrapped it (DrizzleQueryError keeps it as the cause). */
export function sqlStateOf(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
  }
  return undefined;
}

/** A PostgreSQL transaction that failed only because another one ran beside it. */
export function isSerializationFailure(error: unknown): boolean {
  return RETRYABLE_SQLSTATES.has(sqlStateOf(error) ?? '');
}

const rethrow = (error: unknown): never => {
  throw error;
};

/**
 * Runs `work` until it succeeds, it fails with an error `retryable` does not accept, or
 * MAX_ATTEMPTS runs failed; then `giveUp` gets the last error (by default it is rethrown).
 */
export async function retrying<T>(
  work: () => T | Promise<T>,
  retryable: (error: unknown) => boolean,
  giveUp: (error: unknown) => never = rethrow,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (!retryable(error)) throw error;
      if (attempt >= MAX_ATTEMPTS) giveUp(error);
    }
  }
}
