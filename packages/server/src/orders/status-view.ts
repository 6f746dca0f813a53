import {
  currentFailureReason,
  describeOrder,
  formatMoneyFor,
  isTerminal,
  orderStatuses,
  shortReference,
  statusTitles,
  statusesNeedingHelp,
  type Vocabulary,
} from '@paystate/core';
import type { Device, OrderRecord } from './store.js';

/**
 * GET /v1/order-status/:id: what the customer's phone shows, shared by the JSON API and the
 * page. Every text comes from the current status (and a failure reason only while it is the
 * reason for that status), so the two languages and the icon never disagree.
 *
 * `final` is true only when no rule of the lifecycle can change the order any more: a refund
 * whose provider call has been made. Every other status can still move (late money, an
 * operator's action, a refund that fails), so the page keeps watching it.
 */
export function statusView(
  record: OrderRecord,
  device: Device | null,
  vocabulary: Vocabulary = 'drinks',
  final = false,
) {
  const { order, status } = record;
  const text = describeOrder(status, order.failureReason, vocabulary);
  const number = shortReference(order.orderId);
  const deviceInfo: Record<string, string | null> = {
    name: device?.name ?? null,
    location: device?.location ?? null,
    logo_url: device?.logoUrl ?? null,
    contact: device?.clientInfoByStatus[status] || device?.clientInfo || null,
    client_info: device?.clientInfo ?? null,
  };
  for (const each of orderStatuses) deviceInfo[`client_info_${each}`] = device?.clientInfoByStatus[each] ?? null;
  return {
    order_id: order.orderId,
    order_number: number,
    status,
    terminal: isTerminal(status),
    final,
    failure_reason: currentFailureReason(status, order.failureReason),
    title: {
      ru: `${statusTitles[status].ru} · заказ ${number}`,
      en: `${statusTitles[status].en} · order ${number}`,
    },
    status_description: text.ru,
    status_description_en: text.en,
    needs_help: statusesNeedingHelp.includes(status),
    item_name: order.productName,
    item_size: order.size,
    price: {
      amount_minor: order.price.amountMinor,
      currency: order.price.currency,
      display: formatMoneyFor(order.price, 'ru-RU'),
      display_en: formatMoneyFor(order.price, 'en'),
    },
    created_at: order.createdAt,
    expires_at: order.expiresAt,
    updated_at: record.updatedAt,
    can_pay: status === 'created',
    confirmation_url: status === 'pending' ? record.confirmationUrl : null,
    device: deviceInfo,
  };
}

export type StatusView = ReturnType<typeof statusView>;
