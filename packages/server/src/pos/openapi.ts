import { z } from 'zod';
import { currencySchema, paymentStatuses } from '@paystate/core';
import { documented, err, json, text, type ErrorCase } from '../http/openapi.js';
import { idSchema } from '../http/validate.js';
import {
  closeDrawerSchema,
  confirmCashSchema,
  drawerCashSchema,
  drawerListQuery,
  drawerQuery,
  methodListQuery,
  methodPatchSchema,
  newMethodSchema,
  newPaymentSchema,
  openDrawerSchema,
  paymentListQuery,
  providerCodeSchema,
  refundSchema,
} from './routes.js';

// The answers of the POS routes (pos/views.ts): snake_case, amounts in minor units with their currency.

const timestamp = z.iso.datetime();
const minor = z.number().int();

export const paymentMethodSchema = z
  .strictObject({
    provider_code: z.string(),
    account_id: z.string().nullable().describe("The merchant's provider account; null: the environment's."),
    display_name: z.string(),
    active: z.boolean(),
    sort_order: z.number().int(),
    public_config: z.record(z.string(), z.string()).describe("Shown to the payer's device; never secrets."),
    available: z
      .boolean()
      .describe('False when this server has no credentials for the provider: the method is not offered.'),
    created_at: timestamp,
    updated_at: timestamp,
  })
  .meta({ id: 'PaymentMethod' });

export const posPaymentSchema = z
  .strictObject({
    payment_id: z.string(),
    merchant_id: idSchema,
    method: z.string().describe('The payment method (its provider code, or `cash`).'),
    provider_account_id: z.string().nullable(),
    amount_minor: minor,
    currency: currencySchema,
    status: z.enum(paymentStatuses),
    refunded_minor: minor,
    refundable_minor: minor.describe('What a refund may still take back (0 until captured).'),
    description: z.string(),
    provider_payment_id: z.string().nullable(),
    confirmation_url: z
      .string()
      .nullable()
      .describe('Where the payer confirms (a Wave or SumUp checkout), when the provider has one.'),
    failure_reason: z.string().nullable(),
    drawer_session_id: z.string().nullable().describe('The cash drawer session a cash payment went into.'),
    created_at: timestamp,
    updated_at: timestamp,
  })
  .meta({ id: 'PosPayment' });

export const posRefundSchema = z
  .strictObject({
    refund_id: z.string(),
    payment_id: z.string(),
    amount_minor: minor,
    currency: currencySchema,
    status: z
      .enum(['requested', 'succeeded', 'failed', 'review'])
      .describe('`requested`: not settled yet; `review`: the outcome is unknown and an operator must look.'),
    reason: z.string().nullable(),
    last_error: z.string().nullable(),
    drawer_session_id: z.string().nullable(),
    requested_by: z.string().nullable().describe("Who asked for it (the API key's label)."),
    created_at: timestamp,
    updated_at: timestamp,
  })
  .meta({ id: 'PosRefund' });

export const drawerSessionSchema = z
  .strictObject({
    session_id: z.string(),
    merchant_id: idSchema,
    till_id: idSchema,
    status: z.enum(['open', 'closed']),
    currency: currencySchema,
    opening_minor: minor,
    cash_in_minor: minor,
    cash_out_minor: minor,
    expected_minor: minor.describe('Opening + cash in - cash out.'),
    counted_minor: minor.nullable().describe('The count on closing; null while open.'),
    variance_minor: minor.nullable().describe('Counted - expected; null while open.'),
    opened_at: timestamp,
    opened_by: z.string().nullable(),
    closed_at: timestamp.nullable(),
    closed_by: z.string().nullable(),
    close_note: z.string().nullable(),
  })
  .meta({ id: 'DrawerSession' });

export const drawerMovementSchema = z
  .strictObject({
    direction: z.enum(['in', 'out']),
    amount_minor: minor,
    payment_id: z.string().nullable(),
    refund_id: z.string().nullable(),
    note: z.string().nullable(),
    at: timestamp,
  })
  .meta({ id: 'DrawerMovement' });

const paymentWithRefunds = posPaymentSchema.extend({ refunds: z.array(posRefundSchema) });

const at = '2026-03-02T12:30:00.000Z';
const later = '2026-03-02T12:31:10.000Z';
const waveMethod: z.input<typeof paymentMethodSchema> = {
  provider_code: 'wave',
  account_id: null,
  display_name: 'Wave',
  active: true,
  sort_order: 0,
  public_config: { merchant_number: '+221 77 000 00 00' },
  available: true,
  created_at: at,
  updated_at: at,
};
const wavePayment: z.input<typeof posPaymentSchema> = {
  payment_id: 'b1f7c1d2-7a3e-5c9b-8d4f-0e2a6c1b9f33',
  merchant_id: 'dakar-1',
  method: 'wave',
  provider_account_id: null,
  amount_minor: 5000,
  currency: 'XOF',
  status: 'success',
  refunded_minor: 0,
  refundable_minor: 5000,
  description: 'Table 4',
  provider_payment_id: 'cos-1x8v2k3m4n5p6',
  confirmation_url: 'https://pay.wave.com/c/cos-1x8v2k3m4n5p6',
  failure_reason: null,
  drawer_session_id: null,
  created_at: at,
  updated_at: later,
};
const pendingWave = {
  ...wavePayment,
  status: 'pending' as const,
  refundable_minor: 0,
  updated_at: at,
};
const cashPayment: z.input<typeof posPaymentSchema> = {
  ...wavePayment,
  payment_id: '4c2d8e1f-9b3a-5d7c-a1e6-7f0b2c9d8e44',
  method: 'cash',
  provider_payment_id: null,
  confirmation_url: null,
  drawer_session_id: 'd7e3a9c1-2b4f-4e6a-8c0d-5f1b3a7e9c22',
};
const refund: z.input<typeof posRefundSchema> = {
  refund_id: 'e9a1b3c5-d7f9-5b2d-8f4a-6c8e0a2c4e66',
  payment_id: wavePayment.payment_id,
  amount_minor: 2000,
  currency: 'XOF',
  status: 'succeeded',
  reason: 'cold dish',
  last_error: null,
  drawer_session_id: null,
  requested_by: 'Awa',
  created_at: later,
  updated_at: later,
};
const openDrawer: z.input<typeof drawerSessionSchema> = {
  session_id: 'd7e3a9c1-2b4f-4e6a-8c0d-5f1b3a7e9c22',
  merchant_id: 'dakar-1',
  till_id: 'main',
  status: 'open',
  currency: 'XOF',
  opening_minor: 20000,
  cash_in_minor: 5000,
  cash_out_minor: 0,
  expected_minor: 25000,
  counted_minor: null,
  variance_minor: null,
  opened_at: '2026-03-02T08:00:00.000Z',
  opened_by: 'Awa',
  closed_at: null,
  closed_by: null,
  close_note: null,
};
const closedDrawer: z.input<typeof drawerSessionSchema> = {
  ...openDrawer,
  status: 'closed',
  counted_minor: 24500,
  variance_minor: -500,
  closed_at: '2026-03-02T22:00:00.000Z',
  closed_by: 'Awa',
  close_note: 'change given twice at table 2',
};

const merchantId = 'The merchant whose till it is: a key of that merchant, or a platform key.';
const paymentId = 'The payment (its `payment_id`).';
const merchantNotFound = err(404, 'merchant_not_found', 'no merchant with id dakar-9');
const paymentNotFound = err(404, 'payment_not_found', 'no payment with id b1f7c1d2-7a3e-5c9b-8d4f-0e2a6c1b9f33');
const methodNotFound = err(404, 'method_not_found', 'merchant dakar-1 has no orange_money payment method');
const drawerNotOpen = err(409, 'drawer_not_open', 'merchant dakar-1 has no open cash drawer session');
const providerErrors: ErrorCase[] = [
  err(502, 'provider_error', 'the payment provider refused the request (HTTP 400)'),
  err(502, 'provider_unavailable', 'the payment provider could not be reached; try again'),
  err(504, 'provider_timeout', 'the payment provider did not answer in time; try again'),
];
const tillQuery = { till_id: 'Which till (docs/pos.md); a single-till set-up never names one.' };

/** The restaurant POS under /v1/merchants/:merchantId (pos/routes.ts). */
export const posDocs = {
  listMethods: documented('/:merchantId/payment-methods', () => ({
    operationId: 'listPaymentMethods',
    summary: 'List the payment methods',
    tags: ['POS: payment methods'],
    access: 'read_only',
    params: { merchantId },
    query: {
      schema: methodListQuery,
      descriptions: { offered: '`true`: only what the till offers now (active and available), in its order.' },
    },
    responses: {
      200: {
        description: 'The methods.',
        content: json(z.strictObject({ methods: z.array(paymentMethodSchema) }), { one: { methods: [waveMethod] } }),
      },
    },
    errors: [merchantNotFound],
  })),
  createMethod: documented('/:merchantId/payment-methods', () => ({
    operationId: 'createPaymentMethod',
    summary: 'Add a payment method',
    description: 'One method per provider per merchant; `cash` needs no provider.',
    tags: ['POS: payment methods'],
    access: 'merchant_admin',
    idempotent: true,
    params: { merchantId },
    body: json(newMethodSchema, {
      wave: { provider_code: 'wave', display_name: 'Wave', public_config: { merchant_number: '+221 77 000 00 00' } },
      cash: { provider_code: 'cash', display_name: 'Espèces', sort_order: 9 },
    }),
    responses: { 201: { description: 'The new method.', content: json(paymentMethodSchema, { wave: waveMethod }) } },
    errors: [
      err(400, 'unknown_provider', 'no payment provider "paypal" is configured'),
      err(400, 'account_provider_mismatch', 'account 5d1c7e9a is a sumup account, not wave'),
      merchantNotFound,
      err(404, 'provider_account_not_found', 'no provider_account with id acct-9'),
      err(409, 'method_exists', 'merchant dakar-1 already has a wave payment method'),
    ],
  })),
  updateMethod: documented('/:merchantId/payment-methods/:providerCode', () => ({
    operationId: 'updatePaymentMethod',
    summary: 'Change a payment method',
    tags: ['POS: payment methods'],
    access: 'merchant_admin',
    params: { merchantId, providerCode: { description: "The method's provider code.", schema: providerCodeSchema } },
    body: json(methodPatchSchema, { pause: { active: false }, rename: { display_name: 'Wave (QR)', sort_order: 1 } }),
    responses: {
      200: {
        description: 'The method as it is now.',
        content: json(paymentMethodSchema, { paused: { ...waveMethod, active: false } }),
      },
    },
    errors: [err(400, 'validation_failed', '(body): nothing to change'), merchantNotFound, methodNotFound],
  })),
  deleteMethod: documented('/:merchantId/payment-methods/:providerCode', () => ({
    operationId: 'deletePaymentMethod',
    summary: 'Remove a payment method',
    tags: ['POS: payment methods'],
    access: 'merchant_admin',
    params: { merchantId, providerCode: { description: "The method's provider code.", schema: providerCodeSchema } },
    responses: { 204: { description: 'Removed.' } },
    errors: [merchantNotFound, methodNotFound],
  })),
  createPayment: documented('/:merchantId/payments', () => ({
    operationId: 'createPosPayment',
    summary: 'Take a payment',
    description:
      'Records the payment, then asks the provider (cash waits for `confirm-cash`). 201 when the provider answered; 202 when its outcome is unknown (a timeout): the payment is recorded and `check` completes it. The Idempotency-Key names the payment itself: a retry with it finds the same payment, never a second one. A disabled merchant takes no new payments.',
    tags: ['POS: payments'],
    access: 'cashier',
    idempotent: true,
    params: { merchantId },
    body: json(newPaymentSchema, {
      wave: { method: 'wave', amount_minor: 5000, currency: 'XOF', description: 'Table 4' },
      momo: { method: 'mtn_momo', amount_minor: 5000, currency: 'XOF', payer_msisdn: '22997000001' },
      cash: { method: 'cash', amount_minor: 5000, currency: 'XOF' },
    }),
    responses: {
      201: {
        description:
          'The payment, started: pending, with its `confirmation_url` where the provider has one (cash waits for `confirm-cash`).',
        content: json(posPaymentSchema, {
          wave: pendingWave,
          cash: { ...cashPayment, status: 'pending', refundable_minor: 0, drawer_session_id: null },
        }),
      },
      202: {
        description: "The payment is recorded but the provider's answer is unknown: `check` settles it.",
        content: json(posPaymentSchema, {
          unknown: { ...pendingWave, provider_payment_id: null, confirmation_url: null },
        }),
      },
    },
    errors: [
      err(400, 'payer_required', 'MTN MoMo needs the payer_msisdn of the wallet to charge'),
      merchantNotFound,
      methodNotFound,
      err(409, 'method_inactive', 'the wave payment method of merchant dakar-1 is not active'),
      err(409, 'merchant_disabled', 'merchant dakar-1 is disabled'),
      err(422, 'idempotency_key_reused', 'this Idempotency-Key already stands for payment b1f7c1d2; send a new key'),
      ...providerErrors,
    ],
  })),
  listPayments: documented('/:merchantId/payments', () => ({
    operationId: 'listPosPayments',
    summary: 'List payments, newest first',
    tags: ['POS: payments'],
    access: 'read_only',
    params: { merchantId },
    query: {
      schema: paymentListQuery,
      descriptions: { created_before: 'The page after: the `created_at` of the last payment seen.' },
    },
    responses: {
      200: {
        description: 'The payments.',
        content: json(z.strictObject({ payments: z.array(posPaymentSchema) }), { one: { payments: [wavePayment] } }),
      },
    },
    errors: [merchantNotFound],
  })),
  getPayment: documented('/:merchantId/payments/:paymentId', () => ({
    operationId: 'getPosPayment',
    summary: 'One payment, with its refunds',
    tags: ['POS: payments'],
    access: 'read_only',
    params: { merchantId, paymentId },
    responses: {
      200: {
        description: 'The payment.',
        content: json(paymentWithRefunds, {
          refunded: {
            ...wavePayment,
            status: 'partially_refunded',
            refunded_minor: 2000,
            refundable_minor: 3000,
            refunds: [refund],
          },
        }),
      },
    },
    errors: [merchantNotFound, paymentNotFound],
  })),
  confirmCash: documented('/:merchantId/payments/:paymentId/confirm-cash', () => ({
    operationId: 'confirmCashPayment',
    summary: 'The cashier took the cash',
    description: "Moves a pending cash payment to `success` and its cash into the till's open drawer session.",
    tags: ['POS: payments'],
    access: 'cashier',
    idempotent: true,
    params: { merchantId, paymentId },
    body: { ...json(confirmCashSchema, { main: {}, bar: { till_id: 'bar' } }), required: false },
    responses: {
      200: {
        description: 'The payment and the drawer session the cash went into.',
        content: json(posPaymentSchema.extend({ drawer: drawerSessionSchema }), {
          confirmed: { ...cashPayment, drawer: openDrawer },
        }),
      },
    },
    errors: [
      merchantNotFound,
      paymentNotFound,
      err(409, 'payment_not_cash', 'payment b1f7c1d2 is paid with wave, not cash'),
      err(409, 'payment_not_confirmable', 'payment 4c2d8e1f is success; only a pending cash payment can be confirmed'),
      drawerNotOpen,
      err(409, 'drawer_refused', 'drawer holds XOF, not EUR'),
    ],
  })),
  check: documented('/:merchantId/payments/:paymentId/check', () => ({
    operationId: 'checkPosPayment',
    summary: 'Ask the provider now',
    description:
      'Reads the payment (and what was refunded) back from the provider, as the poller would, and settles what was unknown: a payment whose creation timed out is re-sent with the same provider key, a refund being sent is settled. Another amount or currency changes nothing and answers `amount_mismatch: true` (an operator must look).',
    tags: ['POS: payments'],
    access: 'cashier',
    idempotent: true,
    params: { merchantId, paymentId },
    responses: {
      200: {
        description: 'The payment as it is now.',
        content: json(
          paymentWithRefunds.extend({
            observed: z
              .enum(['pending', 'succeeded', 'canceled', 'waiting_for_capture'])
              .nullable()
              .describe('What the provider said; null for cash or when nothing needed asking.'),
            amount_mismatch: z.boolean(),
          }),
          { paid: { ...wavePayment, refunds: [], observed: 'succeeded', amount_mismatch: false } },
        ),
      },
    },
    errors: [merchantNotFound, paymentNotFound, ...providerErrors],
  })),
  listRefunds: documented('/:merchantId/payments/:paymentId/refunds', () => ({
    operationId: 'listPosRefunds',
    summary: "A payment's refunds",
    tags: ['POS: refunds'],
    access: 'read_only',
    params: { merchantId, paymentId },
    responses: {
      200: {
        description: 'The refunds, oldest first.',
        content: json(z.strictObject({ refunds: z.array(posRefundSchema) }), { one: { refunds: [refund] } }),
      },
    },
    errors: [merchantNotFound, paymentNotFound],
  })),
  refund: documented('/:merchantId/payments/:paymentId/refunds', () => ({
    operationId: 'refundPosPayment',
    summary: 'Refund a payment, whole or in part',
    description:
      "The refund is recorded before the provider is called, and the Idempotency-Key names it: a retry continues the same refund, never a second one. 201 once the provider answered; 202 while its outcome is unknown (`check` settles it). A cash refund's cash comes out of the till's open session.",
    tags: ['POS: refunds'],
    access: 'cashier',
    idempotent: true,
    params: { merchantId, paymentId },
    body: json(refundSchema, {
      part: { amount_minor: 2000, reason: 'cold dish' },
      cash: { amount_minor: 5000, till_id: 'bar' },
    }),
    responses: {
      201: {
        description: 'The refund, with the payment and (cash) the drawer session as they are now.',
        content: json(posRefundSchema.extend({ payment: posPaymentSchema, drawer: drawerSessionSchema.nullable() }), {
          wave: {
            ...refund,
            payment: { ...wavePayment, status: 'partially_refunded', refunded_minor: 2000, refundable_minor: 3000 },
            drawer: null,
          },
        }),
      },
      202: {
        description: "The refund is recorded and sent, but the provider's outcome is unknown: `check` settles it.",
        content: json(posRefundSchema.extend({ payment: posPaymentSchema, drawer: drawerSessionSchema.nullable() }), {
          unknown: {
            ...refund,
            status: 'requested',
            payment: { ...wavePayment, status: 'partially_refunded', refunded_minor: 2000, refundable_minor: 3000 },
            drawer: null,
          },
        }),
      },
    },
    errors: [
      merchantNotFound,
      paymentNotFound,
      err(409, 'payment_not_refundable', 'payment b1f7c1d2 is pending; only a captured payment can be refunded'),
      drawerNotOpen,
      err(
        422,
        'refund_exceeds_refundable',
        'a refund of 6000 exceeds what payment b1f7c1d2 can still refund (5000 XOF)',
      ),
      err(422, 'refund_not_supported', 'Orange Money refunds are made by the merchant in their portal'),
      ...providerErrors,
    ],
  })),
  openDrawer: documented('/:merchantId/drawer/open', () => ({
    operationId: 'openDrawer',
    summary: "Open a till's cash drawer session",
    tags: ['POS: cash drawer'],
    access: 'cashier',
    idempotent: true,
    params: { merchantId },
    body: json(openDrawerSchema, {
      main: { opening_minor: 20000, currency: 'XOF' },
      bar: { opening_minor: 10000, currency: 'XOF', till_id: 'bar' },
    }),
    responses: {
      201: {
        description: 'The open session.',
        content: json(drawerSessionSchema, { opened: { ...openDrawer, cash_in_minor: 0, expected_minor: 20000 } }),
      },
    },
    errors: [
      merchantNotFound,
      err(409, 'drawer_already_open', 'merchant dakar-1 already has an open cash drawer session'),
    ],
  })),
  drawer: documented('/:merchantId/drawer', () => ({
    operationId: 'getOpenDrawer',
    summary: "A till's open drawer session",
    tags: ['POS: cash drawer'],
    access: 'read_only',
    params: { merchantId },
    query: { schema: drawerQuery, descriptions: tillQuery },
    responses: { 200: { description: 'The open session.', content: json(drawerSessionSchema, { open: openDrawer }) } },
    errors: [merchantNotFound, err(404, 'drawer_not_open', 'merchant dakar-1 has no open cash drawer session')],
  })),
  drawerCash: documented('/:merchantId/drawer/cash', () => ({
    operationId: 'moveDrawerCash',
    summary: 'Cash in or out of the open session (change, a float, a pay-out)',
    tags: ['POS: cash drawer'],
    access: 'cashier',
    idempotent: true,
    params: { merchantId },
    body: json(drawerCashSchema, {
      float: { direction: 'in', amount_minor: 5000, note: 'change from the bank' },
      payout: { direction: 'out', amount_minor: 1500, note: 'ice delivery', till_id: 'bar' },
    }),
    responses: {
      200: {
        description: 'The session as it is now.',
        content: json(drawerSessionSchema, { in: { ...openDrawer, cash_in_minor: 10000, expected_minor: 30000 } }),
      },
    },
    errors: [merchantNotFound, drawerNotOpen, err(409, 'drawer_refused', 'drawer holds XOF, not EUR')],
  })),
  closeDrawer: documented('/:merchantId/drawer/close', () => ({
    operationId: 'closeDrawer',
    summary: 'Close the session with the counted cash',
    description: 'The answer has the variance (counted - expected); the note explains one.',
    tags: ['POS: cash drawer'],
    access: 'cashier',
    idempotent: true,
    params: { merchantId },
    body: json(closeDrawerSchema, {
      counted: { counted_minor: 24500, note: 'change given twice at table 2' },
    }),
    responses: {
      200: { description: 'The closed session.', content: json(drawerSessionSchema, { closed: closedDrawer }) },
    },
    errors: [merchantNotFound, drawerNotOpen, err(409, 'drawer_refused', 'drawer holds XOF, not EUR')],
  })),
  drawerSessions: documented('/:merchantId/drawer/sessions', () => ({
    operationId: 'listDrawerSessions',
    summary: 'Drawer sessions, newest first',
    tags: ['POS: cash drawer'],
    access: 'read_only',
    params: { merchantId },
    query: { schema: drawerListQuery, descriptions: { till_id: 'One till only; every till when absent.' } },
    responses: {
      200: {
        description: 'The sessions.',
        content: json(z.strictObject({ sessions: z.array(drawerSessionSchema) }), {
          two: { sessions: [openDrawer, { ...closedDrawer, session_id: 'a1b2c3d4-0000-4000-8000-000000000001' }] },
        }),
      },
    },
    errors: [merchantNotFound],
  })),
  drawerSession: documented('/:merchantId/drawer/sessions/:sessionId', () => ({
    operationId: 'getDrawerSession',
    summary: 'One drawer session, with its movements',
    tags: ['POS: cash drawer'],
    access: 'read_only',
    params: { merchantId, sessionId: 'The session (its `session_id`).' },
    responses: {
      200: {
        description: 'The session.',
        content: json(drawerSessionSchema.extend({ movements: z.array(drawerMovementSchema) }), {
          closed: {
            ...closedDrawer,
            movements: [
              {
                direction: 'in',
                amount_minor: 5000,
                payment_id: cashPayment.payment_id,
                refund_id: null,
                note: null,
                at,
              },
            ],
          },
        }),
      },
    },
    errors: [
      merchantNotFound,
      err(404, 'drawer_session_not_found', 'no cash drawer session with id d7e3a9c1-2b4f-4e6a-8c0d-5f1b3a7e9c22'),
    ],
  })),
};

/** What the customer holding a POS payment's return link may see (pos/return-view.ts). */
export const posReturnViewSchema = z
  .strictObject({
    payment_id: z.string(),
    merchant_id: idSchema,
    payment_number: z.string().describe("The payment id's first eight characters, upper case, to show at the till."),
    merchant_name: z.string(),
    status: z.enum(paymentStatuses),
    final: z.boolean().describe('No rule can change the payment any more (refunded, nothing on its way).'),
    status_description: z.strictObject({ fr: z.string(), en: z.string() }),
    title: z.strictObject({ fr: z.string(), en: z.string() }),
    amount: z.strictObject({
      amount_minor: minor,
      currency: currencySchema,
      display: z.strictObject({ fr: z.string(), en: z.string() }),
    }),
    description: z.string(),
    created_at: timestamp,
  })
  .meta({ id: 'PosReturnView' });

const returnParams = {
  merchantId: 'The merchant of the payment.',
  paymentId: 'The payment (its `payment_id`).',
};
const returnNotFound =
  '<!doctype html><html lang="en"><head><title>Page not found</title>…</head><body><main id="main"><h1>Page not found</h1>…</main></body></html>';

/** The page a provider sends a POS customer back to, and the JSON it follows (pos/return-pages.tsx). */
export const posReturnDocs = {
  page: documented('/pos/:merchantId/payments/:paymentId/return', () => ({
    operationId: 'getPosReturnPage',
    summary: "The POS customer's page after paying by phone",
    description:
      'HTML in French or English (`?lang=`, else Accept-Language): the amount, the restaurant and what happened to the payment, live until it can no longer change. It never changes a payment: only a `check` or the cashier does.',
    tags: ['Customer pages'],
    access: 'public',
    params: returnParams,
    query: {
      schema: z.object({ lang: z.enum(['fr', 'en']).optional() }),
      descriptions: { lang: 'The language of the page.' },
      invalidQuery: false,
    },
    responses: {
      200: {
        description: 'The page.',
        content: text('text/html', {
          success:
            '<!doctype html><html lang="fr"><head><title>Paiement reçu · Chez Awa</title>…</head><body>…</body></html>',
        }),
      },
      404: { description: 'No such payment: the 404 page.', content: text('text/html', { not_found: returnNotFound }) },
    },
  })),
  status: documented('/pos/:merchantId/payments/:paymentId/status', () => ({
    operationId: 'getPosReturnStatus',
    summary: 'What the POS return page shows, as JSON',
    description:
      'Public: whoever holds the link sees the amount and what happened to it, nothing else. `Cache-Control: no-store`.',
    tags: ['Customer pages'],
    access: 'public',
    params: returnParams,
    responses: {
      200: {
        description: "The payment's public view.",
        content: json(posReturnViewSchema, {
          success: {
            payment_id: wavePayment.payment_id,
            merchant_id: 'dakar-1',
            payment_number: 'B1F7C1D2',
            merchant_name: 'Chez Awa',
            status: 'success',
            final: false,
            status_description: { fr: 'Paiement reçu. Merci !', en: 'Payment received. Thank you!' },
            title: { fr: 'Paiement reçu · Chez Awa', en: 'Payment received · Chez Awa' },
            amount: { amount_minor: 5000, currency: 'XOF', display: { fr: '5 000 F CFA', en: 'F CFA 5,000' } },
            description: 'Table 4',
            created_at: at,
          },
        }),
      },
    },
    errors: [err(404, 'payment_not_found', 'no such payment')],
  })),
};
