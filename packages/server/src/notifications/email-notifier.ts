import type { AlertKind, CustomerNotice, Notifier, OrderContext } from '@paystate/core';
import { customerNotice, type Mailer } from './mailer.js';

/** Alerts go where they went; customers with an e-mail address also get the payment-failed mails. */
export class EmailNotifier implements Notifier {
  constructor(
    private readonly inner: Notifier,
    private readonly mailer: Mailer,
    private readonly publicUrl: string,
  ) {}

  alert(kind: AlertKind, details: Record<string, unknown>): Promise<void> {
    return this.inner.alert(kind, details);
  }

  async notifyCustomer(kind: CustomerNotice, order: OrderContext): Promise<void> {
    await this.inner.notifyCustomer(kind, order);
    const mail = customerNotice(kind, order, `${this.publicUrl}/orders/${order.orderId}`);
    if (mail) await this.mailer.send(mail);
  }
}
