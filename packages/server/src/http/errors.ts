import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { ErrorKind, PaystateError } from '../errors.js';

/** The only place an error kind becomes an HTTP status. */
const statusOfKind: Record<ErrorKind, ContentfulStatusCode> = {
  invalid: 400,
  unsupported_media_type: 415,
  unauthorized: 401,
  // A valid key whose scope does not cover the route.
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  // Understood, and refused by a business rule (a refund beyond what is left, a reused key).
  rejected: 422,
  upstream_refused: 502,
  upstream_unavailable: 502,
  unavailable: 503,
  upstream_timeout: 504,
};

export function errorBody(code: string, message: string) {
  return { error: { code, message } };
}

export function statusOf(error: PaystateError): ContentfulStatusCode {
  return statusOfKind[error.kind];
}

export function sendError(c: Context, error: PaystateError) {
  return c.json(errorBody(error.code, error.message), statusOf(error));
}
