import type { AlertKind, CustomerNotice, Notifier, OrderContext, Vocabulary } from '@paystate/core';
import { customerNotice, type Mailer } from './mailer.js';

/** Alerts go where they went; customers with an e-mail address also get the payment-failed, refund and manual_make mails. */
export class EmailNotifier implements Notifier {
  constructor(
    private readonly inner: Notifier,
    private readonly mailer: Mailer,
    private readonly publicUrl: string,
    /** Drinks or tickets: the words of the manual_make e-mail. */
    private readonly vocabulary: Vocabulary = 'drinks',
  ) {}

  alert(kind: AlertKind, details: Record<string, unknown>): Promise<void> {
    return this.inner.alert(kind, details);
  }

  async notifyCustomer(kind: CustomerNotice, order: OrderContext): Promise<void> {
    await this.inner.notifyCustomer(kind, order);
    const mail = customerNotice(kind, order, `${this.publicUrl}/orders/${order.orderId}`, this.vocabulary);
    if (mail) await this.mailer.send(mail);
  }
}
