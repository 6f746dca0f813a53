import nodemailer, { type Transporter } from 'nodemailer';
import type { Logger } from 'pino';
import { describeStatus, formatMoney, type CustomerNotice, type OrderContext, type Vocabulary } from '@paystate/core';
import type { Ticket } from '../tickets/store.js';
import { maskEmail } from '../secrets/personal-data.js';

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
        `mail to ${maskEmail(mail.to)} failed: ${error instanceof Error ? error.message : String(error)}`,
        transient,
      );
    }
    this.logger.info({ to: maskEmail(mail.to), messageId: info.messageId }, 'mail sent');
  }

  close(): void {
    this.transport.close();
  }
}

export function ticketConfirmation(order: OrderContext, ticket: Ticket, statusUrl: string): Mail {
  return {
    to: ticket.holderEmail ?? '',
    subject: `Your ticket ${ticket.id}: ${mailField(order.productName)}`,
    text: [
      `Thank you. Your payment of ${formatMoney(order.price)} was received.`,
      '',
      `Ticket: ${ticket.id}`,
      `Event: ${mailField(order.productName, 120)} (${mailField(order.size, 32)})`,
      `Order: ${order.orderId}`,
      '',
      `Show this code at the entrance. Order status: ${statusUrl}`,
    ].join('\n'),
  };
}

/**
 * The notices that go out by e-mail: only about money the customer paid. An order anyone can
 * create anonymously, with any address and any product name, must not make the merchant's relay
 * mail a stranger when it expires or its payment is cancelled (issue 16: an open relay).
 */
const noticeSubjects: Partial<Record<CustomerNotice, string>> = {
  refunded: 'Your payment was refunded',
  manual_make: 'Your payment arrived late: your order will be made by hand',
};

/** What the customer reads under the subject. */
const noticeBodies: Partial<Record<CustomerNotice, (vocabulary: Vocabulary) => string>> = {
  refunded: () => 'The money is on its way back to you.',
  // The status page's own words for manual_make (packages/core/src/messages.ts).
  manual_make: (vocabulary) => describeStatus('manual_make', 'en', vocabulary),
};

/** Text the customer typed, made safe for a mail: one line, no control characters, at most `max` characters. */
export function mailField(value: string, max = 60): string {
  const line = value
    .replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return line.length <= max ? line : `${line.slice(0, max - 1)}…`;
}

/** The e-mail for a notice about a paid order; null for every other notice. */
export function customerNotice(
  kind: CustomerNotice,
  order: OrderContext,
  statusUrl: string,
  vocabulary: Vocabulary = 'drinks',
): Mail | null {
  const subject = noticeSubjects[kind];
  const body = noticeBodies[kind];
  if (!subject || !body || !order.customerEmail) return null;
  const item = `${mailField(order.productName)} (${mailField(order.size, 32)})`;
  return {
    to: order.customerEmail,
    subject: `${subject}: ${mailField(order.productName)}`,
    text: [
      `${subject}. Order ${order.orderId}, ${item}, ${formatMoney(order.price)}.`,
      body(vocabulary),
      `Order status: ${statusUrl}`,
    ].join('\n'),
  };
}
