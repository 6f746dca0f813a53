import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import {
  createOrder,
  type DecisionDeps,
  type NewOrder,
  type OrderDecision,
  type OrderInput,
  type PaymentProvider,
  type PaymentStatusReport,
} from '@paystate/core';
import type { EffectDispatcher } from './dispatcher.js';
import { PaystateError, notFound } from '../errors.js';
import { OutboundHttpError, OutboundNetworkError, OutboundTimeoutError } from '../outbound/client.js';
import { paymentStartLeaseUntil } from '../providers/payment-start-lease.js';
import { PayerDetailsRequiredError } from '../providers/errors.js';
import type { DeviceStore, OrderRecord, OrderStore } from './store.js';
import type { MerchantService } from '../merchants/service.js';
import type { ProviderDirectory } from '../merchants/provider-directory.js';

/** A new order as a caller asks for it: the core's NewOrder, before paystate gives it an id. */
export type NewOrderRequest = Omit<NewOrder, 'orderId'>;

export type OperatorAction = 'mark_made' | 'refund' | 'resolve' | 'verify';

const operatorEvents = {
  mark_made: 'OPERATOR_MARK_MADE',
  refund: 'OPERATOR_REFUND',
  resolve: 'OPERATOR_RESOLVE',
} as const;

/**
 * The use cases every adapter shares (HTTP, poller, CLI). Each turns an input into one core
 * event through the store, then wakes the dispatcher for whatever effects the decision asked for.
 */
export class OrderService {
  constructor(
    private readonly store: OrderStore & Pick<DeviceStore, 'getDevice'>,
    readonly providers: ProviderDirectory,
    private readonly dispatcher: EffectDispatcher,
    private readonly deps: DecisionDeps,
    private readonly publicUrl: string,
    private readonly logger: Logger,
    private readonly merchants?: Pick<MerchantService, 'requireActive'>,
  ) {}

  /** The provider of a recorded payment: the account it was started with. */
  async provider(code: string, accountId: string | null): Promise<PaymentProvider> {
    const provider = await this.providers.get(code, accountId);
    if (!provider)
      throw new PaystateError('invalid', 'unknown_provider', `no payment provider "${code}" is configured`);
    return provider;
  }

  /** An order belongs to its device's merchant and pays through that merchant's account for the provider. */
  async create(request: NewOrderRequest): Promise<OrderRecord> {
    const device = await this.store.getDevice(request.deviceId);
    if (!device) throw notFound('device', request.deviceId);
    await this.merchants?.requireActive(device.merchantId);
    const owner = {
      merchantId: device.merchantId,
      providerAccountId: await this.providers.accountFor(device.merchantId, request.provider),
    };
    await this.provider(request.provider, owner.providerAccountId);
    const created = createOrder({ orderId: randomUUID(), ...request }, this.deps);
    await this.store.insertOrder(created, owner);
    return {
      status: created.status,
      order: created.order,
      version: 0,
      confirmationUrl: null,
      updatedAt: created.audit.at,
      ...owner,
    };
  }

  async get(orderId: string): Promise<OrderRecord> {
    const record = await this.store.getOrder(orderId);
    if (!record) throw notFound('order', orderId);
    return record;
  }

  /**
   * Starts (or, for a pending order, re-presents) the provider payment. One caller at a time
   * may start it (a lease in the database, taken before the provider is called), so concurrent
   * calls never create a second provider payment that no order knows; they get the recorded
   * one, or 409 `payment_in_progress` while it is being created. The idempotency key is the
   * order id, so a retry after a timeout finds the same payment at providers that honour it.
   */
  async pay(orderId: string, payer: { payerMsisdn?: string } = {}): Promise<{ confirmationUrl: string }> {
    const record = await this.get(orderId);
    const presented = presentedPayment(record);
    if (presented) return presented;
    const now = this.deps.clock.now();
    if (!(await this.store.claimPaymentStart(orderId, now.toISOString(), paymentStartLeaseUntil(now)))) {
      const current = await this.get(orderId);
      const recorded = presentedPayment(current);
      if (recorded) return recorded;
      throw new PaystateError(
        'conflict',
        'payment_in_progress',
        `the payment of order ${orderId} is being started; try again in a moment`,
      );
    }
    const { order } = record;
    let payment;
    try {
      const provider = await this.provider(order.provider, record.providerAccountId);
      payment = await this.callProvider(() =>
        provider.createPayment(
          {
            orderId,
            amount: order.price,
            description: `${order.productName} ${order.size}`.trim(),
            returnUrl: `${this.publicUrl}/orders/${orderId}/return`,
            ...payer,
          },
          `pay:${orderId}`,
        ),
      );
    } catch (error) {
      // Nothing reached the customer; the next call re-sends the same idempotency key.
      await this.store.releasePaymentStart(orderId);
      throw error;
    }
    const decision = await this.apply(
      orderId,
      { type: 'PAYMENT_INITIATED', providerPaymentId: payment.providerPaymentId },
      { confirmationUrl: payment.confirmationUrl },
    );
    if (!decision.changed || decision.status !== 'pending') {
      // Only the lease holder gets here, so this is an order that expired meanwhile: never hand
      // out a payment the order does not record.
      throw new PaystateError(
        'conflict',
        'order_not_payable',
        `order ${orderId} became ${decision.status} while paying`,
      );
    }
    return { confirmationUrl: payment.confirmationUrl };
  }

  /** The one path for a provider's answer, whether a webhook or the poller brought it. */
  observe(
    orderId: string,
    report: Pick<PaymentStatusReport, 'status' | 'amount'>,
    source: 'poll' | 'webhook' | 'operator',
  ) {
    return this.apply(orderId, { type: 'PAYMENT_OBSERVED', source, status: report.status, amount: report.amount });
  }

  async deviceReport(deviceId: string, orderId: string, result: 'made' | 'failed'): Promise<OrderDecision> {
    const record = await this.get(orderId);
    if (record.order.deviceId !== deviceId) throw notFound('order', orderId);
    return this.apply(orderId, { type: 'DEVICE_REPORTED', result });
  }

  async operatorAction(orderId: string, action: OperatorAction, operator: string, note?: string) {
    if (action === 'verify') return this.verify(orderId, { operator, ...(note ? { note } : {}) });
    const decision = await this.apply(orderId, { type: operatorEvents[action], operator, ...(note ? { note } : {}) });
    if (!decision.changed) {
      throw new PaystateError(
        'conflict',
        'action_not_allowed',
        `cannot ${action.replace('_', ' ')} an order that is ${decision.status}`,
      );
    }
    return decision;
  }

  /**
   * An operator's "check now": asks the provider for the payment as the poller would, through
   * the same observation path. Never trusts anything but the provider's API. Works on any order
   * that has a provider payment (rule 5: late money on an expired or failed order is found too);
   * what the answer may change is the machine's decision.
   */
  async verify(orderId: string, asked: { operator?: string; note?: string } = {}): Promise<OrderDecision> {
    const record = await this.get(orderId);
    const { order, status } = record;
    if (!order.providerPaymentId) {
      throw new PaystateError(
        'conflict',
        'action_not_allowed',
        `only an order with a provider payment can be verified; the order is ${status} without one`,
      );
    }
    const provider = await this.provider(order.provider, record.providerAccountId);
    const report = await this.callProvider(() => provider.getPaymentStatus(order.providerPaymentId!));
    return this.apply(orderId, {
      type: 'PAYMENT_OBSERVED',
      source: 'operator',
      status: report.status,
      amount: report.amount,
      ...asked,
    });
  }

  async apply(orderId: string, input: OrderInput, columns?: { confirmationUrl?: string }): Promise<OrderDecision> {
    const decision = await this.store.applyEvent(orderId, input, columns);
    if (!decision) throw notFound('order', orderId);
    if (decision.effects.length > 0)
      void this.dispatcher.kick().catch((error: unknown) => this.logger.error({ error }, 'dispatch failed'));
    return decision;
  }

  private async callProvider<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (error instanceof OutboundTimeoutError) {
        throw new PaystateError(
          'upstream_timeout',
          'provider_timeout',
          'the payment provider did not answer in time; try again',
        );
      }
      if (error instanceof OutboundHttpError) {
        throw new PaystateError(
          'upstream_refused',
          'provider_error',
          `the payment provider refused the request (HTTP ${error.status})`,
        );
      }
      if (error instanceof PayerDetailsRequiredError)
        throw new PaystateError('invalid', 'payer_required', error.message);
      if (error instanceof OutboundNetworkError) {
        throw new PaystateError(
          'upstream_unavailable',
          'provider_unavailable',
          'the payment provider could not be reached; try again',
        );
      }
      throw error;
    }
  }
}

/** The payment a pending order already has, to show again; throws for an order that cannot be paid. */
function presentedPayment(record: OrderRecord): { confirmationUrl: string } | null {
  if (record.status === 'pending' && record.confirmationUrl) return { confirmationUrl: record.confirmationUrl };
  if (record.status !== 'created') {
    throw new PaystateError(
      'conflict',
      'order_not_payable',
      `order ${record.order.orderId} is ${record.status} and cannot be paid`,
    );
  }
  return null;
}
