import type { FailureReason, OrderStatus } from './order/types.js';

export type Language = 'ru' | 'en';

export interface Text {
  ru: string;
  en: string;
}

/** What a customer reads about each status, on the status page and in the JSON API. */
export const statusDescriptions: Record<OrderStatus, Text> = {
  created: { ru: 'Заказ создан. Перейдите к оплате.', en: 'Order created. Please proceed to payment.' },
  pending: { ru: 'Ожидаем подтверждения оплаты…', en: 'Waiting for the payment to be confirmed…' },
  paid: {
    ru: 'Оплата получена. Отправляем заказ на приготовление…',
    en: 'Payment received. Sending your order to the machine…',
  },
  make_pending: { ru: 'Оплата прошла. Напиток готовится.', en: 'Payment complete. Your drink is being made.' },
  successful: { ru: 'Готово! Приятного аппетита.', en: 'Done! Enjoy.' },
  manual_make: {
    ru: 'Оплата поступила слишком поздно для автоматического приготовления. Обратитесь к персоналу, вам приготовят заказ вручную.',
    en: 'The payment arrived too late to start the machine automatically. Please ask the staff: your order will be made by hand.',
  },
  make_failed: {
    ru: 'Не удалось отправить команду на приготовление. Пожалуйста, обратитесь в поддержку.',
    en: 'We could not send the order to the machine. Please contact support.',
  },
  not_paid: { ru: 'Оплата не прошла или была отменена.', en: 'The payment did not go through or was canceled.' },
  failed: {
    ru: 'Не удалось подтвердить оплату. Пожалуйста, обратитесь в поддержку.',
    en: 'We could not confirm the payment. Please contact support.',
  },
  expired: {
    ru: 'Время на оплату истекло. Создайте новый заказ.',
    en: 'The time to pay has run out. Please place a new order.',
  },
  requires_manual_review: {
    ru: 'Платёж требует проверки. Пожалуйста, обратитесь в поддержку.',
    en: 'The payment needs to be checked by our staff. Please contact support.',
  },
  refunded: { ru: 'Деньги возвращены на ваш счёт.', en: 'Your money has been returned.' },
};

/** What is sold decides the words: a drink from a machine, or a ticket sent by e-mail. */
export type Vocabulary = 'drinks' | 'tickets';

/** Where a ticket sale reads differently from a drink; the other statuses say the same. */
export const ticketStatusDescriptions: Partial<Record<OrderStatus, Text>> = {
  paid: { ru: 'Оплата получена. Оформляем билет…', en: 'Payment received. Issuing your ticket…' },
  make_pending: { ru: 'Оплата прошла. Оформляем билет…', en: 'Payment complete. Issuing your ticket…' },
  successful: { ru: 'Готово! Билет отправлен вам на почту.', en: 'Done! Your ticket has been sent to your e-mail.' },
  manual_make: {
    ru: 'Оплата поступила слишком поздно для автоматического оформления. Обратитесь к организатору, билет выдадут вручную.',
    en: 'The payment arrived too late to issue the ticket automatically. Please contact the organiser: your ticket will be issued by hand.',
  },
  make_failed: {
    ru: 'Не удалось оформить билет. Пожалуйста, обратитесь в поддержку.',
    en: 'We could not issue your ticket. Please contact support.',
  },
};

/** The more precise text stored on an order when it fails, as failed_presentation_desc. */
export const failureDescriptions: Record<FailureReason, Text> = {
  check_attempts_exhausted: {
    ru: 'Платёжная система не отвечает, мы не смогли проверить оплату. Если деньги списаны, обратитесь в поддержку.',
    en: 'The payment system did not answer, so we could not check your payment. If you were charged, please contact support.',
  },
  waiting_for_capture: {
    ru: 'Платёж не был завершён. Если деньги заблокированы, они вернутся автоматически; при вопросах обратитесь в поддержку.',
    en: 'The payment was not completed. Any amount on hold will be released; contact support if you have questions.',
  },
  make_rejected: statusDescriptions.make_failed,
  device_failed: {
    ru: 'Автомат не смог приготовить напиток. Пожалуйста, обратитесь в поддержку.',
    en: 'The machine could not make your drink. Please contact support.',
  },
};

/** A status's text in both languages, in the words of what is sold. */
function statusText(status: OrderStatus, vocabulary: Vocabulary): Text {
  return vocabulary === 'tickets'
    ? (ticketStatusDescriptions[status] ?? statusDescriptions[status])
    : statusDescriptions[status];
}

export function describeStatus(
  status: OrderStatus,
  language: Language = 'ru',
  vocabulary: Vocabulary = 'drinks',
): string {
  return statusText(status, vocabulary)[language];
}

export function describeFailure(reason: FailureReason, language: Language = 'ru'): string {
  return failureDescriptions[reason][language];
}

/** The status each failure reason was recorded for: its text is only true while the order is there. */
const statusOfReason: Record<FailureReason, OrderStatus> = {
  check_attempts_exhausted: 'failed',
  waiting_for_capture: 'failed',
  make_rejected: 'make_failed',
  device_failed: 'make_failed',
};

/** The order's failure reason while it still explains the status; null once the order moved on. */
export function currentFailureReason(status: OrderStatus, reason: FailureReason | null): FailureReason | null {
  return reason !== null && statusOfReason[reason] === status ? reason : null;
}

/**
 * What the customer reads now, in both languages, from the current status and nothing older:
 * a failure reason stays on the order after an operator's refund or "mark made", and its text
 * would then contradict the status.
 */
export function describeOrder(
  status: OrderStatus,
  reason: FailureReason | null,
  vocabulary: Vocabulary = 'drinks',
): Text {
  const general = statusText(status, vocabulary);
  const current = currentFailureReason(status, reason);
  // The machine's own words do not fit a ticket sale: its make_failed text says it already.
  if (current === null || (vocabulary === 'tickets' && status === 'make_failed')) return general;
  return failureDescriptions[current];
}

/** Statuses whose text sends the customer to a person: the page shows how to reach one. */
export const statusesNeedingHelp: readonly OrderStatus[] = [
  'manual_make',
  'make_failed',
  'failed',
  'requires_manual_review',
];

/** A few words per status for the page title and a glance at the phone, the same for every fulfilment. */
export const statusTitles: Record<OrderStatus, Text> = {
  created: { ru: 'Ожидает оплаты', en: 'Awaiting payment' },
  pending: { ru: 'Проверяем оплату', en: 'Checking the payment' },
  paid: { ru: 'Оплачено', en: 'Paid' },
  make_pending: { ru: 'Выполняется', en: 'In progress' },
  successful: { ru: 'Готово', en: 'Done' },
  manual_make: { ru: 'Обратитесь к персоналу', en: 'Please ask the staff' },
  make_failed: { ru: 'Не выполнен', en: 'Not fulfilled' },
  not_paid: { ru: 'Не оплачено', en: 'Not paid' },
  failed: { ru: 'Оплата не подтверждена', en: 'Payment not confirmed' },
  expired: { ru: 'Время истекло', en: 'Expired' },
  requires_manual_review: { ru: 'На проверке', en: 'Under review' },
  refunded: { ru: 'Деньги возвращены', en: 'Money returned' },
};

/** What a customer reads out at the desk for an order or a payment: its id's first eight characters, upper case. */
export function shortReference(id: string): string {
  return id.replace(/-/g, '').slice(0, 8).toUpperCase();
}
