import { z } from 'zod';
import { currencySchema, failureReasonSchema, orderStatuses, orderStatusSchema } from '@paystate/core';
import { documented, err, json, text, type ErrorCase } from '../http/openapi.js';
import { idSchema } from '../http/validate.js';
import { actionSchema, orderListQuery } from './admin-routes.js';
import { payFormSchema } from './pages.js';
import { createOrderSchema, payOrderSchema } from './routes.js';

// The answers of the order routes: the customer's status view (orders/status-view.ts), the pay
// answer, and the operator's order views (orders/views.ts).

const timestamp = z.iso.datetime();
const minor = z.number().int();
const nullableText = z.string().nullable();

export const orderStatusViewSchema = z
  .strictObject({
    order_id: z.string(),
    order_number: z
      .string()
      .describe("What the customer reads out at the desk: the id's first eight characters, upper case."),
    status: orderStatusSchema,
    terminal: z.boolean().describe('An ending (it may still change: late money, an operator).'),
    final: z.boolean().describe('No rule can change the order any more: a page may stop watching it.'),
    failure_reason: failureReasonSchema
      .nullable()
      .describe('Why it failed, only while that is the reason for the status.'),
    title: z.strictObject({ ru: z.string(), en: z.string() }),
    status_description: z.string().describe('For the customer, in Russian.'),
    status_description_en: z.string().describe('For the customer, in English.'),
    needs_help: z.boolean().describe('The customer should ask someone (show the page at the desk).'),
    item_name: z.string().describe('What was ordered: a drink, a ticket.'),
    item_size: z.string(),
    price: z.strictObject({
      amount_minor: minor,
      currency: currencySchema,
      display: z.string().describe('Formatted for Russian (`189 ₽`).'),
      display_en: z.string().describe('Formatted for English (`₽189`).'),
    }),
    created_at: timestamp,
    expires_at: timestamp,
    updated_at: timestamp,
    can_pay: z.boolean().describe('Pay may start the payment now (the order is `created`).'),
    confirmation_url: nullableText.describe("The provider's payment page while the order is `pending`."),
    device: z
      .strictObject({
        name: nullableText,
        location: nullableText,
        logo_url: nullableText,
        contact: nullableText.describe("The device's text for this status, else its general text (sanitised HTML)."),
        client_info: nullableText,
        ...Object.fromEntries(orderStatuses.map((status) => [`client_info_${status}`, nullableText])),
      })
      .describe('The machine the order was made for, and what its owner tells customers (sanitised HTML).'),
  })
  .meta({ id: 'OrderStatusView' });

export const payAnswerSchema = z
  .strictObject({ confirmation_url: z.string().describe("Send the customer here: the provider's payment page.") })
  .meta({ id: 'PayAnswer' });

const orderFieldsSchema = z.strictObject({
  order_id: z.string(),
  device_id: z.string(),
  product_id: z.string(),
  product_name: z.string(),
  size: z.string(),
  price: z.strictObject({ amount_minor: minor, currency: currencySchema }),
  provider: z.string(),
  customer_email: nullableText,
  created_at: timestamp,
  expires_at: timestamp,
  payment_started_at: timestamp.nullable(),
  next_check_at: timestamp.nullable().describe('When the poller asks the provider next; null once the order ended.'),
  last_check_at: timestamp.nullable(),
  check_attempts: z.number().int(),
  failed_checks: z.number().int().describe('Checks in a row that got no answer.'),
  failure_reason: failureReasonSchema.nullable(),
  failed_presentation_desc: nullableText,
  provider_payment_id: nullableText,
  stuck_alerted: z.boolean(),
  recheck_at: timestamp
    .nullable()
    .describe('The next late-money re-check of an order that ended without money (rule 5).'),
  late_checks: z.number().int(),
  no_money_since: timestamp.nullable(),
});

export const adminOrderSchema = orderFieldsSchema
  .extend({ status: orderStatusSchema, version: z.number().int(), merchant_id: idSchema })
  .meta({ id: 'AdminOrder' });

export const auditEventSchema = z
  .strictObject({
    id: z.number().int(),
    order_id: z.string(),
    from: orderStatusSchema.nullable(),
    to: orderStatusSchema,
    event: z.string().describe('`ORDER_CREATED`, `PAYMENT_OBSERVED`, `DEVICE_REPORTED` ...'),
    source: z.enum(['api', 'poll', 'webhook', 'operator', 'sweep', 'dispatcher', 'device']),
    at: timestamp,
    applied: z
      .boolean()
      .describe('False for an event that changed nothing (a duplicate, a late one): audited all the same.'),
    payload: z.record(z.string(), z.unknown()).describe('The event as the machine got it, keys in snake_case.'),
  })
  .meta({ id: 'AuditEvent' });

export const ticketSchema = z
  .strictObject({
    id: z.string(),
    order_id: z.string(),
    event_id: z.string(),
    ticket_type: z.string(),
    holder_email: nullableText,
    issued_at: timestamp,
    mailed_at: timestamp.nullable(),
  })
  .meta({ id: 'Ticket' });

export const adminOrderDetailSchema = z
  .strictObject({
    status: orderStatusSchema,
    version: z.number().int(),
    merchant_id: idSchema,
    order: orderFieldsSchema,
    events: z.array(auditEventSchema),
    ticket: ticketSchema.nullable().describe('Ticket sales (FULFILMENT=tickets): the ticket issued for the order.'),
  })
  .meta({ id: 'AdminOrderDetail' });

const orderId = '6baac491-6a5e-4bd4-9c7f-2d3e0a1b5c77';
const created = '2026-03-02T09:15:00.000Z';
const noDevice = Object.fromEntries(orderStatuses.map((status) => [`client_info_${status}`, null]));
const statusCreated: z.input<typeof orderStatusViewSchema> = {
  order_id: orderId,
  order_number: '6BAAC491',
  status: 'created',
  terminal: false,
  final: false,
  failure_reason: null,
  title: { ru: 'Заказ создан · заказ 6BAAC491', en: 'Order created · order 6BAAC491' },
  status_description: 'Заказ создан. Перейдите к оплате.',
  status_description_en: 'Order created. Please proceed to payment.',
  needs_help: false,
  item_name: 'Cappuccino',
  item_size: '300 ml',
  price: { amount_minor: 18900, currency: 'RUB', display: '189 ₽', display_en: '₽189' },
  created_at: created,
  expires_at: '2026-03-02T09:30:00.000Z',
  updated_at: created,
  can_pay: true,
  confirmation_url: null,
  device: {
    name: 'Lobby',
    location: 'Main hall',
    logo_url: null,
    contact: '<p>Help: +7 000 000-00-00</p>',
    client_info: '<p>Help: +7 000 000-00-00</p>',
    ...noDevice,
  },
};
const statusMaking: z.input<typeof orderStatusViewSchema> = {
  ...statusCreated,
  status: 'make_pending',
  title: { ru: 'Готовим · заказ 6BAAC491', en: 'Being made · order 6BAAC491' },
  status_description: 'Оплата прошла. Ваш напиток готовится.',
  status_description_en: 'Payment complete. Your drink is being made.',
  updated_at: '2026-03-02T09:16:10.000Z',
  can_pay: false,
};
const fields: z.input<typeof orderFieldsSchema> = {
  order_id: orderId,
  device_id: 'lobby',
  product_id: 'cappuccino',
  product_name: 'Cappuccino',
  size: '300 ml',
  price: { amount_minor: 18900, currency: 'RUB' },
  provider: 'yookassa',
  customer_email: null,
  created_at: created,
  expires_at: '2026-03-02T09:30:00.000Z',
  payment_started_at: '2026-03-02T09:15:20.000Z',
  next_check_at: null,
  last_check_at: '2026-03-02T09:16:05.000Z',
  check_attempts: 2,
  failed_checks: 0,
  failure_reason: null,
  failed_presentation_desc: null,
  provider_payment_id: '2f9a6c1e-000f-5000-9000-1b68e7b15f3f',
  stuck_alerted: false,
  recheck_at: null,
  late_checks: 0,
  no_money_since: null,
};

const id = 'The order (its `order_id`).';
const orderNotFound = err(404, 'order_not_found', `no order with id ${orderId}`);
const payErrors: ErrorCase[] = [
  err(400, 'payer_required', 'MTN MoMo needs the payer_msisdn of the wallet to charge'),
  orderNotFound,
  err(409, 'order_not_payable', `order ${orderId} is expired and cannot be paid`),
  err(409, 'payment_in_progress', `the payment of order ${orderId} is being started; try again in a moment`),
  err(502, 'provider_error', 'the payment provider refused the request (HTTP 400)'),
  err(502, 'provider_unavailable', 'the payment provider could not be reached; try again'),
  err(504, 'provider_timeout', 'the payment provider did not answer in time; try again'),
];
const page =
  '<!doctype html><html lang="ru"><head><title>Заказ создан · заказ 6BAAC491</title>…</head><body>…</body></html>';
const notFoundPage =
  '<!doctype html><html lang="en"><head><title>Page not found</title>…</head><body><main id="main"><h1>Page not found</h1>…</main></body></html>';
const pageQuery = z.object({
  lang: z.enum(['ru', 'en']).optional(),
  problem: z.enum(['unavailable', 'phone_needed', 'in_progress']).optional(),
});

/** The public order API (orders/routes.ts). */
export const orderDocs = {
  create: documented('/v1/orders', () => ({
    operationId: 'createOrder',
    summary: 'Create an order',
    description:
      "Prices are integer minor units (18900 = 189.00 RUB). The order belongs to its device's merchant and pays through that merchant's account for the provider (the environment's PAYMENT_PROVIDER when absent). The answer is the customer's status view; send the customer to `/orders/{order_id}`, or call pay.",
    tags: ['Orders'],
    access: 'public',
    idempotent: true,
    body: json(createOrderSchema, {
      coffee: {
        device_id: 'lobby',
        product_id: 'cappuccino',
        product_name: 'Cappuccino',
        size: '300 ml',
        price: 18900,
        currency: 'RUB',
      },
      ticket: {
        device_id: 'box-office',
        product_id: 'concert-2026-05-01',
        product_name: 'Concert, 1 May',
        size: 'Standing',
        price: 250000,
        currency: 'RUB',
        provider: 'tbank',
        customer_email: 'anna@example.com',
      },
    }),
    responses: {
      201: { description: 'The order, `created`.', content: json(orderStatusViewSchema, { created: statusCreated }) },
    },
    errors: [
      err(400, 'unknown_provider', 'no payment provider "paypal" is configured'),
      err(404, 'device_not_found', 'no device with id lobby-9'),
      err(409, 'merchant_disabled', 'merchant lome-1 is disabled'),
    ],
  })),
  pay: documented('/v1/orders/:id/pay', () => ({
    operationId: 'payOrder',
    summary: 'Start the payment (or present it again)',
    description:
      "Moves a `created` order to `pending` and answers the provider's payment page; a `pending` order answers the same page again, never a second payment. One start at a time per order: a concurrent call gets the recorded page, or 409 `payment_in_progress` while it is being created. Mobile money (MTN MoMo) needs the payer's phone.",
    tags: ['Orders'],
    access: 'public',
    idempotent: true,
    params: { id },
    body: {
      ...json(payOrderSchema, { card: {}, momo: { payer_msisdn: '22997000001' } }),
      required: false,
      description: 'May be empty.',
    },
    responses: {
      200: {
        description: 'The page where the customer pays.',
        content: json(payAnswerSchema, {
          yookassa: {
            confirmation_url:
              'https://yoomoney.ru/checkout/payments/v2/contract?orderId=2f9a6c1e-000f-5000-9000-1b68e7b15f3f',
          },
        }),
      },
    },
    errors: payErrors,
  })),
  status: documented('/v1/order-status/:id', () => ({
    operationId: 'getOrderStatus',
    summary: 'What the customer sees: status, texts, price, machine',
    description:
      'The JSON behind the status page: every text comes from the current status, in Russian and English. Poll it until `final`; `Cache-Control: no-store`.',
    tags: ['Orders'],
    access: 'public',
    params: { id },
    responses: {
      200: {
        description: "The order's status view.",
        content: json(orderStatusViewSchema, { created: statusCreated, make_pending: statusMaking }),
      },
    },
    errors: [orderNotFound],
  })),
};

/** The customer's pages (orders/pages.tsx): HTML, never JSON. */
export const orderPageDocs = {
  page: documented('/orders/:id', () => ({
    operationId: 'getOrderPage',
    summary: "The customer's status page",
    description:
      'HTML in Russian or English (`?lang=`, else Accept-Language), live until the order can no longer change, with Pay / Try again while the order can be paid. Served under a nonce CSP; `Cache-Control: no-store`.',
    tags: ['Customer pages'],
    access: 'public',
    params: { id },
    query: {
      schema: pageQuery,
      descriptions: {
        lang: 'The language of the page.',
        problem: 'Set by the Pay form when the payment could not start: the page says what to do.',
      },
      invalidQuery: false,
    },
    responses: {
      200: { description: 'The page.', content: text('text/html', { created: page }) },
      404: { description: 'No such order: the 404 page.', content: text('text/html', { not_found: notFoundPage }) },
    },
  })),
  returnPage: documented('/orders/:id/return', () => ({
    operationId: 'getOrderReturnPage',
    summary: 'Where the provider sends the customer back: the same status page',
    description: 'Proves nothing (rule 9): it shows the status page, never marks anything paid.',
    tags: ['Customer pages'],
    access: 'public',
    params: { id },
    query: {
      schema: pageQuery.pick({ lang: true }),
      descriptions: { lang: 'The language of the page.' },
      invalidQuery: false,
    },
    responses: {
      200: { description: 'The page.', content: text('text/html', { pending: page }) },
      404: { description: 'No such order: the 404 page.', content: text('text/html', { not_found: notFoundPage }) },
    },
  })),
  pay: documented('/orders/:id/pay', () => ({
    operationId: 'payOrderFromPage',
    summary: "The page's Pay button (a form post)",
    description:
      "Starts the payment, or presents the one the order already has, and redirects the phone to the provider's page (303). When it cannot (a phone number is needed, the provider is unavailable, a start in progress, the order cannot be paid) it redirects back to the status page, which says what to do.",
    tags: ['Customer pages'],
    access: 'public',
    params: { id },
    body: {
      contentType: 'application/x-www-form-urlencoded',
      schema: payFormSchema,
      examples: { card: { lang: 'ru' }, momo: { lang: 'en', payer_msisdn: '22997000001' } },
      required: false,
    },
    rawBody: true,
    responses: {
      303: {
        description:
          "To the provider's payment page, or back to `/orders/{id}?lang=…` (with `&problem=unavailable|phone_needed|in_progress` when the payment could not start).",
        headers: { Location: { description: 'Where the browser goes next.', schema: { type: 'string' } } },
      },
      404: { description: 'No such order: the 404 page.', content: text('text/html', { not_found: notFoundPage }) },
    },
  })),
};

/** The operator's order routes under /v1/admin (orders/admin-routes.ts). */
export const orderAdminDocs = {
  list: documented('/orders', () => ({
    operationId: 'listOrders',
    summary: 'List orders, newest first',
    description: "A merchant's keys list their own merchant's orders; platform keys every merchant's, or one.",
    tags: ['Admin: orders'],
    access: 'read_only',
    query: {
      schema: orderListQuery,
      descriptions: {
        merchant_id: "Platform keys: one merchant's orders.",
        created_before: 'The page after: the `created_at` of the last order seen.',
      },
    },
    responses: {
      200: {
        description: 'The orders.',
        content: json(z.strictObject({ orders: z.array(adminOrderSchema) }), {
          one: { orders: [{ status: 'successful', version: 5, merchant_id: 'default', ...fields }] },
        }),
      },
    },
  })),
  get: documented('/orders/:id', () => ({
    operationId: 'getOrder',
    summary: 'One order, with its audit trail and ticket',
    tags: ['Admin: orders'],
    access: 'read_only',
    params: { id },
    responses: {
      200: {
        description: 'The order.',
        content: json(adminOrderDetailSchema, {
          successful: {
            status: 'successful',
            version: 5,
            merchant_id: 'default',
            order: fields,
            events: [
              {
                id: 41,
                order_id: orderId,
                from: null,
                to: 'created',
                event: 'ORDER_CREATED',
                source: 'api',
                at: created,
                applied: true,
                payload: {},
              },
              {
                id: 44,
                order_id: orderId,
                from: 'pending',
                to: 'paid',
                event: 'PAYMENT_OBSERVED',
                source: 'webhook',
                at: '2026-03-02T09:16:05.000Z',
                applied: true,
                payload: { source: 'webhook', status: 'succeeded', amount: { amount_minor: 18900, currency: 'RUB' } },
              },
            ],
            ticket: null,
          },
        }),
      },
    },
    errors: [orderNotFound],
  })),
  action: documented('/orders/:id/actions', () => ({
    operationId: 'actOnOrder',
    summary: "An operator's action: mark made, refund, resolve, verify",
    description:
      "`mark_made` (the drink or ticket was handed over by hand), `refund` (the money goes back), `resolve` (a review closed), `verify` (ask the provider now, as the poller would). Audited with who acted: the key's label; `operator` is required only with ADMIN_TOKEN.",
    tags: ['Admin: orders'],
    access: 'merchant_admin',
    params: { id },
    body: json(actionSchema, {
      refund: { action: 'refund', note: 'machine jammed' },
      bootstrap: { action: 'mark_made', operator: 'anna', note: 'made by hand' },
    }),
    responses: {
      200: {
        description: 'The status after the action.',
        content: json(
          z.strictObject({ order_id: z.string(), status: orderStatusSchema }).meta({ id: 'OrderActionAnswer' }),
          {
            refunded: { order_id: orderId, status: 'refunded' },
          },
        ),
      },
    },
    errors: [
      err(400, 'validation_failed', 'operator: required with ADMIN_TOKEN (an API key names its holder)'),
      orderNotFound,
      err(409, 'action_not_allowed', 'cannot mark made an order that is successful'),
    ],
  })),
};
