import { z } from 'zod';
import { documented, err, json } from '../http/openapi.js';
import { idSchema } from '../http/validate.js';
import { alertListQuery, newChannelSchema } from './routes.js';

// The answers of the alert routes (alerts/views.ts).

const timestamp = z.iso.datetime();

export const alertSchema = z
  .strictObject({
    id: z.string(),
    kind: z
      .string()
      .describe(
        '`amount_mismatch`, `manual_make`, `make_failed`, `provider_unreachable`, `refund_failed`, `refund_review`, `waiting_for_capture`, `stuck`, `provider_account_renewal_failed` ...',
      ),
    merchant_id: idSchema.nullable().describe('Null for a platform-level alert.'),
    order_id: z.string().nullable(),
    payment_id: z.string().nullable(),
    details: z.record(z.string(), z.unknown()).describe('What the raiser said, keys in snake_case.'),
    created_at: timestamp,
    acknowledged_at: timestamp.nullable(),
    acknowledged_by: z.string().nullable(),
  })
  .meta({ id: 'Alert' });

export const alertChannelSchema = z
  .strictObject({
    id: z.string(),
    merchant_id: idSchema,
    kind: z.enum(['email', 'webhook']),
    target: z.string().describe('An e-mail address, or the webhook URL.'),
    master_key_id: z.string().nullable().describe('Webhooks: the master key that sealed the signing secret.'),
    active: z.boolean().describe('False once deleted: no new digest opens for it.'),
    created_at: timestamp,
  })
  .meta({ id: 'AlertChannel' });

export const alertDeliverySchema = z
  .strictObject({
    id: z.string(),
    channel_id: z.string(),
    window_start: timestamp,
    window_end: timestamp.describe("The digest holds the merchant's alerts created in [window_start, window_end)."),
    status: z.enum(['pending', 'sent', 'failed']),
    attempts: z.number().int(),
    next_attempt_at: timestamp,
    last_error: z.string().nullable(),
  })
  .meta({ id: 'AlertDelivery' });

const at = '2026-03-02T09:20:00.000Z';
const alert: z.input<typeof alertSchema> = {
  id: '8e2f4a6c-1b3d-4f5a-9c7e-0d2b4f6a8c11',
  kind: 'make_failed',
  merchant_id: 'default',
  order_id: '6baac491-6a5e-4bd4-9c7f-2d3e0a1b5c77',
  payment_id: null,
  details: { device_id: 'lobby', reason: 'device_failed' },
  created_at: at,
  acknowledged_at: null,
  acknowledged_by: null,
};
const hook: z.input<typeof alertChannelSchema> = {
  id: '3c5e7a9b-2d4f-4a6c-8e0b-1f3d5a7c9e22',
  merchant_id: 'lome-1',
  kind: 'webhook',
  target: 'https://ops.example.com/paystate-alerts',
  master_key_id: 'k1',
  active: true,
  created_at: at,
};
const mail: z.input<typeof alertChannelSchema> = {
  ...hook,
  id: '9a1c3e5f-7b2d-4c6e-8a0f-2b4d6f8a0c33',
  kind: 'email',
  target: 'owner@example.com',
  master_key_id: null,
};
const alertId = 'The alert (its `id`).';
const alertNotFound = err(404, 'alert_not_found', 'no alert with id 8e2f4a6c-1b3d-4f5a-9c7e-0d2b4f6a8c11');
const merchantId = 'The merchant (its `id`).';
const merchantNotFound = err(404, 'merchant_not_found', 'no merchant with id lome-9');
const channelId = 'The channel (its `id`).';
const channelNotFound = err(404, 'alert_channel_not_found', 'no alert_channel with id 3c5e7a9b');

/** Alerts under /v1/admin (alerts/routes.ts). */
export const alertDocs = {
  list: documented('/alerts', () => ({
    operationId: 'listAlerts',
    summary: 'List alerts, newest first',
    description:
      "A merchant's keys list their merchant's alerts; platform keys every alert (platform-level ones too), or one merchant's.",
    tags: ['Alerts'],
    access: 'read_only',
    query: {
      schema: alertListQuery,
      descriptions: {
        status: '`open`: not acknowledged yet; `acknowledged`: the others. Both when absent.',
        kind: 'One kind of alert.',
        merchant_id: "Platform keys: one merchant's alerts.",
      },
    },
    responses: {
      200: {
        description: 'The alerts.',
        content: json(z.strictObject({ alerts: z.array(alertSchema) }), { one: { alerts: [alert] } }),
      },
    },
    errors: [merchantNotFound],
  })),
  get: documented('/alerts/:alertId', () => ({
    operationId: 'getAlert',
    summary: 'One alert',
    tags: ['Alerts'],
    access: 'read_only',
    params: { alertId },
    responses: { 200: { description: 'The alert.', content: json(alertSchema, { open: alert }) } },
    errors: [alertNotFound],
  })),
  acknowledge: documented('/alerts/:alertId/acknowledge', () => ({
    operationId: 'acknowledgeAlert',
    summary: 'Acknowledge an alert',
    description:
      "Records who (the key's label) and when; the first acknowledgement stays, a repeat answers the alert as it is.",
    tags: ['Alerts'],
    access: 'merchant_admin',
    params: { alertId },
    responses: {
      200: {
        description: 'The alert, acknowledged.',
        content: json(alertSchema, {
          acknowledged: { ...alert, acknowledged_at: '2026-03-02T09:40:00.000Z', acknowledged_by: 'Anna' },
        }),
      },
    },
    errors: [alertNotFound],
  })),
};

/** A merchant's alert channels under /v1/merchants/:merchantId (alerts/routes.ts). */
export const alertChannelDocs = {
  list: documented('/:merchantId/alert-channels', () => ({
    operationId: 'listAlertChannels',
    summary: "A merchant's alert channels",
    tags: ['Alert channels'],
    access: 'merchant_admin',
    params: { merchantId },
    responses: {
      200: {
        description: 'The channels, inactive ones included.',
        content: json(z.strictObject({ alert_channels: z.array(alertChannelSchema) }), {
          two: { alert_channels: [hook, mail] },
        }),
      },
    },
    errors: [merchantNotFound],
  })),
  create: documented('/:merchantId/alert-channels', () => ({
    operationId: 'createAlertChannel',
    summary: 'Add an e-mail or webhook channel',
    description:
      "A webhook channel's answer carries its signing secret (`whsec_…`, Standard Webhooks) once: it is kept sealed and never shown again. E-mail channels need SMTP_URL; webhooks the master key. `Cache-Control: no-store`.",
    tags: ['Alert channels'],
    access: 'merchant_admin',
    params: { merchantId },
    body: json(newChannelSchema, {
      webhook: { kind: 'webhook', target: 'https://ops.example.com/paystate-alerts' },
      email: { kind: 'email', target: 'owner@example.com' },
    }),
    responses: {
      201: {
        description: 'The new channel; a webhook with its secret.',
        content: json(
          alertChannelSchema.extend({
            secret: z.string().optional().describe('Webhooks only: the signing secret, shown in this answer only.'),
          }),
          { webhook: { ...hook, secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' }, email: mail },
        ),
      },
    },
    errors: [
      merchantNotFound,
      err(503, 'mail_not_configured', 'SMTP_URL is unset: e-mail alert channels send through it (docs/alerts.md)'),
      err(
        503,
        'master_key_missing',
        'PAYSTATE_MASTER_KEY is unset: webhook signing secrets are sealed with it (docs/alerts.md)',
      ),
    ],
  })),
  get: documented('/:merchantId/alert-channels/:channelId', () => ({
    operationId: 'getAlertChannel',
    summary: 'One channel, with its latest digests',
    tags: ['Alert channels'],
    access: 'merchant_admin',
    params: { merchantId, channelId },
    responses: {
      200: {
        description: 'The channel and its 20 latest deliveries, newest first.',
        content: json(alertChannelSchema.extend({ deliveries: z.array(alertDeliverySchema) }), {
          webhook: {
            ...hook,
            deliveries: [
              {
                id: '1d3f5b7a-9c2e-4a6b-8d0f-3a5c7e9b1d44',
                channel_id: hook.id,
                window_start: '2026-03-02T09:15:00.000Z',
                window_end: '2026-03-02T09:20:00.000Z',
                status: 'sent',
                attempts: 1,
                next_attempt_at: '2026-03-02T09:20:00.000Z',
                last_error: null,
              },
            ],
          },
        }),
      },
    },
    errors: [merchantNotFound, channelNotFound],
  })),
  delete: documented('/:merchantId/alert-channels/:channelId', () => ({
    operationId: 'deleteAlertChannel',
    summary: 'Deactivate a channel',
    description: 'No new digest opens for it; its past deliveries stay readable.',
    tags: ['Alert channels'],
    access: 'merchant_admin',
    params: { merchantId, channelId },
    responses: {
      200: {
        description: 'The channel, inactive.',
        content: json(alertChannelSchema, { removed: { ...hook, active: false } }),
      },
    },
    errors: [merchantNotFound, channelNotFound],
  })),
};
