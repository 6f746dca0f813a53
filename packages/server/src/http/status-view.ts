import { describeStatus, isTerminal, orderStatuses, toDecimalString } from '@paystate/core';
import type { Device, OrderRecord } from '../store/types.js';

/** GET /v1/order-status/:id: what the customer's phone shows, shared by the JSON API and the page. */
export function statusView(record: OrderRecord, device: Device | null) {
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
    status_description: order.failedPresentationDesc ?? describeStatus(status, 'ru'),
    status_description_en: describeStatus(status, 'en'),
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
