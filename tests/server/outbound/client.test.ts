import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  JsonClient,
  OutboundHttpError,
  OutboundNetworkError,
  OutboundResponseError,
  OutboundTimeoutError,
  UnknownProviderStatusError,
  WebhookParseError,
  WebhookVerificationError,
} from '@paystate/server';
import { failureReasonOf, isTransientFailure } from '../../../packages/server/src/outbound/failures.js';

const SECRET = 'Bearer s3cr3t-token-never-logged';
const TIMEOUT_MS = 200;
const okSchema = z.object({ ok: z.literal(true), n: z.number() });

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** A tiny real HTTP server whose routes behave like the failures a provider produces. */
async function startTestServer(): Promise<{ server: Server; url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      const path = req.url ?? '/';
      const json = (status: number, payload: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(payload));
      };
      if (path === '/slow') {
        // Headers only after 1 s.
        const timer = setTimeout(() => json(200, { ok: true, n: 1 }), 1000);
        res.on('close', () => clearTimeout(timer));
        return;
      }
      if (path === '/slow-body') {
        // Headers at once, the body after 1 s: the deadline covers the body too.
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"ok":true,');
        const timer = setTimeout(() => res.end('"n":1}'), 1000);
        res.on('close', () => clearTimeout(timer));
        return;
      }
      const status = /^\/status\/(\d{3})$/.exec(path);
      if (status) return json(Number(status[1]), { type: 'error', code: `code_${status[1]}` });
      if (path === '/ok') return json(200, { ok: true, n: 7 });
      if (path === '/echo') return json(200, { ok: true, n: body.length });
      if (path === '/bad-shape') return json(200, { ok: 'yes', n: '7' });
      if (path === '/not-json') {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end('<html>maintenance</html>');
        return;
      }
      if (path === '/empty') {
        res.writeHead(204);
        res.end();
        return;
      }
      json(404, { error: 'no route' });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${port}`, seen };
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/** A port that was just free and is now closed: connecting to it is refused. */
async function closedPortUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await closeServer(server);
  return `http://127.0.0.1:${port}`;
}

async function failureOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail, it succeeded');
}

describe('JsonClient over real loopback HTTP', () => {
  let url: string;
  let server: Server;
  let seen: Seen[];
  let client: JsonClient;

  beforeAll(async () => {
    ({ server, url, seen } = await startTestServer());
    client = new JsonClient({
      service: 'testsvc',
      baseUrl: `${url}/`,
      timeoutMs: TIMEOUT_MS,
      logger: pino({ level: 'silent' }),
      authorization: SECRET,
    });
  });
  afterAll(async () => {
    await closeServer(server);
  });

  it('parses a 2xx body with the schema and sends authorization, JSON body and extra headers', async () => {
    const before = seen.length;
    const result = await client.call(
      { method: 'POST', path: '/echo', body: { a: 1, b: 'two' }, headers: { 'x-extra': 'yes' } },
      okSchema,
    );
    const request = seen[before];
    expect(seen).toHaveLength(before + 1);
    expect(request).toMatchObject({ method: 'POST', url: '/echo' });
    expect(request?.headers.authorization).toBe(SECRET);
    expect(request?.headers['content-type']).toBe('application/json');
    expect(request?.headers['x-extra']).toBe('yes');
    expect(JSON.parse(request?.body ?? '')).toEqual({ a: 1, b: 'two' });
    expect(result).toEqual({ ok: true, n: request?.body.length });
  });

  it('a GET carries no body and no content-type (base URL trailing slash is dropped)', async () => {
    const before = seen.length;
    await expect(client.call({ method: 'GET', path: '/ok' }, okSchema)).resolves.toEqual({ ok: true, n: 7 });
    expect(seen[before]).toMatchObject({ method: 'GET', url: '/ok', body: '' });
    expect(seen[before]?.headers['content-type']).toBeUndefined();
  });

  it('a server that does not send headers in time -> OutboundTimeoutError within about the timeout', async () => {
    const started = performance.now();
    const error = await failureOf(client.call({ method: 'GET', path: '/slow' }, okSchema));
    const elapsed = performance.now() - started;
    expect(error).toBeInstanceOf(OutboundTimeoutError);
    expect(elapsed).toBeGreaterThanOrEqual(TIMEOUT_MS - 20);
    expect(elapsed).toBeLessThan(700);
  });

  it('a body that stalls after the headers -> OutboundTimeoutError too (one deadline for the whole call)', async () => {
    const started = performance.now();
    const error = await failureOf(client.call({ method: 'GET', path: '/slow-body' }, okSchema));
    expect(error).toBeInstanceOf(OutboundTimeoutError);
    expect(performance.now() - started).toBeLessThan(700);
  });

  it.each([
    [500, true],
    [502, true],
    [503, true],
    [429, true],
    [408, true],
    [400, false],
    [401, false],
    [404, false],
    [409, false],
    [422, false],
  ])('HTTP %i -> OutboundHttpError, transient: %s', async (status, transient) => {
    const error = await failureOf(client.call({ method: 'POST', path: `/status/${status}`, body: { x: 1 } }, okSchema));
    expect(error).toBeInstanceOf(OutboundHttpError);
    const http = error as OutboundHttpError;
    expect(http.status).toBe(status);
    expect(http.isTransient).toBe(transient);
    expect(JSON.parse(http.responseBody)).toEqual({ type: 'error', code: `code_${status}` });
    expect(http.message).toContain('testsvc');
  });

  it('a route the server does not have -> 404, not transient', async () => {
    const error = await failureOf(client.call({ method: 'GET', path: '/nowhere' }, okSchema));
    expect(error).toBeInstanceOf(OutboundHttpError);
    expect((error as OutboundHttpError).status).toBe(404);
    expect((error as OutboundHttpError).isTransient).toBe(false);
  });

  it('connection refused on a closed port -> OutboundNetworkError', async () => {
    const refused = new JsonClient({
      service: 'testsvc',
      baseUrl: await closedPortUrl(),
      timeoutMs: TIMEOUT_MS,
      logger: pino({ level: 'silent' }),
      authorization: SECRET,
    });
    const error = await failureOf(refused.call({ method: 'GET', path: '/ok' }, okSchema));
    expect(error).toBeInstanceOf(OutboundNetworkError);
    expect((error as Error).message).toContain('testsvc');
  });

  it('a 2xx whose JSON does not match the schema -> OutboundResponseError', async () => {
    const error = await failureOf(client.call({ method: 'GET', path: '/bad-shape' }, okSchema));
    expect(error).toBeInstanceOf(OutboundResponseError);
  });

  it('a 2xx that is not JSON at all -> OutboundResponseError', async () => {
    const error = await failureOf(client.call({ method: 'GET', path: '/not-json' }, okSchema));
    expect(error).toBeInstanceOf(OutboundResponseError);
  });

  it('a form is sent url-encoded with its content-type; a per-call authorization header replaces the default', async () => {
    const before = seen.length;
    await client.call(
      {
        method: 'POST',
        path: '/echo',
        form: { grant_type: 'client_credentials', note: 'a b&c=d' },
        headers: { authorization: 'Bearer per-call' },
      },
      okSchema,
    );
    const request = seen[before];
    expect(request?.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(request?.headers.authorization).toBe('Bearer per-call');
    expect(request?.body).toBe('grant_type=client_credentials&note=a+b%26c%3Dd');
    expect(Object.fromEntries(new URLSearchParams(request?.body ?? ''))).toEqual({
      grant_type: 'client_credentials',
      note: 'a b&c=d',
    });
  });

  it('an empty 2xx body is parsed as undefined: accepted by a schema allowing it, refused otherwise', async () => {
    await expect(client.call({ method: 'POST', path: '/empty', body: {} }, z.undefined())).resolves.toBeUndefined();
    await expect(client.call({ method: 'POST', path: '/empty', body: {} }, okSchema)).rejects.toBeInstanceOf(
      OutboundResponseError,
    );
  });
});

describe('JsonClient logging', () => {
  let url: string;
  let server: Server;

  beforeAll(async () => {
    ({ server, url } = await startTestServer());
  });
  afterAll(async () => {
    await closeServer(server);
  });

  it('logs method, path, params and status but never the authorization value, on every outcome', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'trace' }, { write: (line: string) => void lines.push(line) });
    const make = (baseUrl: string) =>
      new JsonClient({ service: 'testsvc', baseUrl, timeoutMs: TIMEOUT_MS, logger, authorization: SECRET });
    const client = make(url);
    const params = { order_id: 'order-marker-123', amount: 'amount-marker-456' };

    await client.call({ method: 'POST', path: '/echo', body: params }, okSchema);
    await expect(client.call({ method: 'POST', path: '/status/500', body: params }, okSchema)).rejects.toBeInstanceOf(
      OutboundHttpError,
    );
    await expect(client.call({ method: 'POST', path: '/slow', body: params }, okSchema)).rejects.toBeInstanceOf(
      OutboundTimeoutError,
    );
    await expect(
      make(await closedPortUrl()).call({ method: 'POST', path: '/ok', body: params }, okSchema),
    ).rejects.toBeInstanceOf(OutboundNetworkError);
    await expect(client.call({ method: 'POST', path: '/bad-shape', body: params }, okSchema)).rejects.toBeInstanceOf(
      OutboundResponseError,
    );

    const output = lines.join('');
    expect(lines.length).toBeGreaterThanOrEqual(5);
    expect(output).not.toContain(SECRET);
    expect(output).not.toContain('s3cr3t');
    const entries = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    for (const entry of entries) {
      expect(entry).toMatchObject({ service: 'testsvc', method: 'POST', params });
    }
    expect(entries.map((entry) => entry.path)).toEqual(['/echo', '/status/500', '/slow', '/ok', '/bad-shape']);
    expect(entries[0]).toMatchObject({ status: 200 });
    expect(entries[1]).toMatchObject({ status: 500 });
    expect(typeof entries[2]?.elapsedMs).toBe('number');
  });
});

describe('JsonClient log redaction', () => {
  it('redactParams masks the named body and form fields in the log line, not on the wire', async () => {
    const { server, url, seen } = await startTestServer();
    try {
      const lines: string[] = [];
      const logger = pino({ level: 'trace' }, { write: (line: string) => void lines.push(line) });
      const client = new JsonClient({
        service: 'testsvc',
        baseUrl: url,
        timeoutMs: TIMEOUT_MS,
        logger,
        authorization: SECRET,
      });
      await client.call(
        {
          method: 'POST',
          path: '/echo',
          body: { merchant_key: 'mk-marker-789', order_id: 'o-1' },
          redactParams: ['merchant_key'],
        },
        okSchema,
      );
      await client.call(
        { method: 'POST', path: '/echo', form: { secret: 'form-marker-321', kind: 'x' }, redactParams: ['secret'] },
        okSchema,
      );
      const output = lines.join('');
      expect(output).not.toContain('mk-marker-789');
      expect(output).not.toContain('form-marker-321');
      const entries = lines.map((line) => JSON.parse(line) as { params: Record<string, string> });
      expect(entries[0]?.params).toEqual({ merchant_key: '[redacted]', order_id: 'o-1' });
      expect(entries[1]?.params).toEqual({ secret: '[redacted]', kind: 'x' });
      expect(JSON.parse(seen[0]?.body ?? '')).toEqual({ merchant_key: 'mk-marker-789', order_id: 'o-1' });
    } finally {
      await closeServer(server);
    }
  });
});

describe('failure classification (failures.ts)', () => {
  const cases: [string, unknown, boolean, string | RegExp][] = [
    [
      'timeout',
      new OutboundTimeoutError('svc did not answer within 200 ms'),
      true,
      'OutboundTimeoutError: svc did not answer within 200 ms',
    ],
    [
      'network',
      new OutboundNetworkError('svc unreachable: ECONNREFUSED'),
      true,
      'OutboundNetworkError: svc unreachable: ECONNREFUSED',
    ],
    ['HTTP 500', new OutboundHttpError(500, '', 'svc'), true, 'HTTP 500'],
    ['HTTP 503', new OutboundHttpError(503, '', 'svc'), true, 'HTTP 503'],
    ['HTTP 429', new OutboundHttpError(429, '', 'svc'), true, 'HTTP 429'],
    ['HTTP 408', new OutboundHttpError(408, '', 'svc'), true, 'HTTP 408'],
    ['HTTP 400', new OutboundHttpError(400, '', 'svc'), false, 'HTTP 400'],
    ['HTTP 401', new OutboundHttpError(401, '', 'svc'), false, 'HTTP 401'],
    ['HTTP 404', new OutboundHttpError(404, '', 'svc'), false, 'HTTP 404'],
    ['HTTP 422', new OutboundHttpError(422, '', 'svc'), false, 'HTTP 422'],
    [
      'bad body',
      new OutboundResponseError('svc answered with an unexpected body'),
      false,
      'OutboundResponseError: svc answered with an unexpected body',
    ],
    [
      'unknown status',
      new UnknownProviderStatusError('status "weird"'),
      false,
      'UnknownProviderStatusError: status "weird"',
    ],
    ['webhook parse', new WebhookParseError('not JSON'), false, 'WebhookParseError: not JSON'],
    ['webhook verification', new WebhookVerificationError('outside'), false, 'WebhookVerificationError: outside'],
    ['plain Error', new Error('boom'), false, 'Error: boom'],
    ['a string', 'just text', false, 'just text'],
    ['undefined', undefined, false, 'undefined'],
  ];

  it.each(cases)('%s -> transient %s', (_label, error, transient, reason) => {
    expect(isTransientFailure(error)).toBe(transient);
    expect(failureReasonOf(error)).toEqual(reason);
  });

  it('classifies the errors JsonClient actually throws against a live server the same way', async () => {
    const { server, url } = await startTestServer();
    try {
      const client = new JsonClient({
        service: 'svc',
        baseUrl: url,
        timeoutMs: TIMEOUT_MS,
        logger: pino({ level: 'silent' }),
        authorization: SECRET,
      });
      const outcomes = await Promise.all(
        ['/slow', '/status/503', '/status/429', '/status/400', '/bad-shape'].map((path) =>
          failureOf(client.call({ method: 'GET', path }, okSchema)),
        ),
      );
      const refused = new JsonClient({
        service: 'svc',
        baseUrl: await closedPortUrl(),
        timeoutMs: TIMEOUT_MS,
        logger: pino({ level: 'silent' }),
        authorization: SECRET,
      });
      outcomes.push(await failureOf(refused.call({ method: 'GET', path: '/ok' }, okSchema)));
      expect(outcomes.map(isTransientFailure)).toEqual([true, true, true, false, false, true]);
      expect(outcomes.map(failureReasonOf).slice(1, 4)).toEqual(['HTTP 503', 'HTTP 429', 'HTTP 400']);
      expect(failureReasonOf(outcomes[0])).toMatch(/^OutboundTimeoutError: /);
      expect(failureReasonOf(outcomes[5])).toMatch(/^OutboundNetworkError: /);
    } finally {
      await closeServer(server);
    }
  });
});
