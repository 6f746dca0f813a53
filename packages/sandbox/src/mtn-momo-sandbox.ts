import { randomBytes, timingSafeEqual } from 'node:crypto';
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { fromDecimalString, toDecimalString, type Money } from '@paystate/core';
import { FaultPlan, faultSchema } from './faults.js';
import { deliver, InFlight, type Delivery } from './notify.js';
import { bookEntry, type BookEntry, type KeepsBooks } from './books.js';
import { startOnLoopback, type LoopbackServer } from './serve.js';

export type MomoSandboxStatus = 'PENDING' | 'SUCCESSFUL' | 'FAILED';

export interface MomoSandboxRequest {
  referenceId: string;
  status: MomoSandboxStatus;
  amount: Money;
  externalId: string;
  payer: { partyIdType: string; partyId: string };
  payerMessage: string;
  payeeNote: string;
  callbackUrl: string | null;
  financialTransactionId: string | null;
  reason: string | null;
  createdAt: string;
}

export interface MtnMomoSandboxOptions {
  subscriptionKey: string;
  apiUser: string;
  apiKey: string;
  /** The X-Target-Environment every call must name (default "sandbox"). */
  targetEnvironment?: string;
  /** Lifetime of issued access tokens, seconds (MoMo: 3600). */
  tokenTtlS?: number;
}

const requestToPaySchema = z.object({
  amount: z.string(),
  currency: z.string().regex(/^[A-Z]{3}$/),
  externalId: z.string().min(1),
  payer: z.object({ partyIdType: z.enum(['MSISDN', 'EMAIL', 'PARTY_CODE']), partyId: z.string().min(1) }),
  payerMessage: z.string().max(160).optional(),
  payeeNote: z.string().max(160).optional(),
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * An MTN MoMo Collection twin: access tokens under Basic auth and the subscription key,
 * request-to-pay keyed by X-Reference-Id (202, 409 on a repeated reference), status reads,
 * unsigned callbacks to X-Callback-Url, and faults on demand. It checks every auth header.
 */
export class MtnMomoSandbox implements KeepsBooks {
  readonly app = new Hono();
  readonly faults = new FaultPlan();
  readonly requests = new Map<string, MomoSandboxRequest>();
  readonly deliveries: Delivery[] = [];
  /** Every token the sandbox issued (one per successful token call). */
  readonly tokensIssued: string[] = [];
  /** Every request-to-pay POST that passed auth, repeats included. */
  readonly requestToPayCalls: string[] = [];
  /** The environment of the token call and of every API call seen, for header checks. */
  readonly targetEnvironmentsSeen: string[] = [];
  private readonly tokens = new Map<string, number>();
  private readonly inFlight = new InFlight();

  constructor(private readonly options: MtnMomoSandboxOptions) {
    this.routes();
  }

  start(port = 0): Promise<LoopbackServer> {
    return startOnLoopback(this.app, port);
  }

  request(referenceId: string): MomoSandboxRequest {
    const found = this.requests.get(referenceId);
    if (!found) throw new Error(`momo sandbox has no request-to-pay ${referenceId}`);
    return found;
  }

  /** Moves a request as the payer's phone would and (by default) calls back its X-Callback-Url. */
  async setStatus(referenceId: string, status: MomoSandboxStatus, notify = true): Promise<boolean> {
    const found = this.request(referenceId);
    found.status = status;
    if (status === 'SUCCESSFUL') found.financialTransactionId ??= String(Math.floor(Math.random() * 1e9));
    found.reason = status === 'FAILED' ? 'APPROVAL_REJECTED' : null;
    return notify ? this.notify(referenceId) : false;
  }

  /** Sends the callback MoMo sends: the request-to-pay as GET shows it, unsigned. */
  notify(referenceId: string, body: unknown = this.requestJson(this.request(referenceId))): Promise<boolean> {
    const url = this.request(referenceId).callbackUrl;
    if (!url) return Promise.resolve(false);
    const sending = deliver(url, body, this.deliveries);
    this.inFlight.track(sending);
    return sending;
  }

  /** The provider's books (docs/architecture.md section 9): captured once SUCCESSFUL; this sandbox takes no refunds. */
  books(): BookEntry[] {
    return [...this.requests.values()].map((r) =>
      bookEntry(r.referenceId, r.externalId, r.amount, r.status === 'SUCCESSFUL', 0, r.status),
    );
  }

  async settled(): Promise<void> {
    await this.inFlight.settled();
  }

  /** Invalidates every issued token: the next API call answers 401 as for an expired token. */
  revokeTokens(): void {
    this.tokens.clear();
  }

  requestJson(found: MomoSandboxRequest) {
    return {
      amount: toDecimalString(found.amount),
      currency: found.amount.currency,
      ...(found.financialTransactionId ? { financialTransactionId: found.financialTransactionId } : {}),
      externalId: found.externalId,
      payer: found.payer,
      payerMessage: found.payerMessage,
      payeeNote: found.payeeNote,
      status: found.status,
      ...(found.reason ? { reason: found.reason } : {}),
    };
  }

  private routes(): void {
    this.app.post('/collection/token/', async (c) => {
      if (!this.subscribed(c)) return subscriptionError(c);
      if (!this.basicAuthorised(c.req.header('authorization'))) return c.json({ error: 'login_failed' }, 401);
      const injected = await this.faults.apply('token', c);
      if (injected) return injected;
      const token = randomBytes(24).toString('base64url');
      const ttlS = this.options.tokenTtlS ?? 3600;
      this.tokens.set(token, Date.now() + ttlS * 1000);
      this.tokensIssued.push(token);
      return c.json({ access_token: token, token_type: 'access_token', expires_in: ttlS });
    });

    const api = new Hono();
    api.use('*', async (c, next) => {
      if (!this.subscribed(c)) return subscriptionError(c);
      const bearer = /^Bearer (.+)$/.exec(c.req.header('authorization') ?? '')?.[1];
      const expires = bearer ? this.tokens.get(bearer) : undefined;
      if (!expires || expires <= Date.now())
        return c.json({ code: 'UNAUTHORIZED', message: 'access token missing, invalid or expired' }, 401);
      const environment = c.req.header('x-target-environment') ?? '';
      this.targetEnvironmentsSeen.push(environment);
      if (environment !== (this.options.targetEnvironment ?? 'sandbox')) {
        return momoError(c, 400, 'NOT_ALLOWED_TARGET_ENVIRONMENT', 'Access to target environment is forbidden');
      }
      await next();
    });

    api.post('/requesttopay', async (c) => {
      const injected = await this.faults.apply('create', c);
      if (injected) return injected;
      const referenceId = c.req.header('x-reference-id') ?? '';
      if (!UUID.test(referenceId)) return momoError(c, 400, 'INVALID_REFERENCE_ID', 'X-Reference-Id must be a UUID');
      this.requestToPayCalls.push(referenceId.toLowerCase());
      if (this.requests.has(referenceId.toLowerCase())) {
        return momoError(c, 409, 'RESOURCE_ALREADY_EXIST', 'Duplicated reference id. Creation of resource failed.');
      }
      const parsed = requestToPaySchema.safeParse(await c.req.json().catch(() => null));
      if (!parsed.success) return momoError(c, 400, 'INVALID_INPUT', parsed.error.issues[0]?.message ?? 'bad request');
      const amount = moneyOf(parsed.data.amount, parsed.data.currency);
      if (!amount || amount.amountMinor <= 0)
        return momoError(c, 400, 'INVALID_AMOUNT', 'amount is not a valid amount in its currency');
      this.requests.set(referenceId.toLowerCase(), {
        referenceId: referenceId.toLowerCase(),
        status: 'PENDING',
        amount,
        externalId: parsed.data.externalId,
        payer: parsed.data.payer,
        payerMessage: parsed.data.payerMessage ?? '',
        payeeNote: parsed.data.payeeNote ?? '',
        callbackUrl: c.req.header('x-callback-url') ?? null,
        financialTransactionId: null,
        reason: null,
        createdAt: new Date().toISOString(),
      });
      return (await this.faults.applyAfterEffect('create', c)) ?? c.body(null, 202);
    });

    api.get('/requesttopay/:referenceId', async (c) => {
      const injected = await this.faults.apply('get', c);
      if (injected) return injected;
      const found = this.requests.get(c.req.param('referenceId').toLowerCase());
      if (!found) return momoError(c, 404, 'RESOURCE_NOT_FOUND', 'Requested resource was not found.');
      return c.json(this.requestJson(found));
    });

    this.app.route('/collection/v1_0', api);

    this.app.post('/__sandbox/requests/:referenceId/status', async (c) => {
      const body = z
        .object({ status: z.enum(['PENDING', 'SUCCESSFUL', 'FAILED']), notify: z.boolean().default(true) })
        .safeParse(await c.req.json().catch(() => null));
      const referenceId = c.req.param('referenceId').toLowerCase();
      if (!body.success || !this.requests.has(referenceId))
        return momoError(c, 400, 'INVALID_INPUT', 'unknown request or status');
      await this.setStatus(referenceId, body.data.status, body.data.notify);
      return c.json(this.requestJson(this.request(referenceId)));
    });
    this.app.post('/__sandbox/faults/:route', async (c) => {
      const fault = faultSchema.safeParse(await c.req.json().catch(() => null));
      if (!fault.success) return momoError(c, 400, 'INVALID_INPUT', 'bad fault');
      this.faults.inject(c.req.param('route'), fault.data);
      return c.json({ ok: true });
    });
  }

  private subscribed(c: Context): boolean {
    return safeEqual(c.req.header('ocp-apim-subscription-key') ?? '', this.options.subscriptionKey);
  }

  private basicAuthorised(header: string | undefined): boolean {
    return safeEqual(
      header ?? '',
      `Basic ${Buffer.from(`${this.options.apiUser}:${this.options.apiKey}`).toString('base64')}`,
    );
  }
}

function safeEqual(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function moneyOf(value: string, currency: string): Money | null {
  try {
    return fromDecimalString(value, currency);
  } catch {
    return null;
  }
}

function subscriptionError(c: Context): Response {
  return c.json(
    {
      statusCode: 401,
      message:
        'Access denied due to invalid subscription key. Make sure to provide a valid key for an active subscription.',
    },
    401,
  );
}

function momoError(c: Context, status: number, code: string, message: string): Response {
  return c.json({ code, message }, status as 400);
}
