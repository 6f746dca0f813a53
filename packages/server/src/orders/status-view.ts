import {
  describeStatus,
  isTerminal,
  orderStatuses,
  toDecimalString,
  type FailureReason,
  type Vocabulary,
} from '@paystate/core';
import type { Device, OrderRecord } from './store.js';

/** GET /v1/order-status/:id: what the customer's phone shows, shared by the JSON API and the page. */
export function statusView(record: OrderRecord, device: Device | null, vocabulary: Vocabulary = 'drinks') {
  const { order, status } = record;
  const deviceInfo: Record<string, string | null> = {
    location: device?.location ?? null,
    logo_url: device?.logoUrl ?? null,
    client_info: device?.clientInfo ?? null,
  };
  for (const each of orderStatuses) deviceInfo[`client_info_${each}`] = device?.clientInfoByStatus[each] ?? null;
  return {
    order_id: order.orderId,
    status,
    terminal: isTerminal(status),
    status_description:
      (namesTheMachine(order.failureReason, vocabulary) ? null : order.failedPresentationDesc) ??
      describeStatus(status, 'ru', vocabulary),
    status_description_en: describeStatus(status, 'en', vocabulary),
    drink_name: order.productName,
    drink_size: order.size,
    price: {
      amount_minor: order.price.amountMinor,
      currency: order.price.currency,
      display: `${toDecimalString(order.price)} ${order.price.currency}`,
    },
    expires_at: order.expiresAt,
    confirmation_url: status === 'created' || status === 'pending' ? record.confirmationUrl : null,
    device: deviceInfo,
  };
}

export type StatusView = ReturnType<typeof statusView>;

/** The stored text of a make failure speaks of the machine; a ticket sale says it in its own words. */
function namesTheMachine(reason: FailureReason | null, vocabulary: Vocabulary): boolean {
  return vocabulary === 'tickets' && (reason === 'make_rejected' || reason === 'device_failed');
}
