export interface Ticket {
  id: string;
  orderId: string;
  eventId: string;
  ticketType: string;
  holderEmail: string | null;
  issuedAt: string;
  mailedAt: string | null;
}

/** Tickets, one per order: the database's unique order_id, not a check in code, forbids a second. */
export interface TicketStore {
  /** Issues the order's ticket, or returns the one it already has. */
  issue(ticket: Ticket): Promise<{ ticket: Ticket; issued: boolean }>;
  markMailed(orderId: string, at: string): Promise<void>;
  byOrder(orderId: string): Promise<Ticket | null>;
  list(limit: number): Promise<Ticket[]>;
}
