import type { Context } from 'hono';
import { z } from 'zod';
import { PaystateError } from '../errors.js';

/** Ids arrive in paths; anything but a plain token (slashes, dots, quotes) is refused before lookup. */
export const idSchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'ids are 1-64 letters, digits, - or _');

export function parseId(c: Context, name: string): string {
  const parsed = idSchema.safeParse(c.req.param(name));
  if (!parsed.success)
    throw new PaystateError('invalid', 'invalid_id', `${name}: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  return parsed.data;
}

/** application/json, or a structured-syntax type such as application/merge-patch+json, with any parameters. */
const JSON_MEDIA_TYPE = /^application\/(?:[\w.-]+\+)?json\s*(?:;|$)/i;

export async function parseJsonBody<T>(c: Context, schema: z.ZodType<T>): Promise<T> {
  const text = await c.req.text();
  // A JSON route reads JSON only: a form post or text/plain (what a cross-site form can send
  // without a preflight) is refused before anything reads it. No body needs no type.
  if (text !== '' && !JSON_MEDIA_TYPE.test(c.req.header('content-type') ?? ''))
    throw new PaystateError(
      'unsupported_media_type',
      'unsupported_media_type',
      'send the request body as JSON with Content-Type: application/json',
    );
  let raw: unknown;
  try {
    raw = text === '' ? {} : JSON.parse(text);
  } catch {
    throw new PaystateError('invalid', 'malformed_json', 'the request body is not valid JSON');
  }
  return parseWith(schema, raw, 'validation_failed');
}

export function parseQuery<T>(c: Context, schema: z.ZodType<T>): T {
  return parseWith(schema, c.req.query(), 'invalid_query');
}

/** NUL, or half of a UTF-16 surrogate pair: text no database column can hold (PostgreSQL refuses it). */
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** The path of the first key or string that holds unstorable text, or null. */
function unstorableAt(value: unknown, path: string): string | null {
  if (typeof value === 'string') return UNSTORABLE.test(value) ? path : null;
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) {
      const found = unstorableAt(item, `${path}.${i}`);
      if (found) return found;
    }
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  for (const [key, item] of Object.entries(value)) {
    const found = UNSTORABLE.test(key) ? `${path}.(key)` : unstorableAt(item, `${path}.${key}`);
    if (found) return found;
  }
  return null;
}

function parseWith<T>(schema: z.ZodType<T>, raw: unknown, code: string): T {
  const unstorable = unstorableAt(raw, '');
  if (unstorable !== null)
    throw new PaystateError(
      'invalid',
      code,
      `${unstorable.slice(1) || '(body)'}: text with a NUL character or a lone UTF-16 surrogate is refused`,
    );
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const message = parsed.error.issues
      .map((issue) => `${issue.path.join('.') || '(body)'}: ${issue.message}`)
      .join('; ');
    throw new PaystateError('invalid', code, message);
  }
  return parsed.data;
}
