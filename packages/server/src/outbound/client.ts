import type { Logger } from 'pino';
import { request } from 'undici';
import type { ZodType } from 'zod';
import { maskPersonalData } from '../secrets/personal-data.js';

/** No answer within the deadline: the call may or may not have taken effect on the other side. */
export class OutboundTimeoutError extends Error {
  override readonly name = 'OutboundTimeoutError';
}

/** The connection failed or broke before an answer arrived. */
export class OutboundNetworkError extends Error {
  override readonly name = 'OutboundNetworkError';
}

/** The other side answered with a non-2xx status. */
export class OutboundHttpError extends Error {
  override readonly name = 'OutboundHttpError';
  constructor(
    readonly status: number,
    readonly responseBody: string,
    service: string,
  ) {
    super(`${service} answered HTTP ${status}`);
  }

  /** 5xx, 429 and 408 may pass; any other 4xx is the other side's final word. */
  get isTransient(): boolean {
    return this.status >= 500 || this.status === 429 || this.status === 408;
  }
}

/** A 2xx answer whose body is not what the API documents: never guessed at. */
export class OutboundResponseError extends Error {
  override readonly name = 'OutboundResponseError';
}

export interface JsonClientOptions {
  /** Names the service in logs and errors, e.g. "yookassa". */
  service: string;
  baseUrl: string;
  timeoutMs: number;
  logger: Logger;
  /** Sent on every call and never logged; APIs that sign each body instead (T-Bank) have none. */
  authorization?: string;
}

export interface JsonCall {
  method: 'GET' | 'POST';
  path: string;
  body?: unknown;
  /** Sent as application/x-www-form-urlencoded instead of a JSON body (OAuth token endpoints). */
  form?: Record<string, string>;
  headers?: Record<string, string>;
  /** Top-level body or form fields logged as "[redacted]" (a merchant key sent in the body). */
  redactParams?: readonly string[];
}

/**
 * JSON over undici with one deadline per call (connect + headers + body). Logs the method,
 * path, request parameters, status and duration; the authorization header stays out of logs.
 */
export class JsonClient {
  private readonly baseUrl: string;

  constructor(private readonly options: JsonClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/$/, '');
  }

  async call<T>(call: JsonCall, schema: ZodType<T>): Promise<T> {
    const { service, timeoutMs, logger } = this.options;
    const started = performance.now();
    const log = { service, method: call.method, path: call.path, params: loggable(call) };
    const payload = encode(call);
    let status: number;
    let text: string;
    try {
      const response = await request(`${this.baseUrl}${call.path}`, {
        method: call.method,
        headers: {
          accept: 'application/json',
          ...(this.options.authorization === undefined ? {} : { authorization: this.options.authorization }),
          ...(payload ? { 'content-type': payload.contentType } : {}),
          ...call.headers,
        },
        body: payload?.body,
        signal: AbortSignal.timeout(timeoutMs),
      });
      status = response.statusCode;
      text = await response.body.text();
    } catch (error) {
      const elapsedMs = Math.round(performance.now() - started);
      if (isTimeout(error)) {
        logger.warn({ ...log, elapsedMs }, `${service} call timed out`);
        throw new OutboundTimeoutError(`${service} did not answer within ${timeoutMs} ms`);
      }
      logger.warn({ ...log, elapsedMs, reason: String(error) }, `${service} call failed`);
      throw new OutboundNetworkError(
        `${service} unreachable: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    logger.info({ ...log, status, elapsedMs: Math.round(performance.now() - started) }, `${service} call`);
    if (status < 200 || status > 299) throw new OutboundHttpError(status, text.slice(0, 2000), service);
    const parsed = schema.safeParse(text === '' ? undefined : safeJson(text));
    if (!parsed.success) {
      throw new OutboundResponseError(
        `${service} answered with an unexpected body: ${parsed.error.issues[0]?.message ?? ''}`,
      );
    }
    return parsed.data;
  }
}

function encode(call: JsonCall): { contentType: string; body: string } | null {
  if (call.form !== undefined) {
    return { contentType: 'application/x-www-form-urlencoded', body: new URLSearchParams(call.form).toString() };
  }
  if (call.body !== undefined) return { contentType: 'application/json', body: JSON.stringify(call.body) };
  return null;
}

function loggable(call: JsonCall): unknown {
  const params = maskPersonalData(call.body ?? call.form);
  if (!call.redactParams?.length || typeof params !== 'object' || params === null || Array.isArray(params))
    return params;
  const masked: Record<string, unknown> = { ...(params as Record<string, unknown>) };
  for (const key of call.redactParams) if (key in masked) masked[key] = '[redacted]';
  return masked;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function isTimeout(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error.name === 'TimeoutError' || error.name === 'AbortError') return true;
  const code = (error as { code?: unknown }).code;
  return code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT';
}
