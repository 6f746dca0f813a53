import { createHash, timingSafeEqual } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { PaystateError } from '../errors.js';

/** Hashing first makes both sides the same length, so the comparison is constant-time and never throws. */
function sameSecret(given: string, expected: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

declare module 'hono' {
  interface ContextVariableMap {
    /** Who made the request: set by the auth middleware that admitted it. */
    credential: string;
  }
}

/** Requests no auth middleware admitted (the public order API) share one credential. */
export const ANONYMOUS_CREDENTIAL = 'anonymous';

/**
 * The credential that made the request, as an opaque id: a digest of the bearer token, never the
 * token itself, so a rotated token is a new credential.
 */
export function credentialOf(c: Context): string {
  return c.get('credential') ?? ANONYMOUS_CREDENTIAL;
}

/** Requires `Authorization: Bearer <token>`; with no token configured the routes are closed. */
export function bearerAuth(token: string | undefined, realm: string): MiddlewareHandler {
  return async (c, next) => {
    if (token === undefined)
      throw new PaystateError('unauthorized', 'unauthorized', `${realm} is disabled: no token is configured`);
    const header = c.req.header('authorization') ?? '';
    const given = header.startsWith('Bearer ') ? header.slice('Bearer '.length) : '';
    if (given === '' || !sameSecret(given, token)) {
      c.header('WWW-Authenticate', `Bearer realm="${realm}"`);
      throw new PaystateError('unauthorized', 'unauthorized', `a valid bearer token is required for the ${realm}`);
    }
    c.set('credential', `bearer:${createHash('sha256').update(given).digest('hex').slice(0, 16)}`);
    await next();
  };
}
