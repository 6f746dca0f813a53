/**
 * The TicketStore on PostgreSQL, on the order store's pool.
 *
 * Invariants:
 * - One ticket per order: the unique order_id decides (INSERT … ON CONFLICT DO NOTHING), never a
 *   check in code, so of concurrent issuers one inserts and the others read its ticket back.
 * - Every method waits for the order store's migrations (`ready`) first.
 */
import { desc, eq } from 'drizzle-orm';
import type { PgDb } from '../db/connection.pg.js';
import { tickets } from '../db/schema.pg.js';
import type { Ticket, TicketStore } from './store.js';

export class PgTicketStore implements TicketStore {
  /** `ready` resolves once the shared pool's migrations ran (the main store owns them). */
  constructor(
    private readonly db: PgDb,
    private readonly ready: () => Promise<void>,
  ) {}

  async issue(ticket: Ticket) {
    await this.ready();
    const [inserted] = await this.db
      .insert(tickets)
      .values(ticket)
      .onConflictDoNothing({ target: tickets.orderId })
      .returning();
    if (inserted) return { ticket: inserted, issued: true };
    const [existing] = await this.db.select().from(tickets).where(eq(tickets.orderId, ticket.orderId));
    return { ticket: existing!, issued: false };
  }

  async markMailed(orderId: string, at: string) {
    await this.ready();
    await this.db.update(tickets).set({ mailedAt: at }).where(eq(tickets.orderId, orderId));
  }

  async byOrder(orderId: string) {
    await this.ready();
    const [found] = await this.db.select().from(tickets).where(eq(tickets.orderId, orderId));
    return found ?? null;
  }

  async list(limit: number) {
    await this.ready();
    return this.db.select().from(tickets).orderBy(desc(tickets.issuedAt)).limit(limit);
  }
}
