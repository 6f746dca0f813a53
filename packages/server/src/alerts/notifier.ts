import type { AlertKind, CustomerNotice, Notifier, OrderContext } from '@paystate/core';
import type { AlertService } from './service.js';

/**
 * The runtime's notifier: every alert, whoever raises it (the effect dispatcher, the POS poll
 * step, provider-account renewals, stuck orders), is recorded as a row, then passed on (logged,
 * and so on). A row that cannot be written throws, so the dispatcher's ALERT effect is retried.
 */
export class RecordingNotifier implements Notifier {
  constructor(
    private readonly inner: Notifier,
    private readonly alerts: Pick<AlertService, 'record'>,
  ) {}

  async alert(kind: AlertKind, details: Record<string, unknown>): Promise<void> {
    await this.inner.alert(kind, details);
    await this.alerts.record(kind, details);
  }

  notifyCustomer(kind: CustomerNotice, order: OrderContext): Promise<void> {
    return this.inner.notifyCustomer(kind, order);
  }
}
