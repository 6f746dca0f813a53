/**
 * The one error a feature throws for a failure its caller can act on. `kind` is a closed set that
 * each edge maps once (the HTTP app to a status, the CLI to an exit code); `code` is the stable
 * reason clients read in `{ "error": { "code", "message" } }`. Nothing below the edges knows a
 * status code.
 */
export const errorKinds = [
  'invalid',
  /** A body in a format the route does not read (JSON routes take application/json only). */
  'unsupported_media_type',
  'unauthorized',
  'forbidden',
  'not_found',
  'conflict',
  'rejected',
  'upstream_refused',
  'upstream_unavailable',
  'upstream_timeout',
  'unavailable',
] as const;

export type ErrorKind = (typeof errorKinds)[number];

export class PaystateError extends Error {
  override readonly name = 'PaystateError';

  constructor(
    readonly kind: ErrorKind,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export const notFound = (what: string, id: string) =>
  new PaystateError('not_found', `${what}_not_found`, `no ${what} with id ${id}`);
