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

export async function parseJsonBody<T>(c: Context, schema: z.ZodType<T>): Promise<T> {
  const text = await c.req.text();
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

function parseWith<T>(schema: z.ZodType<T>, raw: unknown, code: string): T {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const message = parsed.error.issues
      .map((issue) => `${issue.path.join('.') || '(body)'}: ${issue.message}`)
      .join('; ');
    throw new PaystateError('invalid', code, message);
  }
  return parsed.data;
}
