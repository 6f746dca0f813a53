/**
 * The invariant checker itself: silent on a healthy database, and each kind of damage a bug
 * could do is reported under the right invariant. Without this, a harness that reports
 * "violations: 0" could simply be blind.
 */
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lifecycleConfigOf } from '@paystate/server';
import type { BookEntry, SandboxMakeCommand, SandboxPayment } from '@paystate/sandbox';
import { startStack, waitFor, type Stack } from '../support/harness.js';
import {
  checkInvariants,
  readWorld,
  readWorldFromFile,
  sqliteFile,
  type InvariantName,
  type Sandboxes,
} from './invariants.js';

let stack: Stack;
let made: string;
let fresh: string;
let pending: string;
let done: string;
/** Paid, made, then refunded by an operator: the provider's books show the refund. */
let refunded: string;
let copies = 0;

beforeAll(async () => {
  stack = await startStack();
  stack.tmetr.resultCallbackUrl = undefined;
  await stack.createDevice('dev-1');
  fresh = (await stack.createOrder('dev-1')).order_id;
  pending = (await stack.createOrder('dev-1', { price: 990 })).order_id;
  await stack.pay(pending);
  made = (await stack.createOrder('dev-1', { price: 25_000 })).order_id;
  await stack.customerPays((await stack.pay(made)).paymentId);
  await stack.waitForStatus(made, 'make_pending', 5000);
  done = (await stack.createOrder('dev-1', { price: 100 })).order_id;
  await stack.customerPays((await stack.pay(done)).paymentId);
  await stack.waitForStatus(done, 'make_pending', 5000);
  expect((await stack.deviceReport('dev-1', done, 'made')).status).toBe(200);
  refunded = (await stack.createOrder('dev-1', { price: 4_200 })).order_id;
  await stack.customerPays((await stack.pay(refunded)).paymentId);
  await stack.waitForStatus(refunded, 'make_pending', 5000);
  expect((await stack.deviceReport('dev-1', refunded, 'made')).status).toBe(200);
  expect(
    (await stack.admin('POST', `/orders/${refunded}/actions`, { action: 'refund', operator: 'anna' })).status,
  ).toBe(200);
  await waitFor(
    () => stack.yookassa.paymentFor(refunded)!.refunded.amountMinor === 4_200,
    5000,
    'the refund at the provider',
  );
  await stack.settled();
  await waitFor(async () => (await stack.runtime.store.countPendingEffects()) === 0, 3000, 'an empty outbox');
});
afterAll(async () => {
  await stack?.stop();
});

const config = () => lifecycleConfigOf(stack.runtime.settings);

interface Changes {
  received?: SandboxMakeCommand[];
  payments?: (payments: SandboxPayment[]) => SandboxPayment[];
  /** Edits the provider's books only (what the ledger reads), not the payments the other invariants read. */
  books?: (books: BookEntry[]) => BookEntry[];
}

function sandboxes(changes: Changes = {}): Sandboxes {
  const payments = [...stack.yookassa.payments.values()].map((p) => ({
    ...p,
    amount: { ...p.amount },
    refunded: { ...p.refunded },
  }));
  const changed = changes.payments ? changes.payments(payments) : payments;
  const books = changes.books ? changes.books(stack.yookassa.books()) : stack.yookassa.books();
  return {
    tmetr: { received: changes.received ?? stack.tmetr.received, made: stack.tmetr.made },
    yookassa: { payments: new Map(changed.map((p, i) => [`${p.id}#${i}`, p])) },
    providers: [{ books: () => books }],
  };
}

const paymentOf = (orderId: string) => stack.yookassa.paymentFor(orderId)!.id;
/** The books with one payment's entry changed. */
const booksWith = (orderId: string, change: (entry: BookEntry) => BookEntry) => (books: BookEntry[]) =>
  books.map((b) => (b.paymentId === paymentOf(orderId) ? change(b) : b));
const minor = (amountMinor: number) => ({ amountMinor, currency: 'RUB' });

/** A copy of the live database with `damage` done to it, checked as the crash loop checks a file. */
async function damaged(
  damage: (db: Database.Database) => void,
  world: Sandboxes = sandboxes(),
): Promise<InvariantName[]> {
  const path = `${sqliteFile(stack.db)}.copy${(copies += 1)}`;
  const live = new Database(sqliteFile(stack.db), { readonly: true });
  await live.backup(path);
  live.close();
  const db = new Database(path);
  db.pragma('foreign_keys = OFF');
  damage(db);
  db.close();
  const violations = checkInvariants(readWorldFromFile(path, world), {
    config: config(),
    expected: expectedPrices(),
    ledger: true,
  });
  return [...new Set(violations.map((v) => v.invariant))].sort();
}

function expectedPrices() {
  return new Map([
    [fresh, { amountMinor: 15_000, currency: 'RUB' }],
    [pending, { amountMinor: 990, currency: 'RUB' }],
    [made, { amountMinor: 25_000, currency: 'RUB' }],
    [done, { amountMinor: 100, currency: 'RUB' }],
    [refunded, { amountMinor: 4_200, currency: 'RUB' }],
  ]);
}

const setSnapshot = (db: Database.Database, id: string, path: string, value: unknown) =>
  db
    .prepare(`update orders set snapshot = json_set(snapshot, '$.state.context.${path}', json(?)) where id = ?`)
    .run(JSON.stringify(value), id);

describe('the invariant checker', () => {
  it('finds nothing wrong with a healthy database, read through the Store or from the file', async () => {
    const live = await readWorld(stack.runtime.store, stack.db, sandboxes());
    expect(live.orders).toHaveLength(5);
    expect(live.books.length).toBe(4);
    expect(checkInvariants(live, { config: config(), expected: expectedPrices(), ledger: true })).toEqual([]);
    expect(await damaged(() => undefined)).toEqual([]);
  });

  it('fast-track-make: a command for an unpaid order, a success the provider never had, a late success', async () => {
    const rogue = {
      device_id: 'dev-1',
      order_id: fresh,
      drink_id: 'latte',
      size: 'M',
      price_minor: 15_000,
      currency: 'RUB',
    };
    expect(await damaged(() => undefined, sandboxes({ received: [...stack.tmetr.received, rogue] }))).toContain(
      'fast-track-make',
    );
    const forged = sandboxes({
      payments: (ps) => ps.map((p) => (p.orderId === made ? { ...p, status: 'pending' } : p)),
    });
    expect(await damaged(() => undefined, forged)).toEqual(['fast-track-make']);
    const late = await damaged((db) =>
      db
        .prepare(
          "update order_events set at = '2099-01-01T00:00:00.000Z' where order_id = ? and event = 'PAYMENT_OBSERVED'",
        )
        .run(made),
    );
    expect(late).toContain('fast-track-make');
  });

  it('fast-track-make: a ticket for an order nobody paid (when the schema has tickets)', async () => {
    const db = new Database(sqliteFile(stack.db), { readonly: true });
    const hasTickets = db.prepare("select name from sqlite_master where name = 'tickets'").get() !== undefined;
    db.close();
    if (!hasTickets) return;
    const ticket = await damaged((copy) =>
      copy
        .prepare(
          "insert into tickets (id, order_id, event_id, ticket_type, issued_at) values ('t-1', ?, 'e', 'adult', '2026-01-01T00:00:00.000Z')",
        )
        .run(pending),
    );
    expect(ticket).toEqual(['fast-track-make']);
  });

  it('one-make: a second make command in the outbox, a resend that differs', async () => {
    const second = await damaged((db) =>
      db
        .prepare(
          "insert into effects (key, order_id, kind, payload, status, attempts, next_attempt_at, created_at, updated_at) select key || '2', order_id, kind, payload, status, attempts, next_attempt_at, created_at, updated_at from effects where order_id = ? and kind = 'MAKE_COMMAND'",
        )
        .run(made),
    );
    expect(second).toContain('one-make');
    const first = stack.tmetr.received.find((c) => c.order_id === made)!;
    expect(
      await damaged(() => undefined, sandboxes({ received: [...stack.tmetr.received, { ...first, size: 'XL' }] })),
    ).toEqual(['one-make']);
  });

  it('order-accounted: a lost order, a status column that disagrees with the snapshot, a lost audit row', async () => {
    expect(await damaged((db) => db.prepare('delete from orders where id = ?').run(fresh))).toContain(
      'order-accounted',
    );
    expect(await damaged((db) => db.prepare("update orders set status = 'paid' where id = ?").run(pending))).toContain(
      'order-accounted',
    );
    const lostRow = await damaged((db) =>
      db.prepare('delete from order_events where id = (select max(id) from order_events where order_id = ?)').run(done),
    );
    expect(lostRow).toContain('order-accounted');
  });

  it('terminal-next-check: a finished order still scheduled for a check', async () => {
    const scheduled = await damaged((db) => {
      db.prepare("update orders set next_check_at = '2026-01-01T00:00:00.000Z' where id = ?").run(done);
      setSnapshot(db, done, 'nextCheckAt', '2026-01-01T00:00:00.000Z');
    });
    expect(scheduled).toContain('terminal-next-check');
  });

  it('audit-replay: a stored state the audit log does not lead to, an outbox row it never asked for', async () => {
    expect(await damaged((db) => setSnapshot(db, pending, 'productName', 'Something else'))).toEqual(['audit-replay']);
    const rewritten = await damaged((db) =>
      db
        .prepare(
          "update order_events set payload = json_set(payload, '$.status', 'canceled') where order_id = ? and event = 'PAYMENT_OBSERVED'",
        )
        .run(made),
    );
    expect(rewritten).toContain('audit-replay');
    const extra = await damaged((db) =>
      db
        .prepare(
          "insert into effects (key, order_id, kind, payload, status, attempts, next_attempt_at, created_at, updated_at) values (?, ?, 'ALERT', '{}', 'done', 1, '', '', '')",
        )
        .run(`${pending}:r9:alert:stuck`, pending),
    );
    expect(extra).toEqual(['audit-replay']);
  });

  it('money: a price changed after creation, a payment for another amount, two payments, a refund nobody asked for', async () => {
    const repriced = await damaged((db) => {
      db.prepare('update orders set price_minor = 1 where id = ?').run(pending);
      setSnapshot(db, pending, 'price', { amountMinor: 1, currency: 'RUB' });
    });
    expect(repriced).toContain('money');
    const other = sandboxes({
      payments: (ps) =>
        ps.map((p) => (p.orderId === pending ? { ...p, amount: { amountMinor: 1, currency: 'RUB' } } : p)),
    });
    expect(await damaged(() => undefined, other)).toEqual(['money']);
    const twice = sandboxes({ payments: (ps) => [...ps, { ...ps.find((p) => p.orderId === pending)!, id: 'second' }] });
    expect(await damaged(() => undefined, twice)).toEqual(['money']);
    const refunded = sandboxes({
      payments: (ps) => ps.map((p) => (p.orderId === done ? { ...p, refunded: { ...p.amount } } : p)),
    });
    expect(await damaged(() => undefined, refunded)).toEqual(['money']);
  });

  it('ledger: a payment paystate lost, money at the provider for an unpaid order or for no order', async () => {
    const lost: BookEntry = {
      paymentId: 'second-payment',
      reference: pending,
      amount: minor(990),
      captured: minor(990),
      refunded: minor(0),
      status: 'succeeded',
    };
    expect(await damaged(() => undefined, sandboxes({ books: (books) => [...books, lost] }))).toEqual(['ledger']);
    const unseen = sandboxes({ books: booksWith(pending, (b) => ({ ...b, captured: b.amount, status: 'succeeded' })) });
    expect(await damaged(() => undefined, unseen)).toEqual(['ledger']);
    const orphan: BookEntry = { ...lost, paymentId: 'orphan', reference: 'no-such-order' };
    expect(await damaged(() => undefined, sandboxes({ books: (books) => [...books, orphan] }))).toEqual(['ledger']);
    // The same money in front of an operator (a review, or an alert about money) is accounted for.
    const inReview = await damaged((db) => {
      db.prepare("update orders set status = 'requires_manual_review' where id = ?").run(pending);
    }, unseen);
    expect(inReview).not.toContain('ledger');
  });

  it('ledger: refunded at the provider beyond, or short of, what paystate recorded; a success the provider never captured', async () => {
    const twice = sandboxes({ books: booksWith(done, (b) => ({ ...b, refunded: b.captured })) });
    expect(await damaged(() => undefined, twice)).toEqual(['ledger']);
    const notPaidBack = sandboxes({ books: booksWith(refunded, (b) => ({ ...b, refunded: minor(0) })) });
    expect(await damaged(() => undefined, notPaidBack)).toEqual(['ledger']);
    const doubled = sandboxes({
      books: booksWith(refunded, (b) => ({
        ...b,
        captured: minor(8_400),
        amount: minor(8_400),
        refunded: minor(8_400),
      })),
    });
    expect(await damaged(() => undefined, doubled)).toContain('ledger');
    // paystate believes the refund failed for good, yet the provider paid it out, and nobody was told.
    const failedYetPaid = await damaged((db) =>
      db.prepare("update effects set status = 'failed' where order_id = ? and kind = 'REFUND'").run(refunded),
    );
    expect(failedYetPaid).toEqual(['ledger']);
    const neverCaptured = sandboxes({ books: booksWith(made, (b) => ({ ...b, captured: minor(0) })) });
    expect(await damaged(() => undefined, neverCaptured)).toEqual(['ledger']);
  });
});
