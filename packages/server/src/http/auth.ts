import { createHash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { PaystateError } from '../errors.js';

/** Hashing first makes both sides the same length, so the comparison is constant-time and never throws. */
function sameSecret(given: string, expected: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(given), digest(expected));
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
    await next();
  };
}
