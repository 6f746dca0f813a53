import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { Hono } from 'hono';
import { generateSpecs } from 'hono-openapi';
import { z } from 'zod';
import { BEARER, documented, json, tags, text } from '../http/openapi.js';
import { scopes } from '../merchants/scopes.js';
import { ApiReferencePage, type ReferenceDocument } from './api-reference.js';

/** Read from the package itself, so src/ and dist/ (one level below it) say the same version. */
function serverVersion(): string {
  return (createRequire(import.meta.url)('../../package.json') as { version: string }).version;
}

export type OpenApiDocument = Awaited<ReturnType<typeof generateSpecs>>;

const DESCRIPTION = `The HTTP API of paystate: the public order API, the customer's pages, provider notifications, device reports, the admin API, merchants and their keys, provider accounts, alerts and the restaurant POS.

Every JSON field of a request or an answer is snake_case. Money is integer minor units with an ISO 4217 currency code. Every error answer is \`{"error": {"code", "message"}}\` (schema \`ErrorBody\`): branch on \`code\`, show \`message\`. An unexpected failure answers 500 \`internal_error\`; a route that does not exist 404 \`not_found\`. Request bodies are limited to 64 KiB (413 \`body_too_large\`); ids in paths are 1-64 letters, digits, \`-\` or \`_\`.

Authentication is a bearer API key (\`Authorization: Bearer <key>\`); each operation names the scope it needs, and a scope grants those below it (\`platform_admin\` > \`merchant_admin\` > \`cashier\` > \`read_only\`; \`device\` keys only report results). A merchant's key reaches that merchant only: another merchant's things answer 404.

Not described here: the operator console under \`/console\`, a browser UI with its own sessions and forms, not an API (docs/console.md).`;

/** The whole document: the operations come from the routes' `documented()` middleware. */
export async function openApiDocument(app: Hono): Promise<OpenApiDocument> {
  return generateSpecs(app, {
    documentation: {
      openapi: '3.1.0',
      info: {
        title: 'paystate',
        version: serverVersion(),
        description: DESCRIPTION,
        license: { name: 'UNLICENSED', identifier: 'LicenseRef-UNLICENSED' },
      },
      tags: Object.entries(tags).map(([name, description]) => ({ name, description })),
      components: {
        securitySchemes: {
          [BEARER]: {
            type: 'http',
            scheme: 'bearer',
            description: `An API key (\`paystate api-keys create\`, or POST /v1/admin/api-keys), or the ADMIN_TOKEN (platform_admin) / DEVICE_TOKEN (device) of a single-merchant set-up. Scopes: ${scopes.join(', ')}.`,
          },
        },
      },
    },
    excludeStaticFile: false,
  });
}

const openApiJsonDoc = documented('/openapi.json', () => ({
  operationId: 'getOpenApiDocument',
  summary: 'This API as an OpenAPI 3.1 document',
  description: 'Generated from the zod schemas the routes validate with.',
  tags: ['Reference'],
  access: 'public',
  responses: {
    200: {
      description: 'The OpenAPI 3.1 document.',
      content: json(
        z.looseObject({
          openapi: z.string().startsWith('3.1'),
          info: z.looseObject({}),
          paths: z.record(z.string(), z.unknown()),
        }),
        {
          excerpt: { openapi: '3.1.0', info: { title: 'paystate', version: '0.1.0' }, paths: {} },
        },
      ),
    },
  },
}));

const referenceDoc = documented('/docs/api', () => ({
  operationId: 'getApiReference',
  summary: 'This API as a page to read',
  description: 'The same document drawn as HTML on the server: no script, nothing loaded from elsewhere.',
  tags: ['Reference'],
  access: 'public',
  responses: {
    200: {
      description: 'The reference page.',
      content: text('text/html', {
        page: '<!doctype html><html lang="en"><head><title>paystate 0.1.0 · API reference</title></head><body>…</body></html>',
      }),
    },
  },
}));

/** GET /openapi.json and GET /docs/api, describing `root` (the whole app, routes added later included). */
export function openApiRoutes(root: Hono) {
  const app = new Hono();
  let cached: Promise<OpenApiDocument> | undefined;
  const load = () =>
    (cached ??= openApiDocument(root).catch((error: unknown) => {
      cached = undefined;
      throw error;
    }));

  app.get('/openapi.json', openApiJsonDoc, async (c) => c.json(await load()));

  app.get('/docs/api', referenceDoc, async (c) => {
    const doc = (await load()) as unknown as ReferenceDocument;
    const nonce = randomBytes(16).toString('base64');
    c.header(
      'Content-Security-Policy',
      `default-src 'none'; style-src 'nonce-${nonce}'; img-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'`,
    );
    c.header('X-Content-Type-Options', 'nosniff');
    c.header('Referrer-Policy', 'no-referrer');
    return c.html(`<!doctype html>${ApiReferencePage({ doc, nonce })}`);
  });

  return app;
}
