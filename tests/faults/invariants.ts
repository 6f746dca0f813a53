/**
 * The six invariants of the proof, checked against the real database and what the sandboxes saw.
 *
 * 1. fast-track-make: no make command or ticket (an outbox MAKE_COMMAND row, a command that
 *    reached the Tmetr sandbox, a row of the tickets table) without an applied PAYMENT_OBSERVED `succeeded` within FAST_TRACK_LIMIT_S of
 *    the payment start (any time, with AUTO_FULFIL_WINDOW=order_lifetime as for tickets) and
 *    before expiry, for a payment the YooKassa sandbox really holds as succeeded, for the
 *    order's amount.
 * 2. one-make: at most one make command per order (one outbox row, one MAKE_ACCEPTED, every
 *    resend identical to it, at most one ticket).
 * 3. order-accounted: no order lost (every order a client was told about exists) or half-written
 *    (snapshot, projected columns, version, audit chain and outbox agree).
 * 4. terminal-next-check: every terminal order (indeed every order that is not pending) has
 *    next_check_at empty, in the column and in the snapshot.
 * 5. audit-replay: feeding each order's audit rows through core createOrder/decide, with the clock
 *    at each row's `at`, rebuilds the stored status and context, each row's from/to/applied, and
 *    exactly the order's outbox rows.
 * 6. money: the price never changes after creation (first audit row, snapshot, columns, what the
 *    client asked for, every make/refund effect, the provider payment); one provider payment per
 *    order; never refunded beyond the payment, and only for an order that asked for a refund.
 * 7. ledger (docs/architecture.md section 9, checked against each provider sandbox's own books, once a run has
 *    settled: `ledger: true`): per provider payment, what the provider captured and refunded
 *    equals what paystate recorded, and no money sits at a provider for an order paystate
 *    considers unpaid without an open review or alert:
 *    - money captured at the provider belongs to an order paystate has, under the payment id
 *      that order names, and that order is in a money state (paid, make_pending, successful,
 *      manual_make, make_failed, refunded) or in requires_manual_review or has a money alert;
 *    - an applied success paystate recorded is money the provider captured;
 *    - the provider refunded exactly the REFUND effects paystate completed (`done`) for that
 *      payment; more only while a refund of unknown outcome is visible (review or money alert)
 *      and covers the difference; never less.
 *    A "money alert" is an ALERT outbox row of any kind but `stuck` and
 *    `check_attempts_exhausted`, which say only that the provider did not answer.
 *
 * The world is read in one consistent cut: the device's log first (a command it received had its
 * outbox row committed before), then the database, then the provider's payments (a success the
 * database observed was a success at the provider before, and sandbox payments never leave it).
 */
import { isDeepStrictEqual } from 'node:util';
import Database from 'better-sqlite3';
import pg from 'pg';
import {
  createOrder,
  decide,
  isTerminal,
  ManualClock,
  parseOrderSnapshot,
  sameMoney,
  secondsBetween,
  type KeyedEffect,
  type LifecycleConfig,
  type Money,
  type NewOrder,
  type OrderContext,
  type OrderDecision,
  type OrderInput,
  type OrderStatus,
} from '@paystate/core';
import type { AuditRow, Store } from '@paystate/server';
import type { BookEntry, KeepsBooks, SandboxMakeCommand, SandboxPayment } from '@paystate/sandbox';

export const invariantNames = [
  'fast-track-make',
  'one-make',
  'order-accounted',
  'terminal-next-check',
  'audit-replay',
  'money',
  'ledger',
] as const;

export type InvariantName = (typeof invariantNames)[number];

export interface Violation {
  invariant: InvariantName;
  orderId: string | null;
  detail: string;
}

/** The projected columns of one orders row, as stored. */
export interface OrderColumns {
  id: string;
  status: string;
  nextCheckAt: string | null;
  priceMinor: number;
  currency: string;
  providerPaymentId: string | null;
  version: number;
  /** The raw snapshot JSON text. */
  snapshot: string;
}

export interface StoredOrder {
  id: string;
  /** Status and context as the Store API (or the snapshot) gives them. */
  status: OrderStatus;
  context: OrderContext;
  version: number;
  columns: OrderColumns;
}

export interface EffectRowView {
  id: number;
  key: string;
  orderId: string;
  kind: string;
  status: string;
  attempts: number;
  /** When the dispatcher may next claim it (ISO): a retried effect backs off up to 5 minutes. */
  nextAttemptAt: string;
  payload: unknown;
}

export type AuditView = Omit<AuditRow, 'id'> & { id: number };

/** One consistent cut of everything the invariants look at. */
export interface World {
  orders: StoredOrder[];
  events: Map<string, AuditView[]>;
  effects: EffectRowView[];
  /** Order ids of the rows of the tickets table (ticket sales), when the schema has one. */
  tickets: string[];
  device: { received: SandboxMakeCommand[]; made: Map<string, SandboxMakeCommand> };
  payments: SandboxPayment[];
  /** The books of every provider sandbox, read last (docs/architecture.md section 9). */
  books: BookEntry[];
}

export interface Sandboxes {
  tmetr: { received: readonly SandboxMakeCommand[]; made: ReadonlyMap<string, SandboxMakeCommand> };
  yookassa: { payments: ReadonlyMap<string, SandboxPayment> };
  /** Every provider sandbox whose books the ledger invariant reads (the YooKassa one at least). */
  providers: readonly KeepsBooks[];
}

/** Where the test database lives: a SQLite file, or a PostgreSQL database (tests/support/temp-db.ts). */
export interface DatabaseRef {
  backend: 'sqlite' | 'postgres';
  url: string;
  path: string | null;
}

export interface CheckOptions {
  config: LifecycleConfig;
  /** Orders a client was told were created (201), with the price it asked for: none may be missing. */
  expected?: ReadonlyMap<string, Money>;
  /**
   * Check the ledger (invariant 7). Only once a run has settled (faults healed, the clock moved
   * on, poll cycles and the dispatcher run until quiet): before that, money the provider took a
   * moment ago may rightly not be observed yet.
   */
  ledger?: boolean;
}

/** A row as either driver returns it: SQLite gives JSON as text and booleans as 0/1, PostgreSQL jsonb as objects and bigint ids as strings. */
interface RawOrderRow {
  id: string;
  status: string;
  next_check_at: string | null;
  price_minor: number;
  currency: string;
  provider_payment_id: string | null;
  version: number;
  snapshot: string | object;
}

interface RawEventRow {
  id: number | string;
  order_id: string;
  from_status: string | null;
  to_status: string;
  event: string;
  source: string;
  applied: number | boolean;
  at: string;
  payload: string | object;
}

interface RawEffectRow {
  id: number | string;
  key: string;
  order_id: string;
  kind: string;
  status: string;
  attempts: number;
  next_attempt_at: string | Date;
  payload: string | object;
}

interface RawRows {
  orders: RawOrderRow[];
  events: RawEventRow[];
  effects: RawEffectRow[];
  tickets: string[];
}

const jsonOf = (value: string | object): unknown => (typeof value === 'string' ? JSON.parse(value) : value);

function columnsOf(row: RawOrderRow): OrderColumns {
  return {
    id: row.id,
    status: row.status,
    nextCheckAt: row.next_check_at,
    priceMinor: Number(row.price_minor),
    currency: row.currency,
    providerPaymentId: row.provider_payment_id,
    version: Number(row.version),
    snapshot: typeof row.snapshot === 'string' ? row.snapshot : JSON.stringify(row.snapshot),
  };
}

function effectOf(row: RawEffectRow): EffectRowView {
  return {
    id: Number(row.id),
    key: row.key,
    orderId: row.order_id,
    kind: row.kind,
    status: row.status,
    attempts: Number(row.attempts),
    nextAttemptAt:
      row.next_attempt_at instanceof Date ? row.next_attempt_at.toISOString() : String(row.next_attempt_at),
    payload: jsonOf(row.payload),
  };
}

function eventOf(row: RawEventRow): AuditView {
  return {
    id: Number(row.id),
    orderId: row.order_id,
    from: row.from_status as OrderStatus | null,
    to: row.to_status as OrderStatus,
    event: row.event as AuditView['event'],
    source: row.source as AuditView['source'],
    at: row.at,
    applied: row.applied === 1 || row.applied === true,
    payload: jsonOf(row.payload) as Record<string, unknown>,
  };
}

function copyDevice(sandboxes: Sandboxes): World['device'] {
  return {
    received: sandboxes.tmetr.received.map((c) => ({ ...c })),
    made: new Map([...sandboxes.tmetr.made].map(([k, v]) => [k, { ...v }])),
  };
}

function copyPayments(sandboxes: Sandboxes): SandboxPayment[] {
  return [...sandboxes.yookassa.payments.values()].map((p) => ({
    ...p,
    amount: { ...p.amount },
    refunded: { ...p.refunded },
  }));
}

function copyBooks(sandboxes: Sandboxes): BookEntry[] {
  return sandboxes.providers.flatMap((provider) => provider.books());
}

const ORDER_COLUMNS = 'id, status, next_check_at, price_minor, currency, provider_payment_id, version, snapshot';
const EVENT_COLUMNS = 'id, order_id, from_status, to_status, event, source, applied, at, payload';
const EFFECT_COLUMNS = 'id, key, order_id, kind, status, attempts, next_attempt_at, payload';

/** The small read-only query helper for SQLite: one read transaction, one snapshot of the file even while another process writes to it. */
function readSqlite(dbPath: string, withEvents: boolean): RawRows {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    return db.transaction(() => {
      const table = db.prepare("select name from sqlite_master where type = 'table' and name = 'tickets'").get();
      return {
        orders: db.prepare(`select ${ORDER_COLUMNS} from orders`).all() as RawOrderRow[],
        events: withEvents
          ? (db.prepare(`select ${EVENT_COLUMNS} from order_events order by id`).all() as RawEventRow[])
          : [],
        effects: db.prepare(`select ${EFFECT_COLUMNS} from effects order by id`).all() as RawEffectRow[],
        tickets: table
          ? (db.prepare('select order_id from tickets order by rowid').all() as Array<{ order_id: string }>).map(
              (r) => r.order_id,
            )
          : [],
      };
    })();
  } finally {
    db.close();
  }
}

/** The same rows from PostgreSQL, in one read-only REPEATABLE READ transaction (one snapshot). */
async function readPostgres(url: string, withEvents: boolean): Promise<RawRows> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('begin isolation level repeatable read read only');
    const rows = async <T>(sql: string) => (await client.query(sql)).rows as T[];
    const hasTickets = (await rows<{ t: string | null }>("select to_regclass('tickets')::text as t"))[0]?.t != null;
    const raw: RawRows = {
      orders: await rows<RawOrderRow>(`select ${ORDER_COLUMNS} from orders`),
      events: withEvents ? await rows<RawEventRow>(`select ${EVENT_COLUMNS} from order_events order by id`) : [],
      effects: await rows<RawEffectRow>(`select ${EFFECT_COLUMNS} from effects order by id`),
      tickets: hasTickets
        ? (await rows<{ order_id: string }>('select order_id from tickets order by issued_at, id')).map(
            (r) => r.order_id,
          )
        : [],
    };
    await client.query('commit');
    return raw;
  } finally {
    await client.end();
  }
}

function readRaw(db: DatabaseRef, withEvents: boolean): Promise<RawRows> {
  if (db.backend === 'postgres') return readPostgres(db.url, withEvents);
  if (db.path === null) throw new Error('a SQLite test database without a file');
  return Promise.resolve(readSqlite(db.path, withEvents));
}

/**
 * Reads the world of a server running in this process: orders and audit rows through the Store
 * API, the projected columns and the outbox read-only behind its back (SQLite file or
 * PostgreSQL). The model test reads only when idle, so the cut is consistent.
 */
export async function readWorld(store: Store, db: DatabaseRef, sandboxes: Sandboxes): Promise<World> {
  const device = copyDevice(sandboxes);
  const recordsPromise = store.listOrders({ limit: 1_000_000 });
  const raw = await readRaw(db, false);
  const columns = raw.orders.map(columnsOf);
  const effects = raw.effects.map(effectOf);
  const records = await recordsPromise;
  const eventLists = await Promise.all(records.map((r) => store.orderEvents(r.order.orderId)));
  const payments = copyPayments(sandboxes);
  const books = copyBooks(sandboxes);
  const byId = new Map(columns.map((c) => [c.id, c]));
  const orders: StoredOrder[] = [];
  const events = new Map<string, AuditView[]>();
  records.forEach((record, i) => {
    const id = record.order.orderId;
    const cols = byId.get(id);
    byId.delete(id);
    events.set(id, eventLists[i] ?? []);
    if (!cols) throw new Error(`order ${id} from the Store has no row in the database`);
    orders.push({ id, status: record.status, context: record.order, version: record.version, columns: cols });
  });
  if (byId.size > 0) throw new Error(`rows the Store did not list: ${[...byId.keys()].join(', ')}`);
  return { orders, events, effects, tickets: raw.tickets, device, payments, books };
}

function worldOf(raw: RawRows, device: World['device'], payments: SandboxPayment[], books: BookEntry[]): World {
  const events = new Map<string, AuditView[]>();
  for (const row of raw.events) {
    const list = events.get(row.order_id) ?? [];
    list.push(eventOf(row));
    events.set(row.order_id, list);
  }
  const orders = raw.orders.map((row): StoredOrder => {
    const cols = columnsOf(row);
    const snapshot = parseOrderSnapshot(cols.snapshot);
    return {
      id: row.id,
      status: row.status as OrderStatus,
      context: snapshot.state.context,
      version: cols.version,
      columns: cols,
    };
  });
  for (const order of orders) if (!events.has(order.id)) events.set(order.id, []);
  return { orders, events, effects: raw.effects.map(effectOf), tickets: raw.tickets, device, payments, books };
}

/** Reads the world of a database file another process writes (the crash loop), in one read transaction. */
export function readWorldFromFile(dbPath: string, sandboxes: Sandboxes): World {
  const device = copyDevice(sandboxes);
  const raw = readSqlite(dbPath, true);
  return worldOf(raw, device, copyPayments(sandboxes), copyBooks(sandboxes));
}

/** Reads the world of a database another process writes, on either backend, in one read transaction. */
export async function readWorldFromDatabase(db: DatabaseRef, sandboxes: Sandboxes): Promise<World> {
  const device = copyDevice(sandboxes);
  const raw = await readRaw(db, true);
  return worldOf(raw, device, copyPayments(sandboxes), copyBooks(sandboxes));
}

/** What the Tmetr sandbox receives for an outbox MAKE_COMMAND payload. */
function wireCommandOf(effect: Record<string, unknown>): SandboxMakeCommand | null {
  const price = effect.price as Money | undefined;
  if (typeof effect.orderId !== 'string' || !price) return null;
  return {
    device_id: String(effect.deviceId),
    order_id: effect.orderId,
    drink_id: String(effect.productId),
    size: String(effect.size),
    price_minor: price.amountMinor,
    currency: price.currency,
  };
}

interface Replay {
  /** The decision after each audit row (index-aligned with the rows). */
  decisions: OrderDecision[];
  effects: KeyedEffect[];
}

/** Rebuilds an order from its audit rows with the core alone; throws if a row cannot be replayed. */
function replay(rows: readonly AuditView[], config: LifecycleConfig): Replay {
  const [first, ...rest] = rows;
  if (!first) throw new Error('no audit rows');
  const clock = new ManualClock(first.at);
  const deps = { clock, config };
  let decision = createOrder(first.payload as unknown as NewOrder, deps);
  const decisions = [decision];
  const effects: KeyedEffect[] = [];
  for (const row of rest) {
    clock.set(row.at);
    decision = decide(decision.snapshot, { type: row.event, ...row.payload } as OrderInput, deps);
    decisions.push(decision);
    effects.push(...decision.effects);
  }
  return { decisions, effects };
}

const json = (value: unknown) => JSON.stringify(value);

/** Every violation of the six invariants in this world (empty when all hold). */
export function checkInvariants(world: World, options: CheckOptions): Violation[] {
  const { config } = options;
  const violations: Violation[] = [];
  const fail = (invariant: InvariantName, orderId: string | null, detail: string) =>
    violations.push({ invariant, orderId, detail });

  const ordersById = new Map(world.orders.map((o) => [o.id, o]));
  const effectsByOrder = new Map<string, EffectRowView[]>();
  for (const effect of world.effects) {
    const list = effectsByOrder.get(effect.orderId) ?? [];
    list.push(effect);
    effectsByOrder.set(effect.orderId, list);
    if (!ordersById.has(effect.orderId))
      fail('order-accounted', effect.orderId, `outbox row ${effect.key} for an order that does not exist`);
  }
  for (const orderId of world.events.keys()) {
    if (!ordersById.has(orderId)) fail('order-accounted', orderId, 'audit rows for an order that does not exist');
  }
  const paymentsByOrder = new Map<string, SandboxPayment[]>();
  for (const payment of world.payments) {
    if (payment.orderId === null) continue;
    const list = paymentsByOrder.get(payment.orderId) ?? [];
    list.push(payment);
    paymentsByOrder.set(payment.orderId, list);
  }
  const receivedByOrder = new Map<string, SandboxMakeCommand[]>();
  for (const command of world.device.received) {
    const list = receivedByOrder.get(command.order_id) ?? [];
    list.push(command);
    receivedByOrder.set(command.order_id, list);
    if (!ordersById.has(command.order_id))
      fail(
        'fast-track-make',
        command.order_id,
        'the device received a make command for an order paystate does not have',
      );
  }

  const ticketsByOrder = new Map<string, number>();
  for (const orderId of world.tickets) {
    ticketsByOrder.set(orderId, (ticketsByOrder.get(orderId) ?? 0) + 1);
    if (!ordersById.has(orderId)) fail('fast-track-make', orderId, 'a ticket for an order paystate does not have');
  }

  // 3. No order lost.
  for (const [orderId, price] of options.expected ?? []) {
    const order = ordersById.get(orderId);
    if (!order) fail('order-accounted', orderId, 'an order the client saw created is missing');
    else if (!sameMoney(order.context.price, price))
      fail('money', orderId, `asked for ${json(price)}, stored ${json(order.context.price)}`);
  }

  for (const order of world.orders) {
    const id = order.id;
    const rows = world.events.get(id) ?? [];
    const effects = effectsByOrder.get(id) ?? [];
    const { columns, context } = order;

    // 3. Not half-written: snapshot, projected columns, version and audit chain agree.
    let snapshotRevision = -1;
    try {
      const snapshot = parseOrderSnapshot(columns.snapshot);
      snapshotRevision = snapshot.revision;
      if (snapshot.state.value !== columns.status)
        fail('order-accounted', id, `status column ${columns.status}, snapshot ${snapshot.state.value}`);
      if (!isDeepStrictEqual(snapshot.state.context, context))
        fail('order-accounted', id, 'the Store context differs from the snapshot');
    } catch (error) {
      fail('order-accounted', id, `unreadable snapshot: ${String(error)}`);
    }
    if (order.status !== columns.status)
      fail('order-accounted', id, `Store status ${order.status}, column ${columns.status}`);
    if (columns.version !== snapshotRevision || order.version !== columns.version) {
      fail(
        'order-accounted',
        id,
        `version column ${columns.version}, Store ${order.version}, snapshot revision ${snapshotRevision}`,
      );
    }
    if (columns.nextCheckAt !== context.nextCheckAt)
      fail('order-accounted', id, `next_check_at column ${columns.nextCheckAt}, snapshot ${context.nextCheckAt}`);
    if (columns.providerPaymentId !== context.providerPaymentId)
      fail('order-accounted', id, 'provider_payment_id column differs from the snapshot');
    const first = rows[0];
    if (!first || first.event !== 'ORDER_CREATED' || first.from !== null || first.to !== 'created' || !first.applied) {
      fail('order-accounted', id, `the audit does not start with ORDER_CREATED (${json(first?.event)})`);
      continue;
    }
    if (rows.slice(1).some((r) => r.event === 'ORDER_CREATED'))
      fail('order-accounted', id, 'a second ORDER_CREATED row');
    const appliedCount = rows.slice(1).filter((r) => r.applied).length;
    if (appliedCount !== columns.version)
      fail('order-accounted', id, `${appliedCount} applied events but version ${columns.version}`);
    let at: OrderStatus = first.to;
    for (const row of rows.slice(1)) {
      if (row.from !== at)
        fail('order-accounted', id, `audit row ${row.id} (${row.event}) starts from ${row.from}, the order was ${at}`);
      if (!row.applied && row.to !== row.from)
        fail('order-accounted', id, `unapplied audit row ${row.id} claims ${row.from} -> ${row.to}`);
      at = row.to;
    }
    if (at !== columns.status) fail('order-accounted', id, `the audit ends at ${at}, the order is ${columns.status}`);

    // 4. Only pending orders have a next check; every terminal one has none.
    if (columns.status !== 'pending' && (columns.nextCheckAt !== null || context.nextCheckAt !== null)) {
      const terminal = isTerminal(columns.status as OrderStatus);
      fail(
        'terminal-next-check',
        id,
        `${terminal ? 'terminal ' : ''}${columns.status} order has next_check_at ${columns.nextCheckAt ?? context.nextCheckAt}`,
      );
    }

    // 5. The audit log replays to the stored state, row by row, and to exactly the stored outbox.
    let replayed: Replay | null = null;
    try {
      replayed = replay(rows, config);
    } catch (error) {
      fail('audit-replay', id, `the audit cannot be replayed: ${String(error)}`);
    }
    if (replayed) {
      replayed.decisions.forEach((decision, i) => {
        const row = rows[i]!;
        if (
          i > 0 &&
          (decision.audit.from !== row.from || decision.audit.to !== row.to || decision.audit.applied !== row.applied)
        ) {
          fail(
            'audit-replay',
            id,
            `row ${row.id} ${row.event}: stored ${row.from}->${row.to} applied=${row.applied}, replay ${decision.audit.from}->${decision.audit.to} applied=${decision.audit.applied}`,
          );
        }
      });
      const last = replayed.decisions.at(-1)!;
      if (last.status !== columns.status)
        fail('audit-replay', id, `replay ends in ${last.status}, stored ${columns.status}`);
      if (!isDeepStrictEqual(last.order, context))
        fail('audit-replay', id, `replayed context ${json(last.order)} != stored ${json(context)}`);
      if (last.snapshot.revision !== columns.version)
        fail('audit-replay', id, `replayed revision ${last.snapshot.revision}, stored version ${columns.version}`);
      const storedEffects = new Map(effects.map((e) => [e.key, e]));
      const replayedKeys = new Set<string>();
      for (const { key, effect } of replayed.effects) {
        replayedKeys.add(key);
        const stored = storedEffects.get(key);
        if (!stored) fail('audit-replay', id, `replay asks for effect ${key}, the outbox has no such row`);
        else if (!isDeepStrictEqual(stored.payload, JSON.parse(json(effect))))
          fail('audit-replay', id, `outbox row ${key} differs from the replayed effect`);
      }
      for (const key of storedEffects.keys())
        if (!replayedKeys.has(key)) fail('audit-replay', id, `outbox row ${key} that the replay does not ask for`);
      const replayedMakes = replayed.effects.filter((e) => e.effect.type === 'MAKE_COMMAND').length;
      if (replayedMakes > 1) fail('one-make', id, `the audit asks for ${replayedMakes} make commands`);
    }

    // 2. At most one make command per order.
    const makeRows = effects.filter((e) => e.kind === 'MAKE_COMMAND');
    if (makeRows.length > 1) fail('one-make', id, `${makeRows.length} MAKE_COMMAND outbox rows`);
    const accepted = rows.filter((r) => r.event === 'MAKE_ACCEPTED' && r.applied).length;
    if (accepted > 1) fail('one-make', id, `${accepted} applied MAKE_ACCEPTED rows`);
    const received = receivedByOrder.get(id) ?? [];
    const makeRow = makeRows[0];
    const tickets = ticketsByOrder.get(id) ?? 0;
    if (tickets > 1) fail('one-make', id, `${tickets} tickets`);
    if (tickets > 0 && !makeRow) fail('fast-track-make', id, 'a ticket without a make command in the outbox');
    if (received.length > 0) {
      const expected = makeRow ? wireCommandOf(makeRow.payload as Record<string, unknown>) : null;
      if (!expected)
        fail('fast-track-make', id, `the device received ${received.length} make command(s) but the outbox has none`);
      else if (received.some((c) => !isDeepStrictEqual(c, expected)))
        fail('one-make', id, 'the device received make commands that differ from the one in the outbox');
    }

    // 1. A make command only after an observed success on the fast track, for a real succeeded payment.
    if (makeRow || received.length > 0 || tickets > 0) {
      const started = rows.find((r) => r.event === 'PAYMENT_INITIATED' && r.applied);
      const success = rows.find((r) => r.event === 'PAYMENT_OBSERVED' && r.applied && r.to === 'paid');
      if (!started || !success)
        fail('fast-track-make', id, 'a make command without an applied payment start and an applied success');
      else {
        const observed = success.payload as { status?: string; amount?: Money };
        const elapsed = secondsBetween(started.at, success.at);
        if (observed.status !== 'succeeded')
          fail('fast-track-make', id, `the observation that made it paid says ${observed.status}`);
        // With AUTO_FULFIL_WINDOW=order_lifetime (tickets) any success before expiry fulfils (rule 2).
        if (config.AUTO_FULFIL_WINDOW === 'fast_track' && elapsed > config.FAST_TRACK_LIMIT_S) {
          fail(
            'fast-track-make',
            id,
            `success observed ${elapsed}s after the payment start (limit ${config.FAST_TRACK_LIMIT_S})`,
          );
        }
        if (Date.parse(success.at) >= Date.parse(context.expiresAt))
          fail('fast-track-make', id, 'success observed at or after expiry');
        if (!observed.amount || !sameMoney(observed.amount, context.price))
          fail('fast-track-make', id, `observed amount ${json(observed.amount)} is not the price`);
      }
      const payment = world.payments.find((p) => p.id === context.providerPaymentId);
      if (!payment)
        fail('fast-track-make', id, `a make command but the provider has no payment ${context.providerPaymentId}`);
      else if (payment.status !== 'succeeded')
        fail('fast-track-make', id, `a make command but the provider's payment is ${payment.status}`);
      else if (payment.orderId !== id)
        fail('fast-track-make', id, `the paid payment belongs to order ${payment.orderId}`);
    }

    // 6. Money never changes after creation.
    const createdPrice = (first.payload as { price?: Money }).price;
    if (!createdPrice || !sameMoney(createdPrice, context.price))
      fail('money', id, `created at ${json(createdPrice)}, now ${json(context.price)}`);
    if (columns.priceMinor !== context.price.amountMinor || columns.currency !== context.price.currency) {
      fail('money', id, `price columns ${columns.priceMinor} ${columns.currency}, snapshot ${json(context.price)}`);
    }
    for (const effect of effects) {
      const amount =
        (effect.payload as { price?: Money; amount?: Money }).price ?? (effect.payload as { amount?: Money }).amount;
      if (
        (effect.kind === 'MAKE_COMMAND' || effect.kind === 'REFUND') &&
        (!amount || !sameMoney(amount, context.price))
      ) {
        fail('money', id, `${effect.kind} carries ${json(amount)}, the price is ${json(context.price)}`);
      }
    }
    const payments = paymentsByOrder.get(id) ?? [];
    if (payments.length > 1) fail('money', id, `${payments.length} provider payments for one order`);
    for (const payment of payments) {
      if (!sameMoney(payment.amount, context.price))
        fail(
          'money',
          id,
          `provider payment ${payment.id} is for ${json(payment.amount)}, the price is ${json(context.price)}`,
        );
      if (payment.refunded.amountMinor > payment.amount.amountMinor)
        fail('money', id, `refunded ${payment.refunded.amountMinor} of ${payment.amount.amountMinor}`);
      if (payment.refunded.amountMinor > 0 && !effects.some((e) => e.kind === 'REFUND'))
        fail('money', id, 'money refunded at the provider for an order that never asked for a refund');
    }
    if (
      context.providerPaymentId !== null &&
      payments.length > 0 &&
      !payments.some((p) => p.id === context.providerPaymentId)
    ) {
      fail(
        'money',
        id,
        `the order names payment ${context.providerPaymentId}, the provider has ${payments.map((p) => p.id).join(', ')}`,
      );
    }
  }
  if (options.ledger) checkLedger(world, ordersById, effectsByOrder, fail);
  return violations;
}

/** Orders in these states hold the customer's money as paystate sees it (docs/architecture.md section 9). */
const MONEY_STATES: ReadonlySet<string> = new Set([
  'paid',
  'make_pending',
  'successful',
  'manual_make',
  'make_failed',
  'refunded',
]);
/** Alerts that say only that the provider did not answer: they tell an operator nothing about money found. */
const NO_MONEY_ALERTS: ReadonlySet<string> = new Set(['stuck', 'check_attempts_exhausted']);

/** 7. The ledger: each provider's own books against what paystate recorded. */
function checkLedger(
  world: World,
  ordersById: ReadonlyMap<string, StoredOrder>,
  effectsByOrder: ReadonlyMap<string, EffectRowView[]>,
  fail: (invariant: InvariantName, orderId: string | null, detail: string) => void,
): void {
  const effectsOf = (orderId: string) => effectsByOrder.get(orderId) ?? [];
  const moneyAlerts = (orderId: string) =>
    effectsOf(orderId).filter(
      (e) => e.kind === 'ALERT' && !NO_MONEY_ALERTS.has(String((e.payload as { kind?: unknown }).kind)),
    );
  /** The order is in front of an operator: in review, or a money alert went out for it. */
  const visible = (order: StoredOrder) => order.status === 'requires_manual_review' || moneyAlerts(order.id).length > 0;
  const refundsOf = (orderId: string, paymentId: string) =>
    effectsOf(orderId).filter(
      (e) => e.kind === 'REFUND' && (e.payload as { providerPaymentId?: unknown }).providerPaymentId === paymentId,
    );
  const sum = (effects: readonly EffectRowView[]) =>
    effects.reduce((total, e) => total + Number((e.payload as { amount?: Money }).amount?.amountMinor ?? 0), 0);
  const booksById = new Map(world.books.map((b) => [b.paymentId, b]));

  for (const entry of world.books) {
    const what = `provider payment ${entry.paymentId} (${entry.status})`;
    if (entry.refunded.amountMinor > entry.captured.amountMinor) {
      fail(
        'ledger',
        entry.reference,
        `${what} refunded ${entry.refunded.amountMinor} of ${entry.captured.amountMinor} captured`,
      );
    }
    const order = entry.reference === null ? undefined : ordersById.get(entry.reference);
    if (entry.captured.amountMinor > 0) {
      if (!order) {
        fail(
          'ledger',
          entry.reference,
          `${what} captured ${entry.captured.amountMinor} for an order paystate does not have`,
        );
        continue;
      }
      if (order.context.providerPaymentId !== entry.paymentId && !visible(order)) {
        fail(
          'ledger',
          order.id,
          `${what} captured ${entry.captured.amountMinor}, but the order names payment ${order.context.providerPaymentId ?? 'none'}: a payment paystate lost, with no review or alert`,
        );
      } else if (!MONEY_STATES.has(order.status) && !visible(order)) {
        fail(
          'ledger',
          order.id,
          `${what} captured ${entry.captured.amountMinor}, but the order is ${order.status}, with no review or money alert`,
        );
      }
    }
    if (!order) continue;
    const refunds = refundsOf(order.id, entry.paymentId);
    const done = sum(refunds.filter((e) => e.status === 'done'));
    const unresolved = sum(refunds.filter((e) => e.status !== 'done'));
    const refunded = entry.refunded.amountMinor;
    if (refunded < done) {
      fail(
        'ledger',
        order.id,
        `paystate recorded ${done} refunded on ${entry.paymentId}, the provider refunded ${refunded}`,
      );
    } else if (refunded > done && !(refunded - done <= unresolved && visible(order))) {
      fail(
        'ledger',
        order.id,
        `the provider refunded ${refunded} on ${entry.paymentId}, paystate recorded ${done} (${unresolved} of unknown outcome${visible(order) ? '' : ', no review or alert'})`,
      );
    }
  }

  // What paystate recorded as captured, the provider holds as captured.
  for (const order of world.orders) {
    const rows = world.events.get(order.id) ?? [];
    const success = rows.some(
      (r) =>
        r.applied &&
        r.event === 'PAYMENT_OBSERVED' &&
        (r.payload as { status?: unknown }).status === 'succeeded' &&
        r.to !== 'requires_manual_review',
    );
    const paymentId = order.context.providerPaymentId;
    if (!success || paymentId === null) continue;
    const entry = booksById.get(paymentId);
    if (!entry) fail('ledger', order.id, `paystate observed payment ${paymentId} succeed; no provider has it`);
    else if (entry.captured.amountMinor !== order.context.price.amountMinor) {
      fail(
        'ledger',
        order.id,
        `paystate observed payment ${paymentId} succeed for ${order.context.price.amountMinor}; the provider captured ${entry.captured.amountMinor}`,
      );
    }
  }
}

/** The SQLite file behind a test database (the damage tests copy and edit it). */
export function sqliteFile(db: { path: string | null }): string {
  if (db.path === null)
    throw new Error('this check edits a copy of the database file: run it on SQLite (PAYSTATE_TEST_BACKEND=sqlite)');
  return db.path;
}

export function formatViolations(violations: readonly Violation[]): string {
  return violations.map((v) => `[${v.invariant}] ${v.orderId ?? '-'}: ${v.detail}`).join('\n');
}
