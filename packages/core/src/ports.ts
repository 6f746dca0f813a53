import type { Money } from './money.js';
import type { AlertKind, CustomerNotice, OrderContext, PaymentObservationStatus } from './order/types.js';

export type { Clock } from './clock.js';

export interface CreatePaymentInput {
  orderId: string;
  amount: Money;
  description: string;
  returnUrl: string;
  /** Mobile-money providers charge a wallet named by a phone number (MSISDN, digits only). */
  payerMsisdn?: string;
}

export interface CreatedPayment {
  providerPaymentId: string;
  confirmationUrl: string;
}

export interface PaymentStatusReport {
  status: PaymentObservationStatus;
  amount: Money;
  raw: unknown;
  /**
   * What the provider has refunded on this payment so far (succeeded refunds), read back from
   * its own records; absent when the adapter cannot read refunds (refundGuarantees.readBack false).
   */
  refunded?: Money;
  /** A `canceled` payment that the provider closed because its lifetime ran out (an expired session). */
  expired?: boolean;
}

/**
 * What a provider guarantees about refunds (docs/architecture.md section 9). `readBack`: the payment status
 * read reports what was refunded, so an unknown refund is settled by reading; `idempotencyKey`:
 * the provider absorbs a repeated refund with the same key. With neither, an unknown refund
 * goes to review with an alert.
 */
export interface RefundGuarantees {
  readBack: boolean;
  idempotencyKey: boolean;
}

/** A verified, parsed provider notification: the payment it is about and, when it says, the status. */
export interface WebhookNotification {
  eventId: string | null;
  providerPaymentId: string;
  status: PaymentObservationStatus | null;
  amount: Money | null;
  raw: unknown;
}

export interface PaymentProvider {
  readonly code: string;
  /** Providers that cannot be asked for a status are never polled: webhooks only (rule 8). */
  readonly canQueryStatus: boolean;
  readonly refundGuarantees: RefundGuarantees;
  createPayment(input: CreatePaymentInput, idempotencyKey: string): Promise<CreatedPayment>;
  getPaymentStatus(providerPaymentId: string): Promise<PaymentStatusReport>;
  refund(providerPaymentId: string, amount: Money, idempotencyKey: string): Promise<void>;
  /** Throws when the delivery is not authentic; a boundary, so it sees the raw bytes. */
  verifyWebhook(headers: Record<string, string>, rawBody: string): Promise<void>;
  parseWebhook(rawBody: string): WebhookNotification;
  /**
   * The exact HTTP 200 body a provider requires to count a notification as delivered (T-Bank
   * wants the bare text `OK`); without it the webhook route answers its usual JSON. Errors keep
   * the JSON error body either way, so the provider delivers again.
   */
  readonly webhookAcknowledgement?: WebhookAcknowledgement;
}

export interface WebhookAcknowledgement {
  body: string;
  contentType: string;
}

export interface MakeCommand {
  deviceId: string;
  orderId: string;
  productId: string;
  size: string;
  price: Money;
}

export interface DeviceGateway {
  /**
   * Resolves when the device accepted the command; the order id lets the device de-duplicate.
   * 'made' says the work is already done (a ticket issued), so no device report will follow.
   */
  sendMakeCommand(command: MakeCommand): Promise<void | 'made'>;
}

export interface Notifier {
  alert(kind: AlertKind, details: Record<string, unknown>): Promise<void>;
  notifyCustomer(kind: CustomerNotice, order: OrderContext): Promise<void>;
}
