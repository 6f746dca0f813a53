/**
 * The TicketStore on SQLite, on the order store's connection.
 *
 * Invariants:
 * - One ticket per order: the unique order_id decides (INSERT … ON CONFLICT DO NOTHING), never a
 *   check in code, so a repeated issue answers the ticket already there with `issued: false`.
 * - Statements are synchronous: nothing awaits the network between them.
 */
import { desc, eq } from 'drizzle-orm';
import { tickets } from '../db/schema.sqlite.js';
import type { SqliteDb } from '../db/connection.sqlite.js';
import type { Ticket, TicketStore } from './store.js';

export class SqliteTicketStore implements TicketStore {
  constructor(private readonly db: SqliteDb) {}

  async issue(ticket: Ticket) {
    const inserted = this.db
      .insert(tickets)
      .values(ticket)
      .onConflictDoNothing({ target: tickets.orderId })
      .returning()
      .get();
    if (inserted) return { ticket: inserted, issued: true };
    return { ticket: this.db.select().from(tickets).where(eq(tickets.orderId, ticket.orderId)).get()!, issued: false };
  }

  async markMailed(orderId: string, at: string) {
    this.db.update(tickets).set({ mailedAt: at }).where(eq(tickets.orderId, orderId)).run();
  }

  async byOrder(orderId: string) {
    return this.db.select().from(tickets).where(eq(tickets.orderId, orderId)).get() ?? null;
  }

  async list(limit: number) {
    return this.db.select().from(tickets).orderBy(desc(tickets.issuedAt)).limit(limit).all();
  }
}
