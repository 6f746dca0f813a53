import type { Logger } from 'pino';
import type { AlertKind, CustomerNotice, Notifier, OrderContext } from '@paystate/core';

/** Alerts and customer notices as structured log lines: the default until e-mail is configured. */
export class LogNotifier implements Notifier {
  constructor(private readonly logger: Logger) {}

  async alert(kind: AlertKind, details: Record<string, unknown>): Promise<void> {
    this.logger.warn({ alert: kind, ...details }, `ALERT ${kind}`);
  }

  async notifyCustomer(kind: CustomerNotice, order: OrderContext): Promise<void> {
    this.logger.info({ notice: kind, orderId: order.orderId }, `customer notice ${kind}`);
  }
}
