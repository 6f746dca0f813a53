/**
 * Behavioural half of the constant-time check (bad-input.test.ts has the source-level half):
 * every token comparison made by the admin and device auth goes through crypto.timingSafeEqual
 * with two buffers of the same length (32-byte SHA-256 digests), whatever the length of the
 * token presented, and nothing else decides. node:crypto is wrapped, not replaced.
 */
import { Hono } from 'hono';
import { beforeEach, describe, expect, it, vi } from 'vitest';

const calls = vi.hoisted(() => [] as Array<[number, number]>);

vi.mock('node:crypto', async (importOriginal) => {
  const crypto = await importOriginal<typeof import('node:crypto')>();
  const timingSafeEqual = (a: NodeJS.ArrayBufferView, b: NodeJS.ArrayBufferView) => {
    calls.push([a.byteLength, b.byteLength]);
    return crypto.timingSafeEqual(a, b);
  };
  return { ...crypto, default: { ...crypto, timingSafeEqual }, timingSafeEqual };
});

const { authenticate, requireScope } = await import('../../packages/server/src/http/auth.js');
const { PaystateError } = await import('../../packages/server/src/errors.js');
const { sendError } = await import('../../packages/server/src/http/errors.js');

const TOKEN = 'the-right-admin-token-0123456789';

function app() {
  const hono = new Hono();
  // No API key matches here: the bootstrap token's comparison is the one under test.
  hono.use('*', authenticate({ adminToken: TOKEN, deviceToken: undefined, keys: { authenticate: async () => null } }));
  hono.use('*', requireScope('platform_admin'));
  hono.get('/', (c) => c.text('ok'));
  hono.onError((error, c) => (error instanceof PaystateError ? sendError(c, error) : c.text('boom', 500)));
  return hono;
}

describe('bearer token comparison', () => {
  beforeEach(() => {
    calls.length = 0;
  });

  it('compares tokens of every length with timingSafeEqual over two 32-byte digests, and only then decides', async () => {
    const hono = app();
    const tokens = [
      ...Array.from({ length: 100 }, (_, n) => 'x'.repeat(n + 1)),
      TOKEN.slice(0, -1),
      `${TOKEN}x`,
      `${TOKEN.slice(0, -1)}X`,
      TOKEN.toUpperCase(),
      'é'.repeat(40),
      'x'.repeat(5000),
    ];
    for (const token of tokens) {
      const response = await hono.request('/', { headers: { authorization: `Bearer ${token}` } });
      expect(response.status, token.slice(0, 40)).toBe(401);
    }
    expect(calls).toHaveLength(tokens.length);
    expect(calls.every(([a, b]) => a === 32 && b === 32)).toBe(true);

    calls.length = 0;
    expect((await hono.request('/', { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
    expect(calls).toEqual([[32, 32]]);
  });

  it('refuses a missing or empty token without comparing, and never answers 500', async () => {
    const hono = app();
    const cases: Array<Record<string, string>> = [
      {},
      { authorization: '' },
      { authorization: 'Bearer ' },
      { authorization: TOKEN },
      { authorization: `Basic ${TOKEN}` },
    ];
    for (const headers of cases) {
      expect((await hono.request('/', { headers })).status).toBe(401);
    }
    expect(calls).toHaveLength(0);
  });
});
