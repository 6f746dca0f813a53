/**
 * The provider contract, shared by the seven tests/server/*-contract.test.ts suites.
 *
 * Modelled on Drizzle's integration tests: the shared suite lives in this one file, and each
 * provider's file sets up (how to build its sandbox and its adapter, what differs) and calls it.
 * `providerContract(spec)`, called inside the provider's describe, starts the sandbox on loopback
 * before each test, builds the adapter pointed at it (500 ms timeout, silent logger, a
 * ManualClock), tears both down after, registers the cases every provider owes, and returns the
 * live context the provider's own cases use. Every case is real HTTP over loopback against the
 * sandbox (@paystate/sandbox): nothing mocks fetch.
 *
 * `throughTheServer(spec)` is the same for the suites that drive a provider through the real
 * server (a sandbox, paystate on a real database, an order paid with that provider).
 */
import { Hono } from 'hono';
import { pino, type Logger } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ManualClock,
  type AlertKind,
  type Clock,
  type CreatePaymentInput,
  type CreatedPayment,
  type Money,
  type Notifier,
  type PaymentProvider,
  type RefundGuarantees,
  type WebhookAcknowledgement,
} from '@paystate/core';
import {
  OutboundHttpError,
  OutboundNetworkError,
  OutboundTimeoutError,
  RefundNotSupportedError,
  UnknownProviderStatusError,
  WebhookParseError,
} from '@paystate/server';
import { startOnLoopback, type BookEntry, type Fault, type FaultPlan, type LoopbackServer } from '@paystate/sandbox';
import { isTransientFailure } from '../../packages/server/src/outbound/failures.js';
import { startStack, type Stack } from './harness.js';

export const silent = pino({ level: 'silent' });

/** The error the call failed with; the test fails if the call succeeds. */
export async function failureOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail, it succeeded');
}

type ErrorClass = abstract new (...args: never[]) => Error;

/** What every sandbox offers: its Hono app (a recording front forwards to it), a fault plan, start(). */
export interface ContractSandbox {
  readonly app: Hono;
  readonly faults: FaultPlan;
  start(): Promise<LoopbackServer & { apiUrl?: string }>;
}

/** A payment provider's sandbox also keeps books: per payment, what was taken and given back. */
export interface PaymentSandbox extends ContractSandbox {
  books(): BookEntry[];
}

/** What the contract builds every adapter with; a test's overrides come on top. */
export interface AdapterBase {
  apiUrl: string;
  timeoutMs: number;
  logger: Logger;
  clock?: Clock;
}

/** An adapter's options as the contract hands them over: the base, then the test's overrides. */
export type AdapterOptions<C extends abstract new (...args: never[]) => unknown> = AdapterBase &
  Partial<ConstructorParameters<C>[0]>;

/** One request a recording front saw before the sandbox answered it. */
export interface Recorded {
  method: string;
  /** Path and query string. */
  path: string;
  headers: Headers;
  body: string;
}

/** One outbound call the adapter makes, for the shared fault cases. */
export interface ContractCall<S, A> {
  /** The adapter method, for test names. */
  name: string;
  /** The sandbox's fault route for it. */
  route: string;
  /** Sets the call up (a payment to ask about) and returns it; calling it again is a retry. */
  prepare(): Promise<(adapter: A) => Promise<unknown>>;
  /** What the provider did so far (payments, commands, drinks): a failed call changes none, one that goes through adds one to each. */
  effects?(sandbox: S): number[];
  /** What a call that goes through answers (toMatchObject). */
  answers?: object;
}

export interface WrongCredentials<O> {
  label: string;
  overrides: Partial<O>;
  /** The HTTP status of the refusal, where the provider answers with one. */
  status?: number;
  /** The adapter's error class for the refusal (an OutboundHttpError); OutboundHttpError itself by default. */
  refusal?: ErrorClass;
  /** What else the refusal says. */
  check?(error: unknown): void;
}

export interface RefundCase<S> {
  label: string;
  /** Puts the fresh (unpaid) payment where the case wants it. */
  setUp?(sandbox: S, id: string): unknown;
  refusal: ErrorClass;
  status?: number;
  /** What else the sandbox shows afterwards. */
  after?(sandbox: S, id: string): void;
}

export type RefundContract<S> =
  | {
      supported: false;
      /** What the error says about the way out (the manual route). */
      message?: RegExp;
    }
  | {
      supported: true;
      /** Partial refunds (else only the whole amount, anything less refused before any call). */
      partial: boolean;
      /** Makes a created payment paid in the sandbox. */
      pay(sandbox: S, id: string): unknown;
      /** How the adapter refuses a refund the provider refuses (too much, a key used up). */
      refusal: ErrorClass;
      refusalStatus?: number;
      /** Payments nobody paid, and how the refund of each is refused. */
      unpaid: RefundCase<S>[];
      /** What else the sandbox shows for a paid payment of which `refundedMinor` was given back. */
      shows?(sandbox: S, id: string, refundedMinor: number): void;
    };

/** What a payment provider declares and how its sandbox is driven; the shared payment cases follow from it. */
export interface PaymentContract<S, A> {
  /** The provider's payment input for an order; `amount` by default. */
  input(orderId: string, amount?: Money): CreatePaymentInput;
  /** What input() asks for by default. */
  amount: Money;
  /** The sandbox's fault route for the status read ('get' by default). */
  statusRoute?: string;
  /** What createPayment de-duplicates on; null: it does not (the order's one attempt is kept by paystate). */
  idempotentOn: 'idempotency key' | 'order id' | null;
  declares: {
    code: string;
    canQueryStatus: boolean;
    refundGuarantees: RefundGuarantees;
    webhookAcknowledgement?: WebhookAcknowledgement;
  };
  statuses: {
    /** Every status the provider documents, and what paystate reads it as. */
    table: readonly (readonly [string, string])[];
    set(sandbox: S, id: string, status: string): unknown;
    /** What the raw answer carries for the status. */
    raw?(status: string, id: string): object;
    /** Statuses the provider does not document; `force` writes one into the sandbox. */
    undocumented: readonly string[];
    force(sandbox: S, id: string, status: string): void;
  };
  /** A payment id the provider does not know, and how it says so. */
  unknownPayment: {
    id(ctx: { sandbox: S; adapter: A }): string | Promise<string>;
    status?: number;
    refusal?: ErrorClass;
  };
  amounts?: {
    /** An amount and what travels for it. */
    cases: readonly (readonly [Money, unknown])[];
    /** What travelled: read from the raw status answer, or from what the sandbox took in. */
    wire(raw: unknown, sandbox: S, id: string): unknown;
    /** The amount the sandbox recorded. */
    stored?(sandbox: S, id: string): Money;
  };
  refunds: RefundContract<S>;
  /** Providers with an OAuth-style access token: the sandbox's record of issued tokens. */
  accessToken?: {
    tokensIssued(sandbox: S): readonly unknown[];
    revoke(sandbox: S): void;
    ttlS: number;
  };
  /** Malformed webhook bodies beyond the ones every provider refuses (not JSON, empty, an array, null). */
  malformedWebhooks?: readonly (readonly [string, string])[];
}

export interface ContractSpec<S extends ContractSandbox, A, O extends AdapterBase, SO> {
  /** Names the shared cases. */
  name: string;
  /** A new sandbox (not started); `options` come from ctx.restart(). */
  sandbox(options?: SO): S;
  /** The adapter, from the contract's options (sandbox URL, 500 ms timeout, silent logger, clock, overrides). */
  adapterFor(options: O): A;
  /** Waits for what the sandbox still has in flight (its own deliveries) before the teardown closes it. */
  settle?(sandbox: S): Promise<void>;
  /** Outbound calls beyond createPayment and getPaymentStatus (which `payments` brings). */
  calls?: ContractCall<S, A>[];
  /** Credentials the provider refuses; tried on the first call. */
  wrongCredentials: WrongCredentials<O>[];
  payments?: PaymentContract<S & PaymentSandbox, A & PaymentProvider>;
}

/** The live set-up of the current test: the sandbox, its server, the adapter pointed at it. */
export class ContractContext<S, A, O, SO> {
  sandbox!: S;
  server!: LoopbackServer;
  /** The sandbox's API base (with its path, e.g. /v3). */
  apiUrl = '';
  clock = new ManualClock(Date.now());
  /** The adapter with the contract's defaults. */
  adapter!: A;
  private open: LoopbackServer | undefined;
  private readonly extras: LoopbackServer[] = [];

  constructor(
    private readonly build: {
      sandbox(options?: SO): S & ContractSandbox;
      adapterFor(options: O): A;
      settle?(sandbox: S): Promise<void>;
    },
  ) {}

  /** Another adapter on the same sandbox, with these options changed. */
  adapterWith(overrides: Partial<O> | Partial<AdapterBase> = {}): A {
    return this.build.adapterFor({
      apiUrl: this.apiUrl,
      timeoutMs: 500,
      logger: silent,
      clock: this.clock,
      ...overrides,
    } as O);
  }

  /** Closes the server after the test. */
  closeAfter<T extends LoopbackServer>(server: T): T {
    this.extras.push(server);
    return server;
  }

  /** Serves an app on loopback until the test ends. */
  async serve(app: Hono): Promise<LoopbackServer> {
    return this.closeAfter(await startOnLoopback(app));
  }

  /** A recording front before the sandbox, and an adapter pointed at it. */
  async record(): Promise<{ seen: Recorded[]; url: string; adapter: A }> {
    const seen: Recorded[] = [];
    const sandbox = this.sandbox as S & ContractSandbox;
    const front = new Hono();
    front.all('*', async (c) => {
      const url = new URL(c.req.url);
      seen.push({
        method: c.req.method,
        path: url.pathname + url.search,
        headers: new Headers(c.req.raw.headers),
        body: await c.req.raw.clone().text(),
      });
      return sandbox.app.fetch(c.req.raw, c.env);
    });
    const { url } = await this.serve(front);
    const base = new URL(this.apiUrl).pathname.replace(/\/$/, '');
    return { seen, url, adapter: this.adapterWith({ apiUrl: `${url}${base}` }) };
  }

  /** Starts a new sandbox built with these options in place of the current one. */
  async restart(options?: SO): Promise<void> {
    await this.open?.close();
    const sandbox = this.build.sandbox(options);
    const server = await sandbox.start();
    this.sandbox = sandbox;
    this.server = this.open = server;
    this.apiUrl = server.apiUrl ?? server.url;
    this.adapter = this.adapterWith();
  }

  async stop(): Promise<void> {
    if (this.sandbox) await this.build.settle?.(this.sandbox);
    await Promise.all(this.extras.splice(0).map((extra) => extra.close()));
    await this.open?.close();
    this.open = undefined;
  }
}

const slug = (text: string) => text.replace(/[^A-Za-z0-9]+/g, '-');

/** Malformed webhook bodies every provider refuses. */
const MALFORMED_WEBHOOKS = [
  ['not JSON', '{'],
  ['empty', ''],
  ['a JSON array', '[]'],
  ['JSON null', 'null'],
] as const;

/**
 * Sets up and tears down the sandbox and the adapter around each test of the enclosing describe,
 * registers the shared cases, and returns the context for the provider's own.
 */
export function providerContract<S extends ContractSandbox, A, O extends AdapterBase, SO = never>(
  spec: ContractSpec<S, A, O, SO>,
): ContractContext<S, A, O, SO> {
  const ctx = new ContractContext<S, A, O, SO>(spec);
  beforeEach(async () => {
    ctx.clock = new ManualClock(Date.now());
    await ctx.restart();
  });
  afterEach(() => ctx.stop());

  const p = spec.payments;
  // The payment cases see the same context, typed as a payment provider's.
  const paying = ctx as unknown as ContractContext<S & PaymentSandbox, A & PaymentProvider, O, SO>;
  const calls = [...(p ? (paymentCalls(paying, p) as ContractCall<S, A>[]) : []), ...(spec.calls ?? [])];

  describe(`the provider contract (${spec.name})`, () => {
    for (const call of calls) outboundCallCases(ctx, call);
    wrongCredentialCases(ctx, calls[0]!, spec.wrongCredentials);
    if (p) paymentCases(paying, p);
  });
  return ctx;
}

function paymentCalls<S extends PaymentSandbox, A extends PaymentProvider, O, SO>(
  ctx: ContractContext<S, A, O, SO>,
  p: PaymentContract<S, A>,
): ContractCall<S, A>[] {
  return [
    {
      name: 'createPayment',
      route: 'create',
      prepare: async () => (adapter) => adapter.createPayment(p.input('order-call'), 'pay:order-call'),
      effects: (sandbox) => [sandbox.books().length],
    },
    {
      name: 'getPaymentStatus',
      route: p.statusRoute ?? 'get',
      prepare: async () => {
        const { providerPaymentId } = await ctx.adapter.createPayment(p.input('order-read'), 'pay:order-read');
        return (adapter) => adapter.getPaymentStatus(providerPaymentId);
      },
      answers: { status: 'pending' },
    },
  ];
}

/** Faults on one call: 5xx, a delay beyond the timeout, a reset, nobody listening. */
function outboundCallCases<S extends ContractSandbox, A, O, SO>(
  ctx: ContractContext<S, A, O, SO>,
  call: ContractCall<S, A>,
) {
  const effects = () => call.effects?.(ctx.sandbox) ?? [];
  const goesThrough = async (run: (adapter: A) => Promise<unknown>, before: number[]) => {
    const result = await run(ctx.adapter);
    if (call.answers) expect(result).toMatchObject(call.answers);
    expect(effects()).toEqual(before.map((n) => n + 1));
  };

  it.each([500, 502, 503])(
    `${call.name}: an injected HTTP %i -> transient OutboundHttpError for the calls it applies to, nothing done; then the call goes through`,
    async (status) => {
      const run = await call.prepare();
      const before = effects();
      ctx.sandbox.faults.inject(call.route, { status, times: 2 });
      for (let i = 0; i < 2; i += 1) {
        const error = await failureOf(run(ctx.adapter));
        expect(error).toBeInstanceOf(OutboundHttpError);
        expect((error as OutboundHttpError).status).toBe(status);
        expect((error as OutboundHttpError).isTransient).toBe(true);
        expect(isTransientFailure(error)).toBe(true);
      }
      expect(effects()).toEqual(before);
      await goesThrough(run, before);
    },
  );

  it(`${call.name}: an injected delay beyond a 200 ms client timeout -> OutboundTimeoutError (transient) within about the timeout; the fault is spent and the call goes through`, async () => {
    const run = await call.prepare();
    const before = effects();
    ctx.sandbox.faults.inject(call.route, { delayMs: 2000 });
    const started = performance.now();
    const error = await failureOf(run(ctx.adapterWith({ timeoutMs: 200 })));
    expect(error).toBeInstanceOf(OutboundTimeoutError);
    expect(isTransientFailure(error)).toBe(true);
    expect(performance.now() - started).toBeLessThan(800);
    expect(effects()).toEqual(before);
    await goesThrough(run, before);
  });

  it(`${call.name}: an injected connection reset -> OutboundNetworkError (transient), nothing done; then the call goes through`, async () => {
    const run = await call.prepare();
    const before = effects();
    ctx.sandbox.faults.inject(call.route, { reset: true });
    const error = await failureOf(run(ctx.adapter));
    expect(error).toBeInstanceOf(OutboundNetworkError);
    expect(isTransientFailure(error)).toBe(true);
    expect(effects()).toEqual(before);
    await goesThrough(run, before);
  });

  it(`${call.name}: a sandbox that is not listening -> OutboundNetworkError (transient)`, async () => {
    const run = await call.prepare();
    await ctx.server.close();
    const error = await failureOf(run(ctx.adapter));
    expect(error).toBeInstanceOf(OutboundNetworkError);
    expect(isTransientFailure(error)).toBe(true);
  });
}

function wrongCredentialCases<S extends ContractSandbox, A, O, SO>(
  ctx: ContractContext<S, A, O, SO>,
  call: ContractCall<S, A>,
  wrong: WrongCredentials<O>[],
) {
  if (wrong.length === 0) return;
  it.each(wrong)(
    `${call.name} with $label -> refused: OutboundHttpError, not transient, and nothing is done`,
    async ({ overrides, status, refusal, check }) => {
      const run = await call.prepare();
      const before = call.effects?.(ctx.sandbox);
      const error = await failureOf(run(ctx.adapterWith(overrides)));
      expect(error).toBeInstanceOf(OutboundHttpError);
      expect(error).toBeInstanceOf(refusal ?? OutboundHttpError);
      if (status !== undefined) expect((error as OutboundHttpError).status).toBe(status);
      expect((error as OutboundHttpError).isTransient).toBe(false);
      expect(isTransientFailure(error)).toBe(false);
      expect(call.effects?.(ctx.sandbox)).toEqual(before);
      check?.(error);
    },
  );
}

function paymentCases<S extends PaymentSandbox, A extends PaymentProvider, O, SO>(
  ctx: ContractContext<S, A, O, SO>,
  p: PaymentContract<S, A>,
) {
  const create = (orderId: string, amount?: Money, key = `pay:${orderId}`) =>
    ctx.adapter.createPayment(p.input(orderId, amount), key);
  const books = () => ctx.sandbox.books();
  const money = (amountMinor: number): Money => ({ amountMinor, currency: p.amount.currency });

  it('declares its code, whether it can be asked for a status, its refund guarantees and webhook acknowledgement', () => {
    const { code, canQueryStatus, refundGuarantees, webhookAcknowledgement } = ctx.adapter;
    expect({ code, canQueryStatus, refundGuarantees, webhookAcknowledgement }).toEqual(p.declares);
  });

  if (p.idempotentOn) {
    const onKey = p.idempotentOn === 'idempotency key';
    it(`createPayment is idempotent on the ${p.idempotentOn}: the same call again returns the same payment and creates no second one`, async () => {
      const first = await create('order-idem', undefined, 'pay:order-idem');
      expect(await create('order-idem', undefined, 'pay:order-idem')).toEqual(first);
      expect(books()).toHaveLength(1);
      const otherKey = await create('order-idem', undefined, 'another-key');
      if (onKey) expect(otherKey.providerPaymentId).not.toBe(first.providerPaymentId);
      else expect(otherKey).toEqual(first);
      expect(books()).toHaveLength(onKey ? 2 : 1);
      const otherOrder = await create('order-idem-2');
      expect(otherOrder.providerPaymentId).not.toBe(first.providerPaymentId);
      expect(books()).toHaveLength(onKey ? 3 : 2);
    });

    it.each([
      ['a timeout', { delayMs: 1500, afterEffect: true }, OutboundTimeoutError],
      ['an HTTP 500', { status: 500, afterEffect: true }, OutboundHttpError],
    ] as [string, Fault, ErrorClass][])(
      'an answer lost after the payment was made (%s): the retry finds that payment, and there is one',
      async (_label, fault, lost) => {
        ctx.sandbox.faults.inject('create', fault);
        const error = await failureOf(
          ctx.adapterWith({ timeoutMs: 200 }).createPayment(p.input('order-lost'), 'pay:order-lost'),
        );
        expect(error).toBeInstanceOf(lost);
        expect(isTransientFailure(error)).toBe(true);
        expect(books()).toHaveLength(1);
        const retried = await create('order-lost');
        expect(books().map((entry) => entry.paymentId)).toEqual([retried.providerPaymentId]);
      },
    );
  }

  it.each(p.statuses.table)('the provider status %s reads as %s, with the amount', async (status, expected) => {
    const { providerPaymentId } = await create(`order-${slug(status)}`);
    await p.statuses.set(ctx.sandbox, providerPaymentId, status);
    const report = await ctx.adapter.getPaymentStatus(providerPaymentId);
    expect(report.status).toBe(expected);
    expect(report.amount).toEqual(p.amount);
    if (p.statuses.raw) expect(report.raw).toMatchObject(p.statuses.raw(status, providerPaymentId));
  });

  it.each(p.statuses.undocumented)(
    'an undocumented status %j -> UnknownProviderStatusError, never guessed',
    async (status) => {
      const { providerPaymentId } = await create('order-odd', undefined, `pay:odd-${slug(status)}`);
      p.statuses.force(ctx.sandbox, providerPaymentId, status);
      await expect(ctx.adapter.getPaymentStatus(providerPaymentId)).rejects.toBeInstanceOf(UnknownProviderStatusError);
    },
  );

  it('a payment the provider does not know -> refused, not transient', async () => {
    const error = await failureOf(ctx.adapter.getPaymentStatus(await p.unknownPayment.id(ctx)));
    expect(error).toBeInstanceOf(OutboundHttpError);
    expect(error).toBeInstanceOf(p.unknownPayment.refusal ?? OutboundHttpError);
    if (p.unknownPayment.status !== undefined)
      expect((error as OutboundHttpError).status).toBe(p.unknownPayment.status);
    expect((error as OutboundHttpError).isTransient).toBe(false);
  });

  const amounts = p.amounts;
  if (amounts) {
    it.each(amounts.cases)('%o travels as %j and reads back as the same integer minor units', async (amount, wire) => {
      const { providerPaymentId } = await create(
        'order-amt',
        amount,
        `pay:amt-${amount.amountMinor}-${amount.currency}`,
      );
      if (amounts.stored) expect(amounts.stored(ctx.sandbox, providerPaymentId)).toEqual(amount);
      const report = await ctx.adapter.getPaymentStatus(providerPaymentId);
      expect(amounts.wire(report.raw, ctx.sandbox, providerPaymentId)).toEqual(wire);
      expect(report.amount).toEqual(amount);
      expect(Number.isInteger(report.amount.amountMinor)).toBe(true);
    });
  }

  refundCases(ctx, p, create, money);

  const token = p.accessToken;
  if (token) {
    describe('access token', () => {
      it('one token serves several calls, concurrent ones included; another adapter fetches its own', async () => {
        const { providerPaymentId } = await create('order-t1');
        await Promise.all([1, 2, 3].map(() => ctx.adapter.getPaymentStatus(providerPaymentId)));
        await create('order-t2');
        expect(token.tokensIssued(ctx.sandbox)).toHaveLength(1);
        const fresh = ctx.adapterWith();
        await Promise.all([1, 2, 3, 4].map(() => fresh.getPaymentStatus(providerPaymentId)));
        expect(token.tokensIssued(ctx.sandbox)).toHaveLength(2);
      });

      it('is renewed shortly before it expires, judged by the injected clock', async () => {
        const { providerPaymentId } = await create('order-t3');
        ctx.clock.advance(token.ttlS - 61);
        await ctx.adapter.getPaymentStatus(providerPaymentId);
        expect(token.tokensIssued(ctx.sandbox)).toHaveLength(1);
        ctx.clock.advance(2);
        await ctx.adapter.getPaymentStatus(providerPaymentId);
        expect(token.tokensIssued(ctx.sandbox)).toHaveLength(2);
      });

      it('a token the provider stopped honouring (401) is replaced once and the call succeeds', async () => {
        const { providerPaymentId } = await create('order-t4');
        token.revoke(ctx.sandbox);
        await expect(ctx.adapter.getPaymentStatus(providerPaymentId)).resolves.toMatchObject({ status: 'pending' });
        expect(token.tokensIssued(ctx.sandbox)).toHaveLength(2);
      });

      it('a failing token endpoint (503) -> transient error, nothing created; the next call fetches a token again', async () => {
        ctx.sandbox.faults.inject('token', { status: 503 });
        const error = await failureOf(create('order-t5'));
        expect((error as OutboundHttpError).isTransient).toBe(true);
        expect(books()).toHaveLength(0);
        await create('order-t5');
        expect(token.tokensIssued(ctx.sandbox)).toHaveLength(1);
        expect(books()).toHaveLength(1);
      });
    });
  }

  it.each([...MALFORMED_WEBHOOKS, ...(p.malformedWebhooks ?? [])])(
    'a webhook body that is %s -> WebhookParseError',
    (_label, body) => {
      expect(() => ctx.adapter.parseWebhook(body)).toThrow(WebhookParseError);
    },
  );
}

function refundCases<S extends PaymentSandbox, A extends PaymentProvider, O, SO>(
  ctx: ContractContext<S, A, O, SO>,
  p: PaymentContract<S, A>,
  create: (orderId: string, amount?: Money, key?: string) => Promise<CreatedPayment>,
  money: (amountMinor: number) => Money,
) {
  const r = p.refunds;
  const full = p.amount;

  if (!r.supported) {
    it('refund -> RefundNotSupportedError naming the provider, and nothing is sent to it', async () => {
      const { providerPaymentId } = await create('order-r');
      const { seen, adapter } = await ctx.record();
      const error = await failureOf(adapter.refund(providerPaymentId, full, 'refund-r'));
      expect(error).toBeInstanceOf(RefundNotSupportedError);
      expect((error as RefundNotSupportedError).provider).toBe(p.declares.code);
      if (r.message) expect((error as Error).message).toMatch(r.message);
      expect(seen).toEqual([]);
    });
    return;
  }
  const refunds = r;
  const byKey = p.declares.refundGuarantees.idempotencyKey;
  const refund = (id: string, amountMinor: number, key: string) => ctx.adapter.refund(id, money(amountMinor), key);
  async function paid(orderId: string): Promise<string> {
    const { providerPaymentId } = await create(orderId);
    await refunds.pay(ctx.sandbox, providerPaymentId);
    return providerPaymentId;
  }
  function book(id: string): BookEntry {
    const entry = ctx.sandbox.books().find((b) => b.paymentId === id);
    if (!entry) throw new Error(`the sandbox's books have no payment ${id}`);
    return entry;
  }
  function expectRefunded(id: string, refundedMinor: number) {
    expect(book(id).refunded).toEqual(money(refundedMinor));
    refunds.shows?.(ctx.sandbox, id, refundedMinor);
  }
  function expectRefused(error: unknown, refusal: ErrorClass, status: number | undefined) {
    expect(error).toBeInstanceOf(refusal);
    if (status !== undefined) expect((error as OutboundHttpError).status).toBe(status);
  }

  describe('refund', () => {
    it("refunds a paid payment in full: the provider's books show it given back", async () => {
      const id = await paid('order-r1');
      await refund(id, full.amountMinor, 'refund-r1');
      expectRefunded(id, full.amountMinor);
    });

    if (r.partial) {
      it('never beyond what was captured: a larger refund is refused, not transient, and nothing is refunded', async () => {
        const id = await paid('order-r2');
        const error = await failureOf(refund(id, full.amountMinor + 1, 'refund-r2'));
        expect(error).toBeInstanceOf(OutboundHttpError);
        expectRefused(error, r.refusal, r.refusalStatus);
        expect((error as OutboundHttpError).isTransient).toBe(false);
        expectRefunded(id, 0);
      });

      it('partial refunds add up to the captured amount and no further', async () => {
        const id = await paid('order-r3');
        const first = Math.ceil((full.amountMinor * 2) / 3);
        const rest = full.amountMinor - first;
        await refund(id, first, 'refund-r3-a');
        expectRefunded(id, first);
        await expect(refund(id, rest + 1, 'refund-r3-b')).rejects.toBeInstanceOf(r.refusal);
        await refund(id, rest, 'refund-r3-c');
        await expect(refund(id, 1, 'refund-r3-d')).rejects.toBeInstanceOf(r.refusal);
        expectRefunded(id, full.amountMinor);
      });
    } else {
      it('a partial refund -> RefundNotSupportedError naming the provider, before any refund call', async () => {
        const id = await paid('order-r2');
        const { seen, adapter } = await ctx.record();
        const error = await failureOf(adapter.refund(id, money(full.amountMinor - 1), 'refund-r2'));
        expect(error).toBeInstanceOf(RefundNotSupportedError);
        expect((error as RefundNotSupportedError).provider).toBe(p.declares.code);
        // It may read the payment (to know its amount); it asks for nothing.
        expect(seen.filter((request) => request.method !== 'GET')).toEqual([]);
        expectRefunded(id, 0);
      });
    }

    it(`an injected 500 on refund -> transient, nothing refunded; the retry with the same key refunds once`, async () => {
      const id = await paid('order-r4');
      const amountMinor = r.partial ? 50 : full.amountMinor;
      ctx.sandbox.faults.inject('refund', { status: 500 });
      const error = await failureOf(refund(id, amountMinor, 'refund-r4'));
      expect((error as OutboundHttpError).isTransient).toBe(true);
      expectRefunded(id, 0);
      await refund(id, amountMinor, 'refund-r4');
      expectRefunded(id, amountMinor);
      if (byKey) {
        await refund(id, amountMinor, 'refund-r4');
        expectRefunded(id, amountMinor);
      }
    });

    if (byKey) {
      it('the same idempotency key again is the same refund, not a second one; a new key is a new refund', async () => {
        const id = await paid('order-r5');
        // More than half: a second one does not fit.
        const amountMinor = r.partial ? Math.floor(full.amountMinor / 2) + 1 : full.amountMinor;
        await refund(id, amountMinor, 'refund-r5');
        await refund(id, amountMinor, 'refund-r5');
        expectRefunded(id, amountMinor);
        const error = await failureOf(refund(id, amountMinor, 'refund-r5-new'));
        expect(error).toBeInstanceOf(OutboundHttpError);
        expectRefused(error, r.refusal, r.refusalStatus);
        expectRefunded(id, amountMinor);
      });
    }

    it(`a refund whose answer was lost (timeout after the effect), retried with the same key, never refunds twice: ${
      byKey
        ? 'the provider knows the key, so the retry is that refund'
        : 'the retry is refused (nothing left), not transient'
    }`, async () => {
      const id = await paid('order-r6');
      ctx.sandbox.faults.inject('refund', { delayMs: 1500, afterEffect: true });
      await expect(ctx.adapterWith({ timeoutMs: 200 }).refund(id, full, 'refund-r6')).rejects.toBeInstanceOf(
        OutboundTimeoutError,
      );
      if (byKey) await refund(id, full.amountMinor, 'refund-r6');
      else
        expect(((await failureOf(refund(id, full.amountMinor, 'refund-r6'))) as OutboundHttpError).isTransient).toBe(
          false,
        );
      expectRefunded(id, full.amountMinor);
    });

    it.each(r.unpaid)('$label: a payment nobody paid cannot be refunded, and nothing is refunded', async (unpaid) => {
      const { providerPaymentId } = await create('order-r7');
      await unpaid.setUp?.(ctx.sandbox, providerPaymentId);
      const error = await failureOf(refund(providerPaymentId, full.amountMinor, 'refund-r7'));
      expectRefused(error, unpaid.refusal, unpaid.status);
      expect(book(providerPaymentId).refunded.amountMinor).toBe(0);
      unpaid.after?.(ctx.sandbox, providerPaymentId);
    });

    if (p.declares.refundGuarantees.readBack) {
      it('reads refunds back: getPaymentStatus reports what was refunded (0 before any refund)', async () => {
        const id = await paid('order-r8');
        expect((await ctx.adapter.getPaymentStatus(id)).refunded).toEqual(money(0));
        await refund(id, 1000, 'refund-r8-a');
        await refund(id, 50, 'refund-r8-b');
        expect((await ctx.adapter.getPaymentStatus(id)).refunded).toEqual(money(1050));
      });
    }
  });
}

/** Records the alerts the dispatcher raises. */
export class RecordingNotifier implements Notifier {
  readonly alerts: { kind: AlertKind; details: Record<string, unknown> }[] = [];
  async alert(kind: AlertKind, details: Record<string, unknown>): Promise<void> {
    this.alerts.push({ kind, details });
  }
  async notifyCustomer(): Promise<void> {}
}

export interface ServerSandbox extends ContractSandbox {
  start(): Promise<LoopbackServer & { apiUrl: string }>;
  settled(): Promise<void>;
}

export interface ThroughTheServer<S, P> {
  sandbox: S;
  server: LoopbackServer & { apiUrl: string };
  stack: Stack;
  notifier: RecordingNotifier;
  /** Creates a latte order for the provider and asks the server to pay it: the provider's payment. */
  order(): Promise<{ orderId: string; payment: P; confirmationUrl: string }>;
}

/**
 * A provider's sandbox and paystate on a real database of this run's backend, wired by settings
 * as in production, around each test of the enclosing describe.
 */
export function throughTheServer<S extends ServerSandbox, P>(spec: {
  /** The provider code an order names. */
  provider: string;
  price: Money;
  sandbox(): S;
  /** The settings that point paystate at the sandbox. */
  env(apiUrl: string): Record<string, string>;
  paymentFor(sandbox: S, orderId: string): P | undefined;
}): ThroughTheServer<S, P> {
  const deviceId = `dev-${spec.provider}`;
  const ctx = {
    async order() {
      const created = await ctx.stack.request<{ order_id: string }>('POST', '/v1/orders', {
        body: {
          device_id: deviceId,
          product_id: 'latte',
          product_name: 'Latte',
          size: 'M',
          price: spec.price.amountMinor,
          currency: spec.price.currency,
          provider: spec.provider,
        },
      });
      expect(created.status).toBe(201);
      const orderId = created.body.order_id;
      const paid = await ctx.stack.request<{ confirmation_url: string }>('POST', `/v1/orders/${orderId}/pay`);
      expect(paid.status).toBe(200);
      const payment = spec.paymentFor(ctx.sandbox, orderId);
      if (!payment) throw new Error(`no ${spec.provider} payment for the order`);
      return { orderId, payment, confirmationUrl: paid.body.confirmation_url };
    },
  } as ThroughTheServer<S, P>;

  beforeEach(async () => {
    ctx.sandbox = spec.sandbox();
    ctx.server = await ctx.sandbox.start();
    ctx.notifier = new RecordingNotifier();
    ctx.stack = await startStack({ notifier: ctx.notifier, env: spec.env(ctx.server.apiUrl) });
    await ctx.stack.createDevice(deviceId);
  });
  afterEach(async () => {
    await Promise.race([ctx.sandbox.settled(), new Promise((resolve) => setTimeout(resolve, 2000))]);
    await ctx.stack?.stop();
    await ctx.server.close();
  });
  return ctx;
}
