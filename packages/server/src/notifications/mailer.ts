import nodemailer, { type Transporter } from 'nodemailer';
import type { Logger } from 'pino';
import { describeStatus, formatMoney, type CustomerNotice, type OrderContext, type Vocabulary } from '@paystate/core';
import type { Ticket } from '../tickets/store.js';

/** The relay refused or could not be reached; `transient` when trying later may succeed (4xx, network). */
export class MailDeliveryError extends Error {
  override readonly name = 'MailDeliveryError';
  constructor(
    message: string,
    readonly transient: boolean,
  ) {
    super(message);
  }
}

const NETWORK_CODES = new Set(['ECONNECTION', 'ETIMEDOUT', 'ESOCKET', 'EDNS', 'ECONNREFUSED', 'ECONNRESET']);

export interface Mail {
  to: string;
  subject: string;
  text: string;
}

/** E-mail over SMTP (SMTP_URL); one transport, reused. A send that fails throws for the outbox to retry. */
export class Mailer {
  private readonly transport: Transporter;

  constructor(
    smtpUrl: string,
    private readonly from: string,
    private readonly logger: Logger,
  ) {
    this.transport = nodemailer.createTransport(smtpUrl);
  }

  async send(mail: Mail): Promise<void> {
    let info;
    try {
      info = await this.transport.sendMail({ from: this.from, ...mail });
    } catch (error) {
      const { responseCode, code } = error as { responseCode?: number; code?: string };
      const transient =
        (responseCode !== undefined && responseCode >= 400 && responseCode < 500) ||
        (code !== undefined && NETWORK_CODES.has(code));
      throw new MailDeliveryError(
        `mail to ${mail.to} failed: ${error instanceof Error ? error.message : String(error)}`,
        transient,
      );
    }
    this.logger.info({ to: mail.to, subject: mail.subject, messageId: info.messageId }, 'mail sent');
  }

  close(): void {
    this.transport.close();
  }
}

export function ticketConfirmation(order: OrderContext, ticket: Ticket, statusUrl: string): Mail {
  return {
    to: ticket.holderEmail ?? '',
    subject: `Your ticket ${ticket.id}: ${order.productName}`,
    text: [
      `Thank you. Your payment of ${formatMoney(order.price)} was received.`,
      '',
      `Ticket: ${ticket.id}`,
      `Event: ${order.productName} (${order.size})`,
      `Order: ${order.orderId}`,
      '',
      `Show this code at the entrance. Order status: ${statusUrl}`,
    ].join('\n'),
  };
}

const failureSubjects: Partial<Record<CustomerNotice, string>> = {
  not_paid: 'Your payment was not completed',
  failed: 'Your payment could not be confirmed',
  expired: 'Your order expired before it was paid',
  refunded: 'Your payment was refunded',
  manual_make: 'Your payment arrived late: your order will be made by hand',
};

/** What the customer reads under the subject; the payment-failed e-mails share one line. */
const noticeBodies: Partial<Record<CustomerNotice, (vocabulary: Vocabulary) => string>> = {
  refunded: () => 'The money is on its way back to you.',
  // The status page's own words for manual_make (packages/core/src/messages.ts).
  manual_make: (vocabulary) => describeStatus('manual_make', 'en', vocabulary),
};

/** The payment-failed (and refund) e-mails; null for notices that need none. */
export function customerNotice(
  kind: CustomerNotice,
  order: OrderContext,
  statusUrl: string,
  vocabulary: Vocabulary = 'drinks',
): Mail | null {
  const subject = failureSubjects[kind];
  if (!subject || !order.customerEmail) return null;
  return {
    to: order.customerEmail,
    subject: `${subject}: ${order.productName}`,
    text: [
      `${subject}. Order ${order.orderId}, ${order.productName} (${order.size}), ${formatMoney(order.price)}.`,
      noticeBodies[kind]?.(vocabulary) ?? 'No ticket was issued and nothing was charged that is not returned.',
      `Order status: ${statusUrl}`,
    ].join('\n'),
  };
}
