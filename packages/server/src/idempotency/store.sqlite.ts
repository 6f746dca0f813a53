/**
 * The Idempotency-Keys on SQLite. Invariants: one row per (scope, key), claimed by an INSERT the
 * unique index admits once; a lapsed in-flight claim or an expired key is taken over in one
 * BEGIN IMMEDIATE transaction; only an in-flight claim is completed or released.
 */
import { eq, lte } from 'drizzle-orm';
import type { SqliteDb } from '../db/connection.sqlite.js';
import { idempotencyKeys } from '../db/schema.sqlite.js';
import {
  claimLapsed,
  claimOutcomeOf,
  inFlightKey,
  keyResponseOf,
  keyTakeoverOf,
  newKeyRow,
  scopedKey,
} from './rows.js';
import type { IdempotencyClaim, IdempotencyClaimRequest, IdempotencyStore, StoredResponse } from './store.js';

type Tx = Parameters<Parameters<SqliteDb['transaction']>[0]>[0];

export class SqliteIdempotencyStore implements IdempotencyStore {
  constructor(private readonly db: SqliteDb) {}

  private immediate<T>(work: (tx: Tx) => T): T {
    return this.db.transaction(work, { behavior: 'immediate' });
  }

  async claimIdempotencyKey(claim: IdempotencyClaimRequest): Promise<IdempotencyClaim> {
    return this.immediate((tx) => {
      const inserted = tx
        .insert(idempotencyKeys)
        .values(newKeyRow(claim))
        .onConflictDoNothing()
        .returning({ id: idempotencyKeys.id })
        .get();
      if (inserted) return { outcome: 'claimed' };
      const row = tx
        .select()
        .from(idempotencyKeys)
        .where(scopedKey(idempotencyKeys, claim.scope, claim.key))
        .get()!;
      if (claimLapsed(row, claim.now)) {
        tx.update(idempotencyKeys).set(keyTakeoverOf(claim)).where(eq(idempotencyKeys.id, row.id)).run();
        return { outcome: 'claimed' };
      }
      return claimOutcomeOf(row, claim.requestHash);
    });
  }

  async completeIdempotencyKey(scope: string, key: string, response: StoredResponse) {
    this.db
      .update(idempotencyKeys)
      .set(keyResponseOf(response))
      .where(inFlightKey(idempotencyKeys, scope, key))
      .run();
  }

  async releaseIdempotencyKey(scope: string, key: string) {
    this.db
      .delete(idempotencyKeys)
      .where(inFlightKey(idempotencyKeys, scope, key))
      .run();
  }

  async purgeIdempotencyKeys(now: string) {
    return this.db.delete(idempotencyKeys).where(lte(idempotencyKeys.expiresAt, now)).run().changes;
  }
}
