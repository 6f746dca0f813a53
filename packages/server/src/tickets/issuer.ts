import { randomBytes } from 'node:crypto';
import type { Clock, DeviceGateway, MakeCommand } from '@paystate/core';
import type { Store } from '../orders/store.js';
import { ticketConfirmation, type Mailer } from '../notifications/mailer.js';
import type { TicketStore } from './store.js';

/**
 * The ticket seller's "device": the make command issues the order's ticket (once, by the
 * store's unique order_id) and mails the confirmation. Reports 'made': nothing else will.
 * A retry after a lost answer finds the issued ticket and only re-sends a mail not yet sent.
 */
export class TicketIssuer implements DeviceGateway {
  constructor(
    private readonly orders: Pick<Store, 'getOrder'>,
    private readonly tickets: TicketStore,
    private readonly mailer: Mailer,
    private readonly clock: Clock,
    private readonly publicUrl: string,
  ) {}

  async sendMakeCommand(command: MakeCommand): Promise<'made'> {
    const record = await this.orders.getOrder(command.orderId);
    if (!record) throw new Error(`no order ${command.orderId} to issue a ticket for`);
    const { ticket } = await this.tickets.issue({
      id: ticketCode(),
      orderId: command.orderId,
      eventId: command.deviceId,
      ticketType: command.productId,
      holderEmail: record.order.customerEmail ?? null,
      issuedAt: this.clock.now().toISOString(),
      mailedAt: null,
    });
    if (ticket.holderEmail && !ticket.mailedAt) {
      await this.mailer.send(ticketConfirmation(record.order, ticket, `${this.publicUrl}/orders/${command.orderId}`));
      await this.tickets.markMailed(command.orderId, this.clock.now().toISOString());
    }
    return 'made';
  }
}

/** Short enough to read out at a door, long enough not to be guessed: 10 characters of base32. */
function ticketCode(): string {
  const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
  return Array.from(randomBytes(10), (byte) => alphabet[byte % alphabet.length]).join('');
}
