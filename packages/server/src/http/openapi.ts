import type { Hono, MiddlewareHandler } from 'hono';
import { resolver, uniqueSymbol, type DescribeRouteOptions } from 'hono-openapi';
import { findTargetHandler } from 'hono/utils/handler';
import { z } from 'zod';
import { grantsScope, scopes, type Principal, type Scope } from '../merchants/scopes.js';
import { IDEMPOTENCY_KEY_HEADER, IDEMPOTENT_REPLAYED_HEADER } from '../idempotency/middleware.js';
import { idSchema } from './validate.js';

/**
 * The HTTP contract as data (docs/architecture.md section 4): each feature describes its routes
 * in an `openapi.ts` beside them with `documented()`, which answers a hono-openapi
 * `describeRoute` middleware the route carries. The document served at /openapi.json is
 * generated from those descriptions (app/openapi.ts); the zod schemas it shows are the ones the
 * routes validate with, and every example is checked against them (tests/server/openapi.test.ts).
 */

/** Every error answer, whatever the route: `{ "error": { "code", "message" } }` (http/errors.ts). */
export const errorBodySchema = z
  .strictObject({
    error: z.strictObject({
      code: z
        .string()
        .regex(/^[a-z][a-z0-9_]*$/)
        .describe('Stable and machine-readable: what a client branches on (`order_not_found`, `validation_failed`).'),
      message: z.string().min(1).describe('For people: says what was wrong; its wording may change.'),
    }),
  })
  .meta({ id: 'ErrorBody', description: 'The body of every 4xx and 5xx answer.' });

export type ErrorBody = z.infer<typeof errorBodySchema>;

/** The groups of the reference, in the order it shows them. */
export const tags = {
  Orders: 'The public order API a kiosk or a web shop calls: anonymous, with Idempotency-Keys.',
  'Customer pages': "HTML pages the customer's browser opens (text/html, never JSON).",
  Webhooks:
    "Providers' notifications: never trusted, verified (signature, token or sender network) and re-read from the provider.",
  Devices: 'What a machine reports about the order it was told to make.',
  'Admin: orders': "An operator's view of orders and the actions on them.",
  'Admin: devices': "A merchant's machines and what their customers read.",
  Merchants: 'The tenants (docs/merchants.md).',
  'API keys': 'Scoped bearer keys: shown once when issued.',
  'Provider accounts': "A merchant's own, sealed payment provider accounts, SumUp also by OAuth.",
  Alerts: 'Alerts recorded for people (docs/alerts.md).',
  'Alert channels': "Where a merchant's alert digests go: e-mail or a signed webhook.",
  'POS: payment methods': "The restaurant till's payment methods (docs/pos.md).",
  'POS: payments': 'Payments taken at the till, by mobile money, card or cash.',
  'POS: refunds': 'Refunds of POS payments, whole or in part.',
  'POS: cash drawer': 'Cash drawer sessions per till: opening, cash in and out, closing with a count.',
  Ops: 'Liveness and Prometheus metrics.',
  Reference: 'This description of the API.',
} as const;

export type Tag = keyof typeof tags;

/** The one security scheme: a bearer API key; the role names of a requirement are the scopes it needs. */
export const BEARER = 'bearer';

/**
 * Who may call a route: a key with this scope (or one that grants it), nobody in particular
 * (`public`), or a payment provider whose notification is verified by its own means (`provider`).
 */
export type Access = Scope | 'public' | 'provider';

/** A request or answer body of one media type, with named examples. */
export interface Content {
  contentType: string;
  schema: z.ZodType;
  examples: Record<string, unknown>;
}

/** A JSON body: the examples are typed by the schema here and checked against it by the tests. */
export function json<T extends z.ZodType>(schema: T, examples: Record<string, z.input<T>>): Content {
  return { contentType: 'application/json', schema, examples };
}

/** A text body (an HTML page, Prometheus metrics, a provider's bare acknowledgement). */
export function text(contentType: string, examples: Record<string, string>, schema: z.ZodType = z.string()): Content {
  return { contentType, schema, examples };
}

export interface Answer {
  description: string;
  /** One or more media types; none for an empty answer (204). */
  content?: Content | Content[];
  headers?: Record<string, { description: string; schema: Record<string, unknown> }>;
}

/** One error the route may answer, with the code a client reads and a sample message. */
export interface ErrorCase {
  status: number;
  code: string;
  message: string;
}

export const err = (status: number, code: string, message: string): ErrorCase => ({ status, code, message });

export interface PathParam {
  description: string;
  /** idSchema (what parseId checks) unless the route takes something else. */
  schema?: z.ZodType;
}

export interface OperationDoc {
  /** Unique in the document: the reference page links to it. */
  operationId: string;
  summary: string;
  description?: string;
  tags: readonly [Tag, ...Tag[]];
  access: Access;
  /** Every `:name` of the path. */
  params?: Record<string, string | PathParam>;
  /** The zod schema the route parses its query with, and what each field means. */
  query?: {
    schema: z.ZodObject;
    descriptions?: Record<string, string>;
    /** False when the route checks its query itself (no 400 `invalid_query`). */
    invalidQuery?: false;
  };
  /** Takes an Idempotency-Key (the order API and every POS POST). */
  idempotent?: boolean;
  body?: Content & { description?: string; required?: boolean };
  /** The route reads the body as raw bytes (a provider's notification): no JSON validation errors. */
  rawBody?: boolean;
  responses: Record<number, Answer>;
  /**
   * Errors beyond the ones every route of its kind has (400 for a body or an id, 401 and 403 for
   * a scope, 413 for a body, 409 and 422 for an Idempotency-Key), which are added here.
   */
  errors?: ErrorCase[];
  deprecated?: boolean;
}

/** What a test needs to check a route's documentation: its zod schemas and their examples. */
export interface DocumentedOperation {
  method: string;
  /** As Hono registered it (`/v1/orders/:id`). */
  path: string;
  doc: OperationDoc;
  /** The request body, then each answer's media types. */
  bodies: Array<{ where: string; status: number | null; content: Content }>;
  /** Every documented status, bodiless ones (204) included. */
  statuses: number[];
}

const documentation = Symbol('paystate.openapi');

/** Whether a key of scope `holder` may call a route that needs `needed`. */
const grants = (holder: Scope, needed: Scope) => grantsScope({ scope: holder } as Principal, needed);

function accessText(access: Access): string {
  if (access === 'public') return 'Public: no key.';
  if (access === 'provider')
    return "No key: the provider's notification is verified by its own means (a signature, a token, or the sender's network and a re-read of the payment from the provider's API).";
  const also = scopes.filter((s) => s !== access && grants(s, access));
  return `Needs a bearer key of scope \`${access}\`${also.length ? ` (or ${also.map((s) => `\`${s}\``).join(', ')})` : ''}.`;
}

function jsonSchemaOf(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<string, unknown>;
  return rest;
}

const defaultErrors: Record<string, ErrorCase> = {
  validation_failed: err(400, 'validation_failed', 'price: Too small: expected number to be >0'),
  malformed_json: err(400, 'malformed_json', 'the request body is not valid JSON'),
  invalid_id: err(400, 'invalid_id', 'id: ids are 1-64 letters, digits, - or _'),
  invalid_query: err(400, 'invalid_query', 'limit: Too big: expected number to be <=500'),
  unauthorized: err(401, 'unauthorized', 'a valid bearer token (an API key) is required'),
  body_too_large: err(413, 'body_too_large', 'request bodies are limited to 65536 bytes'),
  unsupported_media_type: err(
    415,
    'unsupported_media_type',
    'send the request body as JSON with Content-Type: application/json',
  ),
  invalid_idempotency_key: err(
    400,
    'invalid_idempotency_key',
    'Idempotency-Key must be 1-255 visible ASCII characters',
  ),
  idempotency_key_in_flight: err(
    409,
    'idempotency_key_in_flight',
    'a request with this Idempotency-Key is still being processed; retry shortly',
  ),
  idempotency_key_reused: err(
    422,
    'idempotency_key_reused',
    'this Idempotency-Key was used with a different request; send a new key',
  ),
};

const errorDescriptions: Record<number, string> = {
  400: 'The request is malformed or fails validation; nothing was changed.',
  401: 'No valid bearer key.',
  403: "The key's scope does not grant this route.",
  404: 'No such thing (or it belongs to another merchant).',
  409: 'Conflicts with the current state; nothing was changed.',
  413: 'The body is over 64 KiB.',
  415: 'A body that is not JSON (a form, text/plain, no Content-Type): JSON routes read `application/json` only.',
  422: 'Understood, and refused by a business rule.',
  502: 'The provider refused or failed; nothing was recorded as paid.',
  503: 'A dependency is unavailable or not configured; retry later.',
  500: 'Something failed on our side; nothing was changed.',
  504: 'The provider did not answer in time: the outcome is unknown, retry (the same movement is continued).',
};

function errorsOf(doc: OperationDoc, pathParams: string[]): ErrorCase[] {
  const cases: ErrorCase[] = [];
  if (doc.body && !doc.rawBody)
    cases.push(defaultErrors.malformed_json!, defaultErrors.validation_failed!, defaultErrors.unsupported_media_type!);
  if (doc.body) cases.push(defaultErrors.body_too_large!);
  if (pathParams.length > 0) cases.push(defaultErrors.invalid_id!);
  if (doc.query && doc.query.invalidQuery !== false) cases.push(defaultErrors.invalid_query!);
  if (doc.access !== 'public' && doc.access !== 'provider')
    cases.push(
      defaultErrors.unauthorized!,
      err(
        403,
        'forbidden',
        `this route needs a ${doc.access} key; this key is ${doc.access === 'read_only' ? 'device' : 'read_only'}`,
      ),
    );
  if (doc.idempotent)
    cases.push(
      defaultErrors.invalid_idempotency_key!,
      defaultErrors.idempotency_key_in_flight!,
      defaultErrors.idempotency_key_reused!,
    );
  return [...cases, ...(doc.errors ?? [])];
}

/** The Content of each error status, one example per code. */
function errorAnswers(cases: ErrorCase[], access: Access): Record<number, Answer> {
  const byStatus = new Map<number, ErrorCase[]>();
  for (const each of cases) byStatus.set(each.status, [...(byStatus.get(each.status) ?? []), each]);
  const answers: Record<number, Answer> = {};
  for (const [status, list] of byStatus) {
    const examples: Record<string, ErrorBody> = {};
    for (const { code, message } of list) examples[code] = { error: { code, message } };
    const codes = [...new Set(list.map((c) => `\`${c.code}\``))].join(', ');
    answers[status] = {
      description: `${status === 401 && access === 'provider' ? 'The notification did not verify (signature, token or sender).' : (errorDescriptions[status] ?? 'An error.')} Codes: ${codes}.`,
      content: json(errorBodySchema, examples),
    };
  }
  return answers;
}

const contentsOf = (content: Content | Content[] | undefined) =>
  content === undefined ? [] : Array.isArray(content) ? content : [content];

function mediaType(content: Content, io: 'input' | 'output') {
  return {
    schema: resolver(content.schema, { options: { io } }),
    examples: Object.fromEntries(Object.entries(content.examples).map(([name, value]) => [name, { value }])),
  };
}

/**
 * The middleware a route carries to be in the document. `path` is the route's path in its own
 * module (`/:merchantId/payments`): only its `:params` are read from it.
 */
function specOf(path: string, doc: OperationDoc) {
  const pathParams = [...path.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => m[1]!);
  const missing = pathParams.filter((name) => !doc.params?.[name]);
  if (missing.length > 0) throw new Error(`${doc.operationId}: path parameters not described: ${missing.join(', ')}`);

  const parameters: NonNullable<DescribeRouteOptions['parameters']> = [];
  for (const name of pathParams) {
    const param = doc.params![name]!;
    const { description, schema = idSchema } = typeof param === 'string' ? { description: param } : param;
    parameters.push({ in: 'path', name, required: true, description, schema: jsonSchemaOf(schema, 'input') });
  }
  if (doc.query) {
    const query = jsonSchemaOf(doc.query.schema, 'input') as {
      properties?: Record<string, Record<string, unknown>>;
      required?: string[];
    };
    for (const [name, schema] of Object.entries(query.properties ?? {})) {
      parameters.push({
        in: 'query',
        name,
        required: query.required?.includes(name) ?? false,
        ...(doc.query.descriptions?.[name] ? { description: doc.query.descriptions[name] } : {}),
        schema,
      });
    }
  }
  if (doc.idempotent)
    parameters.push({
      in: 'header',
      name: IDEMPOTENCY_KEY_HEADER,
      required: false,
      description:
        'Makes a retry safe: the first answer (2xx or 4xx) is kept 24 hours and replayed, with `Idempotent-Replayed: true`, to the same request with the same key; another request with it answers 422 (docs/http-api.md#idempotency-keys).',
      schema: { type: 'string', pattern: '^[\\x21-\\x7e]{1,255}$' },
    });

  const responses: Record<number, Answer> = {
    ...errorAnswers(errorsOf(doc, pathParams), doc.access),
    ...doc.responses,
  };
  const spec: DescribeRouteOptions = {
    operationId: doc.operationId,
    summary: doc.summary,
    description: [doc.description, accessText(doc.access)].filter(Boolean).join('\n\n'),
    tags: [...doc.tags],
    security: doc.access === 'public' || doc.access === 'provider' ? [] : [{ [BEARER]: [doc.access] }],
    ...(doc.deprecated ? { deprecated: true } : {}),
    ...(parameters.length ? { parameters } : {}),
    ...(doc.body
      ? {
          requestBody: {
            required: doc.body.required ?? true,
            ...(doc.body.description ? { description: doc.body.description } : {}),
            content: { [doc.body.contentType]: mediaType(doc.body, 'input') },
          },
        }
      : {}),
    responses: Object.fromEntries(
      Object.entries(responses)
        .sort(([a], [b]) => Number(a) - Number(b))
        .map(([status, answer]) => {
          const headers = {
            ...answer.headers,
            ...(doc.idempotent && Number(status) < 500
              ? {
                  [IDEMPOTENT_REPLAYED_HEADER]: {
                    description: '`true` when this answer is the stored one, replayed for a repeated Idempotency-Key.',
                    schema: { type: 'string' as const, enum: ['true'] },
                  },
                }
              : {}),
          };
          const contents = contentsOf(answer.content);
          return [
            status,
            {
              description: answer.description,
              ...(Object.keys(headers).length ? { headers } : {}),
              ...(contents.length
                ? { content: Object.fromEntries(contents.map((c) => [c.contentType, mediaType(c, 'output')])) }
                : {}),
            },
          ];
        }),
    ),
  };
  return { spec, responses };
}

interface Documentation {
  doc: OperationDoc;
  responses: Record<number, Answer>;
}

/**
 * The middleware a route carries to be in the document (hono-openapi's describeRoute, read when
 * the document is generated). `path` is the route's path in its own module
 * (`/:merchantId/payments`): only its `:params` are read from it. The description is a function,
 * called only then, so a feature's `openapi.ts` may use the schemas its routes module exports
 * while that module imports the description (a cycle that is safe only when nothing runs early).
 */
export function documented(path: string, describe: () => OperationDoc): MiddlewareHandler {
  let built: (Documentation & { spec: DescribeRouteOptions }) | undefined;
  const build = () => {
    if (!built) {
      const doc = describe();
      built = { doc, ...specOf(path, doc) };
    }
    return built;
  };
  const middleware: MiddlewareHandler = async (_c, next) => {
    await next();
  };
  Object.defineProperty(middleware, 'name', { value: 'describeRoute' });
  return Object.assign(middleware, {
    [uniqueSymbol]: {
      get spec() {
        return build().spec;
      },
    },
    [documentation]: {
      get doc() {
        return build().doc;
      },
      get responses() {
        return build().responses;
      },
    },
  });
}

/** Every documented route of an app, with the zod schemas and examples of its bodies. */
export function documentedOperations(app: Hono): DocumentedOperation[] {
  const found: DocumentedOperation[] = [];
  for (const route of app.routes) {
    const entry = (findTargetHandler(route.handler) as { [documentation]?: Documentation })[documentation];
    if (!entry) continue;
    const bodies: DocumentedOperation['bodies'] = [];
    if (entry.doc.body) bodies.push({ where: 'request', status: null, content: entry.doc.body });
    for (const [status, answer] of Object.entries(entry.responses))
      for (const content of contentsOf(answer.content))
        bodies.push({ where: `answer ${status}`, status: Number(status), content });
    const statuses = Object.keys(entry.responses).map(Number);
    found.push({ method: route.method, path: route.path, doc: entry.doc, bodies, statuses });
  }
  return found;
}

/** The zod schema of a documented answer, for checking what a running server really answers. */
export function answerSchema(
  operations: DocumentedOperation[],
  method: string,
  path: string,
  status: number,
  contentType = 'application/json',
): z.ZodType | undefined {
  const operation = operations.find((o) => o.method === method && o.path === path);
  return operation?.bodies.find((b) => b.status === status && b.content.contentType === contentType)?.content.schema;
}
