import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

/** A failure the client can act on: becomes `{ error: { code, message } }` with its status. */
export class AppError extends Error {
  override readonly name = 'AppError';

  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export const notFound = (what: string, id: string) =>
  new AppError(404, `${what}_not_found`, `no ${what} with id ${id}`);

export function errorBody(code: string, message: string) {
  return { error: { code, message } };
}

export function sendError(c: Context, error: AppError) {
  return c.json(errorBody(error.code, error.message), error.status);
}
