import { createHash } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import type { Logger } from 'pino';
import type { Clock } from '@paystate/core';
import type { IdempotencyStore } from './store.js';
import { PaystateError } from '../errors.js';

export const IDEMPOTENCY_KEY_HEADER = 'Idempotency-Key';
export const IDEMPOTENT_REPLAYED_HEADER = 'Idempotent-Replayed';
/** How long a completed response is kept and replayed. */
export const IDEMPOTENCY_TTL_S = 24 * 60 * 60;
/** An in-flight claim older than this belongs to a request that died (a crash): the key may be claimed again. */
export const IDEMPOTENCY_LOCK_S = 60;

const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

export interface IdempotencyOptions {
  store: IdempotencyStore;
  clock: Clock;
  /**
   * Whose keys these are: the credential that made the request (and, for a credential that acts
   * for several merchants, the merchant of the path); null leaves the request to the route (a bad
   * merchant id).
   */
  scope: (c: Context) => string | null;
  logger?: Logger;
  ttlS?: number;
  lockS?: number;
}

/**
 * Stripe-like Idempotency-Key for POST requests. Without the header nothing changes. With it,
 * the key is claimed by an INSERT before the handler runs (the unique index admits one of
 * several concurrent requests; the others get 409 `idempotency_key_in_flight`); the completed
 * response (2xx or 4xx) is stored for 24 hours and replayed byte for byte, with
 * `Idempotent-Replayed: true`, to a request with the same key and the same method, path and
 * body; another body (or path) answers 422 `idempotency_key_reused`. A 5xx or a thrown error
 * releases the key, so the client can retry with it. Keys are per scope (credential).
 */
export function idempotency(options: IdempotencyOptions): MiddlewareHandler {
  const ttlMs = (options.ttlS ?? IDEMPOTENCY_TTL_S) * 1000;
  const lockMs = (options.lockS ?? IDEMPOTENCY_LOCK_S) * 1000;
  let lastPurge = 0;

  return async (c, next) => {
    const key = c.req.header(IDEMPOTENCY_KEY_HEADER);
    if (key === undefined) return next();
    if (!KEY_PATTERN.test(key)) {
      throw new PaystateError(
        'invalid',
        'invalid_idempotency_key',
        `${IDEMPOTENCY_KEY_HEADER} must be 1-255 visible ASCII characters`,
      );
    }
    const scope = options.scope(c);
    if (scope === null) return next();
    const requestHash = hashRequest(c.req.method, c.req.path, await c.req.text());
    const now = options.clock.now();
    const claim = await options.store.claimIdempotencyKey({
      scope,
      key,
      requestHash,
      now: now.toISOString(),
      expiresAt: new Date(now.getTime() + ttlMs).toISOString(),
      lockedUntil: new Date(now.getTime() + lockMs).toISOString(),
    });
    if (claim.outcome === 'mismatch') {
      throw new PaystateError(
        'rejected',
        'idempotency_key_reused',
        `this ${IDEMPOTENCY_KEY_HEADER} was used with a different request; send a new key`,
      );
    }
    if (claim.outcome === 'in_flight') {
      c.header('Retry-After', '1');
      throw new PaystateError(
        'conflict',
        'idempotency_key_in_flight',
        `a request with this ${IDEMPOTENCY_KEY_HEADER} is still being processed; retry shortly`,
      );
    }
    if (claim.outcome === 'replay') {
      const { status, body, contentType } = claim.response;
      const headers = new Headers({ [IDEMPOTENT_REPLAYED_HEADER]: 'true' });
      if (contentType !== null) headers.set('content-type', contentType);
      return new Response(body, { status, headers });
    }

    let stored = false;
    try {
      await next();
      const response = c.res;
      if (response.status < 500) {
        const body = await response.clone().text();
        await options.store.completeIdempotencyKey(scope, key, {
          status: response.status,
          body,
          contentType: response.headers.get('content-type'),
        });
        stored = true;
      }
    } finally {
      if (!stored) {
        await options.store
          .releaseIdempotencyKey(scope, key)
          .catch((error: unknown) => options.logger?.error({ err: error }, 'could not release an idempotency key'));
      }
    }
    // Expired keys are reused in place; this only keeps the table small.
    if (now.getTime() - lastPurge > 60 * 60 * 1000) {
      lastPurge = now.getTime();
      void options.store
        .purgeIdempotencyKeys(now.toISOString())
        .catch((error: unknown) => options.logger?.warn({ err: error }, 'idempotency key purge failed'));
    }
  };
}

/**
 * The request a key stands for: method, path and body. A JSON body is compared by content
 * (key order and whitespace do not matter); anything else byte for byte.
 */
export function hashRequest(method: string, path: string, body: string): string {
  let canonical = body;
  try {
    canonical = JSON.stringify(sortKeys(JSON.parse(body)));
  } catch {
    // Not JSON: the raw bytes.
  }
  return createHash('sha256').update(`${method.toUpperCase()} ${path}\n${canonical}`).digest('hex');
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]),
    );
  }
  return value;
}
