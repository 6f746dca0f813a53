/**
 * The Idempotency-Keys on PostgreSQL. Invariants: one row per (scope, key), claimed by an INSERT
 * the unique index admits once; a lapsed in-flight claim or an expired key is taken over under
 * the row's lock (serialisation failures retried); only an in-flight claim is completed or
 * released. Every call waits for the schema (`prepared`).
 */
import { eq, lte } from 'drizzle-orm';
import type { PgDb } from '../db/connection.pg.js';
import { isSerializationFailure, MAX_ATTEMPTS, retrying } from '../db/retry.js';
import { idempotencyKeys } from '../db/schema.pg.js';
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

type Tx = Parameters<Parameters<PgDb['transaction']>[0]>[0];

export class PgIdempotencyStore implements IdempotencyStore {
  constructor(
    private readonly db: PgDb,
    private readonly prepared: Promise<void>,
  ) {
    // A failed migration is reported by the order store's ready(); every call here still awaits it.
    this.prepared.catch(() => undefined);
  }

  private async locked<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    await this.prepared;
    return retrying(() => this.db.transaction(work), isSerializationFailure);
  }

  async claimIdempotencyKey(claim: IdempotencyClaimRequest): Promise<IdempotencyClaim> {
    await this.prepared;
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      // The INSERT is the claim: of two concurrent requests with one key, the unique index lets one in.
      const [inserted] = await this.db
        .insert(idempotencyKeys)
        .values(newKeyRow(claim))
        .onConflictDoNothing()
        .returning({ id: idempotencyKeys.id });
      if (inserted) return { outcome: 'claimed' };
      const outcome = await this.locked(async (tx): Promise<IdempotencyClaim | null> => {
        const [row] = await tx
          .select()
          .from(idempotencyKeys)
          .where(scopedKey(idempotencyKeys, claim.scope, claim.key))
          .for('update');
        // Released between our INSERT and this read: claim again.
        if (!row) return null;
        if (!claimLapsed(row, claim.now)) return claimOutcomeOf(row, claim.requestHash);
        await tx.update(idempotencyKeys).set(keyTakeoverOf(claim)).where(eq(idempotencyKeys.id, row.id));
        return { outcome: 'claimed' };
      });
      if (outcome) return outcome;
    }
    return { outcome: 'in_flight' };
  }

  async completeIdempotencyKey(scope: string, key: string, response: StoredResponse) {
    await this.prepared;
    await this.db
      .update(idempotencyKeys)
      .set(keyResponseOf(response))
      .where(inFlightKey(idempotencyKeys, scope, key));
  }

  async releaseIdempotencyKey(scope: string, key: string) {
    await this.prepared;
    await this.db.delete(idempotencyKeys).where(inFlightKey(idempotencyKeys, scope, key));
  }

  async purgeIdempotencyKeys(now: string) {
    await this.prepared;
    const deleted = await this.db
      .delete(idempotencyKeys)
      .where(lte(idempotencyKeys.expiresAt, now))
      .returning({ id: idempotencyKeys.id });
    return deleted.length;
  }
}
