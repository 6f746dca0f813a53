import { createHash, timingSafeEqual } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { notFound, PaystateError } from '../errors.js';
import { actsFor, grantsScope, type Principal, type Scope } from '../merchants/scopes.js';

/** Hashing first makes both sides the same length, so the comparison is constant-time and never throws. */
function sameSecret(given: string, expected: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

declare module 'hono' {
  interface ContextVariableMap {
    /** Who made the request: set by `authenticate` when a valid bearer token came with it. */
    principal: Principal;
  }
}

/** Requests without a bearer token (the public order API) share one credential. */
export const ANONYMOUS_CREDENTIAL = 'anonymous';

/**
 * The credential that made the request, as an opaque id (never the token itself), so a
 * rotated or revoked key is a new credential: what Idempotency-Keys are scoped by.
 */
export function credentialOf(c: Context): string {
  return c.get('principal')?.credential ?? ANONYMOUS_CREDENTIAL;
}

export interface Authenticator {
  /** The single-merchant bootstrap: acts as platform_admin (docs/merchants.md). */
  adminToken: string | undefined;
  /** The single-merchant bootstrap: reports for any device. */
  deviceToken: string | undefined;
  /** API keys issued by `paystate keys create` or the admin API. */
  keys: { authenticate(presented: string): Promise<Principal | null> };
}

const bootstrap = (scope: Scope, name: string, token: string): Principal => ({
  keyId: `env:${name}`,
  scope,
  merchantId: null,
  deviceId: null,
  label: name,
  credential: `bearer:${createHash('sha256').update(token).digest('hex').slice(0, 16)}`,
});

/**
 * Admits a request that carries a valid bearer token (an API key, or ADMIN_TOKEN / DEVICE_TOKEN)
 * and refuses one whose token is not valid. Which scope a route needs is `requireScope`'s job.
 */
export function authenticate(auth: Authenticator): MiddlewareHandler {
  return async (c, next) => {
    const header = c.req.header('authorization');
    if (header === undefined) return next();
    const given = header.startsWith('Bearer ') ? header.slice('Bearer '.length) : '';
    const principal =
      given === ''
        ? null
        : auth.adminToken !== undefined && sameSecret(given, auth.adminToken)
          ? bootstrap('platform_admin', 'ADMIN_TOKEN', given)
          : auth.deviceToken !== undefined && sameSecret(given, auth.deviceToken)
            ? bootstrap('device', 'DEVICE_TOKEN', given)
            : await auth.keys.authenticate(given);
    if (!principal) throw unauthorized(c);
    c.set('principal', principal);
    return next();
  };
}

/** Any valid key: the protected prefixes answer 401 without one, whatever the path (unknown ones too). */
export function requireKey(): MiddlewareHandler {
  return async (c, next) => {
    principalOf(c);
    return next();
  };
}

/** The route's scope: 401 without a key, 403 with a key whose scope does not grant it. */
export function requireScope(scope: Scope): MiddlewareHandler {
  return async (c, next) => {
    const principal = c.get('principal');
    if (!principal) throw unauthorized(c);
    if (!grantsScope(principal, scope))
      throw new PaystateError(
        'forbidden',
        'forbidden',
        `this route needs a ${scope} key; this key is ${principal.scope}`,
      );
    return next();
  };
}

export function principalOf(c: Context): Principal {
  const principal = c.get('principal');
  if (!principal) throw unauthorized(c);
  return principal;
}

/**
 * The merchant a request may act for: the one in the path, if the key belongs to it (or is a
 * platform key). Another merchant's id answers as if it did not exist.
 */
export function requireMerchant(c: Context, merchantId: string): Principal {
  const principal = principalOf(c);
  if (!actsFor(principal, merchantId)) throw notFound('merchant', merchantId);
  return principal;
}

/**
 * Who did it, for audit rows, drawer sessions and refunds: a key's label. Only the ADMIN_TOKEN
 * bootstrap, which names nobody, may say who it is in the request.
 */
export function actorOf(c: Context, claimed?: string): string {
  const principal = principalOf(c);
  return principal.keyId === 'env:ADMIN_TOKEN' && claimed ? claimed : principal.label;
}

function unauthorized(c: Context): PaystateError {
  c.header('WWW-Authenticate', 'Bearer realm="paystate"');
  return new PaystateError('unauthorized', 'unauthorized', 'a valid bearer token (an API key) is required');
}
