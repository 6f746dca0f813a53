import { raw } from 'hono/html';
import type { Child } from 'hono/jsx';

/**
 * GET /docs/api: the OpenAPI document drawn as one server-rendered page. No script at all and
 * one nonce'd style element, so it works under the strictest CSP and needs nothing from a CDN.
 */

/** The parts of an OpenAPI 3.1 document the page reads. */
export interface SchemaNode {
  $ref?: string;
  type?: string | string[];
  format?: string;
  pattern?: string;
  description?: string;
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  properties?: Record<string, SchemaNode>;
  required?: string[];
  additionalProperties?: boolean | SchemaNode;
  propertyNames?: SchemaNode;
  items?: SchemaNode;
  anyOf?: SchemaNode[];
  oneOf?: SchemaNode[];
  allOf?: SchemaNode[];
}

interface MediaNode {
  schema?: SchemaNode;
  examples?: Record<string, { summary?: string; value?: unknown }>;
}

interface ParameterNode {
  name: string;
  in: string;
  required?: boolean;
  description?: string;
  schema?: SchemaNode;
}

interface OperationNode {
  operationId?: string;
  summary?: string;
  description?: string;
  tags?: string[];
  security?: Array<Record<string, string[]>>;
  parameters?: ParameterNode[];
  requestBody?: { description?: string; required?: boolean; content?: Record<string, MediaNode> };
  responses?: Record<
    string,
    {
      description?: string;
      headers?: Record<string, { description?: string }>;
      content?: Record<string, MediaNode>;
    }
  >;
}

export interface ReferenceDocument {
  info: { title: string; version: string; description?: string };
  tags?: Array<{ name: string; description?: string }>;
  paths?: Record<string, Record<string, OperationNode> | undefined>;
  components?: { schemas?: Record<string, SchemaNode> };
}

const STYLE = `
:root{--fg:#1b1f24;--muted:#57606a;--line:#d0d7de;--accent:#0b5cad;--soft:#f6f8fa}
*{box-sizing:border-box}body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg)}
a{color:var(--accent)}a:focus,summary:focus{outline:3px solid #f59e0b;outline-offset:1px}
.skip{position:absolute;left:-999px}.skip:focus{left:8px;top:8px;background:#fff;padding:4px}
.layout{display:grid;grid-template-columns:minmax(220px,280px) 1fr}
nav{border-right:1px solid var(--line);padding:12px 16px;background:var(--soft);font-size:14px;position:sticky;top:0;max-height:100vh;overflow:auto}
nav ul{list-style:none;padding:0;margin:0 0 12px}nav li{margin:2px 0}nav a,td,.path,code{overflow-wrap:anywhere}nav h2{font-size:14px;margin:12px 0 4px}
main{padding:16px 24px;max-width:1100px;min-width:0}h1{font-size:24px;margin:4px 0}h2{font-size:20px;margin:28px 0 8px;border-bottom:1px solid var(--line)}
h3{font-size:17px;margin:0 0 4px}h4{font-size:14px;margin:12px 0 4px;text-transform:uppercase;letter-spacing:.03em;color:var(--muted)}
.op{border:1px solid var(--line);border-radius:6px;padding:12px 16px;margin:12px 0}
.method{display:inline-block;min-width:4.2em;text-align:center;font:600 12px/1.8 ui-monospace,monospace;border-radius:4px;color:#fff;background:#57606a;margin-right:6px}
.get{background:#0b5cad}.post{background:#166534}.put{background:#9a3412}.patch{background:#6d28d9}.delete{background:#b91c1c}
.path{font:600 14px ui-monospace,SFMono-Regular,Menlo,monospace;overflow-wrap:anywhere}
table{border-collapse:collapse;width:100%;margin:4px 0;font-size:14px}th,td{border-bottom:1px solid var(--line);padding:4px 6px;text-align:left;vertical-align:top}
th{background:var(--soft);font-weight:600}td table{margin:4px 0 0}code{font:13px ui-monospace,SFMono-Regular,Menlo,monospace;background:var(--soft);padding:0 3px;border-radius:3px}
pre{background:var(--soft);padding:8px;border-radius:4px;overflow:auto;max-height:420px;font-size:13px;margin:4px 0}
.muted{color:var(--muted)}.req{color:#b91c1c;font-size:12px}.status{font:600 14px ui-monospace,monospace}
details{margin:4px 0}summary{cursor:pointer}
@media (max-width:800px){.layout{display:block}nav{position:static;max-height:none;border-right:0;border-bottom:1px solid var(--line)}}
`;

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

/** `code` spans, the only inline markup the descriptions use. */
function Inline({ text }: { text: string | undefined }) {
  if (!text) return null;
  return <>{text.split('`').map((part, i) => (i % 2 === 1 ? <code>{part}</code> : part))}</>;
}

/** Paragraphs of `Inline` text. */
function Prose({ text }: { text: string | undefined }) {
  if (!text) return null;
  return (
    <>
      {text.split(/\n\n+/).map((paragraph) => (
        <p>
          <Inline text={paragraph} />
        </p>
      ))}
    </>
  );
}

const refName = (ref: string) => ref.split('/').pop() ?? ref;

function typeOf(schema: SchemaNode): Child {
  if (schema.$ref) return <a href={`#schema-${refName(schema.$ref)}`}>{refName(schema.$ref)}</a>;
  const variants = schema.anyOf ?? schema.oneOf;
  if (variants) {
    return (
      <>
        {variants.map((variant, i) => (
          <>
            {i > 0 ? ' | ' : ''}
            {typeOf(variant)}
          </>
        ))}
      </>
    );
  }
  if (schema.const !== undefined) return <code>{JSON.stringify(schema.const)}</code>;
  const types = Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : [];
  const named = types.map((type) => {
    if (type === 'array') return <>array of {schema.items ? typeOf(schema.items) : 'anything'}</>;
    if (type === 'object' && !schema.properties && typeof schema.additionalProperties === 'object')
      return <>map of {typeOf(schema.additionalProperties)}</>;
    return <>{schema.format ? `${type} (${schema.format})` : type}</>;
  });
  if (named.length === 0) return 'any';
  return (
    <>
      {named.map((each, i) => (
        <>
          {i > 0 ? ' | ' : ''}
          {each}
        </>
      ))}
    </>
  );
}

function constraints(schema: SchemaNode): string[] {
  const out: string[] = [];
  if (schema.enum) out.push(`one of ${schema.enum.map((v) => JSON.stringify(v)).join(', ')}`);
  if (schema.pattern) out.push(`pattern ${schema.pattern}`);
  if (schema.minLength !== undefined) out.push(`≥ ${schema.minLength} characters`);
  if (schema.maxLength !== undefined) out.push(`≤ ${schema.maxLength} characters`);
  if (schema.exclusiveMinimum !== undefined) out.push(`> ${schema.exclusiveMinimum}`);
  if (schema.minimum !== undefined && schema.minimum > -Number.MAX_SAFE_INTEGER) out.push(`≥ ${schema.minimum}`);
  if (schema.exclusiveMaximum !== undefined) out.push(`< ${schema.exclusiveMaximum}`);
  if (schema.maximum !== undefined && schema.maximum < Number.MAX_SAFE_INTEGER) out.push(`≤ ${schema.maximum}`);
  if (schema.minItems !== undefined) out.push(`≥ ${schema.minItems} items`);
  if (schema.maxItems !== undefined) out.push(`≤ ${schema.maxItems} items`);
  if (schema.default !== undefined) out.push(`default ${JSON.stringify(schema.default)}`);
  return out;
}

/** An object's fields as a table, nested objects inside their row; anything else as one line. */
function SchemaView({ schema, depth = 0 }: { schema: SchemaNode; depth?: number }): Child {
  const object = schema.properties ? schema : schema.allOf?.length === 1 ? schema.allOf[0]! : schema;
  if (!object.properties || depth > 5) {
    const notes = constraints(schema);
    return (
      <p>
        {typeOf(schema)}
        {notes.length ? <span class="muted"> · {notes.join('; ')}</span> : null}
        {schema.description ? <span> · {schema.description}</span> : null}
      </p>
    );
  }
  const variants = (field: SchemaNode) => field.anyOf ?? field.oneOf ?? [];
  const nested = (field: SchemaNode): SchemaNode | undefined =>
    field.properties ? field : field.items?.properties ? field.items : variants(field).find((v) => v.properties);
  return (
    <table>
      <thead>
        <tr>
          <th scope="col">field</th>
          <th scope="col">type</th>
          <th scope="col">notes</th>
        </tr>
      </thead>
      <tbody>
        {Object.entries(object.properties).map(([name, field]) => {
          const inner = nested(field);
          const notes = constraints(field);
          return (
            <tr>
              <td>
                <code>{name}</code>
                {object.required?.includes(name) ? <span class="req"> required</span> : null}
              </td>
              <td>{typeOf(field)}</td>
              <td>
                {field.description ? (
                  <div>
                    <Inline text={field.description} />
                  </div>
                ) : null}
                {notes.length ? <div class="muted">{notes.join('; ')}</div> : null}
                {inner ? <SchemaView schema={inner} depth={depth + 1} /> : null}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

function Media({
  content,
  components,
  inline = true,
}: {
  content: Record<string, MediaNode> | undefined;
  components: Record<string, SchemaNode>;
  /** Draw a named schema in place; errors, all ErrorBody, only link to it. */
  inline?: boolean;
}) {
  if (!content) return null;
  /** A named schema is drawn in place (with a link to it under Schemas); its own references stay links. */
  const shown = (schema: SchemaNode) => {
    const target = schema.$ref ? components[refName(schema.$ref)] : undefined;
    if (!target) return <SchemaView schema={schema} />;
    if (!inline)
      return (
        <p>
          schema <a href={`#schema-${refName(schema.$ref!)}`}>{refName(schema.$ref!)}</a>
        </p>
      );
    return (
      <>
        <p>
          schema <a href={`#schema-${refName(schema.$ref!)}`}>{refName(schema.$ref!)}</a>
          {target.description ? (
            <>
              {' · '}
              <Inline text={target.description} />
            </>
          ) : null}
        </p>
        <SchemaView schema={{ ...target, description: undefined }} />
      </>
    );
  };
  return (
    <>
      {Object.entries(content).map(([type, media]) => (
        <div>
          <div class="muted">
            <code>{type}</code>
          </div>
          {media.schema ? shown(media.schema) : null}
          {Object.entries(media.examples ?? {}).map(([name, example]) => (
            <details>
              <summary>example: {example.summary ?? name}</summary>
              <pre>{typeof example.value === 'string' ? example.value : JSON.stringify(example.value, null, 2)}</pre>
            </details>
          ))}
        </div>
      ))}
    </>
  );
}

function Operation({
  method,
  path,
  op,
  components,
}: {
  method: string;
  path: string;
  op: OperationNode;
  components: Record<string, SchemaNode>;
}) {
  const scopes = (op.security ?? []).flatMap((requirement) => Object.values(requirement).flat());
  return (
    <section class="op" id={op.operationId} aria-labelledby={`${op.operationId}-title`}>
      <h3 id={`${op.operationId}-title`}>
        <span class={`method ${method}`}>{method.toUpperCase()}</span>
        <span class="path">{path}</span>
      </h3>
      <p>
        <strong>{op.summary}</strong>
        {scopes.length ? <span class="muted"> · key scope {scopes.join(', ')}</span> : null}
      </p>
      <Prose text={op.description} />
      {op.parameters?.length ? (
        <>
          <h4>Parameters</h4>
          <table>
            <thead>
              <tr>
                <th scope="col">name</th>
                <th scope="col">in</th>
                <th scope="col">type</th>
                <th scope="col">notes</th>
              </tr>
            </thead>
            <tbody>
              {op.parameters.map((p) => (
                <tr>
                  <td>
                    <code>{p.name}</code>
                    {p.required ? <span class="req"> required</span> : null}
                  </td>
                  <td>{p.in}</td>
                  <td>{p.schema ? typeOf(p.schema) : 'string'}</td>
                  <td>
                    <Inline text={p.description} />
                    {p.schema && constraints(p.schema).length ? (
                      <div class="muted">{constraints(p.schema).join('; ')}</div>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      ) : null}
      {op.requestBody ? (
        <>
          <h4>Request body{op.requestBody.required ? '' : ' (optional)'}</h4>
          <Prose text={op.requestBody.description} />
          <Media content={op.requestBody.content} components={components} />
        </>
      ) : null}
      <h4>Responses</h4>
      {Object.entries(op.responses ?? {}).map(([status, response]) => (
        <details open={Number(status) < 300}>
          <summary>
            <span class="status">{status}</span> <Inline text={response.description} />
          </summary>
          {response.headers
            ? Object.entries(response.headers).map(([name, header]) => (
                <p class="muted">
                  header <code>{name}</code>: <Inline text={header.description} />
                </p>
              ))
            : null}
          <Media content={response.content} components={components} inline={Number(status) < 400} />
        </details>
      ))}
    </section>
  );
}

export function ApiReferencePage({ doc, nonce }: { doc: ReferenceDocument; nonce: string }) {
  const operations = Object.entries(doc.paths ?? {}).flatMap(([path, item]) =>
    METHODS.flatMap((method) => (item?.[method] ? [{ method, path, op: item[method]! }] : [])),
  );
  const tagNames = [
    ...(doc.tags ?? []).map((t) => t.name),
    ...new Set(operations.flatMap((o) => o.op.tags ?? []).filter((t) => !doc.tags?.some((d) => d.name === t))),
  ];
  const byTag = tagNames
    .map((tag) => ({
      tag,
      description: doc.tags?.find((t) => t.name === tag)?.description,
      operations: operations.filter((o) => (o.op.tags ?? [])[0] === tag),
    }))
    .filter((group) => group.operations.length > 0);
  const anchor = (tag: string) => `tag-${tag.replace(/[^A-Za-z0-9]+/g, '-')}`;
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{`${doc.info.title} ${doc.info.version} · API reference`}</title>
        <style nonce={nonce}>{raw(STYLE)}</style>
      </head>
      <body>
        <a class="skip" href="#main">
          Skip to content
        </a>
        <div class="layout">
          <nav aria-label="Operations">
            <p>
              <strong>{doc.info.title}</strong> {doc.info.version}
            </p>
            <p>
              <a href="/openapi.json">openapi.json</a>
            </p>
            {byTag.map((group) => (
              <>
                <h2>
                  <a href={`#${anchor(group.tag)}`}>{group.tag}</a>
                </h2>
                <ul>
                  {group.operations.map(({ method, path, op }) => (
                    <li>
                      <a href={`#${op.operationId}`}>
                        <code>{method.toUpperCase()}</code> {path}
                      </a>
                    </li>
                  ))}
                </ul>
              </>
            ))}
            <h2>
              <a href="#schemas">Schemas</a>
            </h2>
          </nav>
          <main id="main">
            <h1>{doc.info.title} API reference</h1>
            <Prose text={doc.info.description} />
            {byTag.map((group) => (
              <section aria-labelledby={anchor(group.tag)}>
                <h2 id={anchor(group.tag)}>{group.tag}</h2>
                <Prose text={group.description} />
                {group.operations.map((o) => (
                  <Operation {...o} components={doc.components?.schemas ?? {}} />
                ))}
              </section>
            ))}
            <section aria-labelledby="schemas">
              <h2 id="schemas">Schemas</h2>
              {Object.entries(doc.components?.schemas ?? {}).map(([name, schema]) => (
                <div class="op" id={`schema-${name}`}>
                  <h3>{name}</h3>
                  <Prose text={schema.description} />
                  <SchemaView schema={schema} />
                </div>
              ))}
            </section>
          </main>
        </div>
      </body>
    </html>
  );
}
