import type { Logger } from 'pino';
import type { Clock, PaymentStatusReport } from '@paystate/core';
import { failureReasonOf } from '../outbound/failures.js';
import { PaystateError } from '../errors.js';
import type { OrderService } from '../orders/service.js';
import type { PosService } from '../pos/service.js';
import { WebhookParseError, WebhookVerificationError } from '../providers/errors.js';
import type { OrderStore, WebhookInbox } from '../orders/store.js';

export type WebhookOutcome = 'applied' | 'ignored' | 'duplicate';

/**
 * docs/architecture.md section 8: verify the raw bytes, record the delivery in the inbox before acting,
 * de-duplicate, then act through the same observation path as the poller.
 */
export class WebhookService {
  constructor(
    private readonly store: WebhookInbox & Pick<OrderStore, 'findOrderByPayment'>,
    private readonly orders: OrderService,
    private readonly clock: Clock,
    private readonly logger: Logger,
    /** POS payments share the providers' webhook URLs; a notification about one settles it. */
    private readonly pos?: PosService,
  ) {}

  /** `accountId`: the merchant account whose URL the notification came to (null: the environment's). */
  async receive(
    providerCode: string,
    accountId: string | null,
    headers: Record<string, string>,
    rawBody: string,
  ): Promise<WebhookOutcome> {
    const provider = await this.orders.provider(providerCode, accountId);
    try {
      await provider.verifyWebhook(headers, rawBody);
    } catch (error) {
      if (error instanceof WebhookVerificationError)
        throw new PaystateError('unauthorized', 'webhook_unverified', error.message);
      throw error;
    }
    let notification;
    try {
      notification = provider.parseWebhook(rawBody);
    } catch (error) {
      if (error instanceof WebhookParseError) throw new PaystateError('invalid', 'malformed_webhook', error.message);
      throw error;
    }
    // A notification without a trustworthy status (YooKassa signs nothing) is only a hint to look,
    // and is de-duplicated on what the API answered, not on what it claimed: keyed on the claim,
    // a forged "payment.succeeded" would make YooKassa's real one a "duplicate" and drop it.
    let report: Pick<PaymentStatusReport, 'status' | 'amount'> | null =
      notification.status !== null && notification.amount !== null
        ? { status: notification.status, amount: notification.amount }
        : null;
    const trusted = report !== null;
    // Only a payment made through this account: one account's secret never speaks for another's payments.
    const found = await this.store.findOrderByPayment(providerCode, notification.providerPaymentId);
    const order = found?.providerAccountId === accountId ? found : null;
    if (!order) {
      const candidate = await this.pos?.store.findPaymentByProvider(providerCode, notification.providerPaymentId);
      const posPayment = candidate?.providerAccountId === accountId ? candidate : null;
      // `check` re-reads the payment from the provider's API and is idempotent: the claim is only a hint.
      if (posPayment) {
        const { payment } = await this.pos!.check(posPayment.merchantId, posPayment.paymentId);
        return payment.status === posPayment.status ? 'ignored' : 'applied';
      }
    }
    let recheckError: unknown = null;
    if (order && !report) {
      try {
        report = await provider.getPaymentStatus(notification.providerPaymentId);
      } catch (error) {
        recheckError = error;
      }
    }
    const claimedKey =
      notification.eventId ??
      `${notification.providerPaymentId}:${notification.status}:${notification.amount?.amountMinor}:${notification.amount?.currency}`;
    const dedupeKey =
      report && !trusted
        ? `${claimedKey}:${report.status}:${report.amount.amountMinor}:${report.amount.currency}`
        : claimedKey;
    const delivery = await this.store.recordWebhookDelivery(providerCode, dedupeKey, rawBody, this.now());
    if (delivery.duplicate) return 'duplicate';

    if (!order) {
      // Possibly ahead of our own commit of the payment: ask the provider to deliver it again.
      await this.store.finishWebhookDelivery(delivery.id, 'error', this.now());
      throw new PaystateError(
        'conflict',
        'unknown_payment',
        `no order for ${providerCode} payment ${notification.providerPaymentId}`,
      );
    }
    if (!report) {
      await this.store.finishWebhookDelivery(delivery.id, 'error', this.now());
      this.logger.warn({ provider: providerCode, reason: failureReasonOf(recheckError) }, 'webhook re-check failed');
      throw new PaystateError(
        'unavailable',
        'provider_unavailable',
        'could not confirm the payment with the provider; deliver again later',
      );
    }
    let decision;
    try {
      decision = await this.orders.observe(order.order.orderId, report, 'webhook');
    } catch (error) {
      // Answered 5xx, so the provider delivers it again: that redelivery must not be a "duplicate".
      await this.store.finishWebhookDelivery(delivery.id, 'error', this.now());
      throw error;
    }
    const outcome = decision.changed ? 'applied' : 'ignored';
    await this.store.finishWebhookDelivery(delivery.id, outcome, this.now());
    return outcome;
  }

  /**
   * An operator's replay of a delivery that failed or matched no payment (the console): the
   * stored body only names the payment; its status is read again from the provider's API with
   * the account the payment was made through, as the poller would. Settles the delivery's outcome.
   */
  async replay(delivery: { id: number; provider: string; rawBody: string }): Promise<WebhookOutcome> {
    const parser = await this.parserFor(delivery.provider);
    let notification;
    try {
      notification = parser.parseWebhook(delivery.rawBody);
    } catch (error) {
      if (error instanceof WebhookParseError) throw new PaystateError('invalid', 'malformed_webhook', error.message);
      throw error;
    }
    const order = await this.store.findOrderByPayment(delivery.provider, notification.providerPaymentId);
    if (order) {
      const provider = await this.orders.provider(delivery.provider, order.providerAccountId);
      const report = await provider.getPaymentStatus(notification.providerPaymentId);
      const decision = await this.orders.observe(order.order.orderId, report, 'operator');
      const outcome = decision.changed ? 'applied' : 'ignored';
      await this.store.finishWebhookDelivery(delivery.id, outcome, this.now());
      return outcome;
    }
    const posPayment = await this.pos?.store.findPaymentByProvider(delivery.provider, notification.providerPaymentId);
    if (!posPayment)
      throw new PaystateError(
        'conflict',
        'unknown_payment',
        `still no order or payment for ${delivery.provider} payment ${notification.providerPaymentId}`,
      );
    const { payment } = await this.pos!.check(posPayment.merchantId, posPayment.paymentId);
    const outcome = payment.status === posPayment.status ? 'ignored' : 'applied';
    await this.store.finishWebhookDelivery(delivery.id, outcome, this.now());
    return outcome;
  }

  /** Any provider of the code reads its notifications' format: the environment's, else a merchant account's. */
  private async parserFor(code: string) {
    const environment = this.orders.providers.environment.get(code);
    if (environment) return environment;
    for (const account of await this.orders.providers.accounts.list(null)) {
      if (account.providerCode !== code) continue;
      const provider = await this.orders.providers.accounts.provider(account.id);
      if (provider) return provider;
    }
    throw new PaystateError('invalid', 'unknown_provider', `no payment provider "${code}" is configured`);
  }

  private now(): string {
    return this.clock.now().toISOString();
  }
}
