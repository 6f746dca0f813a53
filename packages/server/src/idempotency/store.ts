/**
 * The Idempotency-Key port: claimed, completed, released and purged by the middleware
 * (middleware.ts) for the POS routes (scope: the merchant) and the order API (scope `default`).
 */

export interface IdempotencyClaimRequest {
  /** The merchant id, or `default` for the single-merchant order API. */
  scope: string;
  key: string;
  requestHash: string;
  now: string;
  expiresAt: string;
  /** An in-flight claim older than this is treated as abandoned (its request crashed). */
  lockedUntil: string;
}

export interface StoredResponse {
  status: number;
  body: string;
  contentType: string | null;
}

export type IdempotencyClaim =
  | { outcome: 'claimed' }
  | { outcome: 'mismatch' }
  | { outcome: 'in_flight' }
  | { outcome: 'replay'; response: StoredResponse };

export interface IdempotencyStore {
  /**
   * Claims an Idempotency-Key with an INSERT (the unique index decides between concurrent
   * requests); an existing key answers mismatch, in_flight or replay. An expired key, or an
   * in-flight claim past its lock, is taken over.
   */
  claimIdempotencyKey(claim: IdempotencyClaimRequest): Promise<IdempotencyClaim>;
  completeIdempotencyKey(scope: string, key: string, response: StoredResponse): Promise<void>;
  /** Forgets an in-flight claim (the request failed with 5xx or threw): the client may retry with the key. */
  releaseIdempotencyKey(scope: string, key: string): Promise<void>;
  /** Deletes keys expired at `now`; returns how many. */
  purgeIdempotencyKeys(now: string): Promise<number>;
}
