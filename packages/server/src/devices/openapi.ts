import { z } from 'zod';
import { orderStatusSchema } from '@paystate/core';
import { documented, err, json } from '../http/openapi.js';
import { deviceListQuery, deviceSchema as deviceBodySchema } from './admin-routes.js';
import { deviceResultSchema } from './routes.js';

const orderId = '6baac491-6a5e-4bd4-9c7f-2d3e0a1b5c77';

/** What a device report answers: the order's status after it, and whether the report changed it. */
export const deviceReportAnswerSchema = z
  .strictObject({
    order_id: z.string(),
    status: orderStatusSchema,
    applied: z.boolean().describe('False when the report changed nothing (a repeat, or an order past that step).'),
  })
  .meta({ id: 'DeviceReportAnswer' });

/** POST /v1/devices/:deviceId/orders/:id/result (devices/routes.ts). */
export const deviceReportDoc = documented('/v1/devices/:deviceId/orders/:id/result', () => ({
  operationId: 'reportDeviceResult',
  summary: 'A machine reports whether it made the order',
  description:
    'Moves a `make_pending` (or `paid`) order to `successful` or `make_failed` (rule 6). A repeat, or a report on an order past that step, changes nothing and is still audited (`applied: false`). A device key reports for its own machine only; the DEVICE_TOKEN bootstrap for any.',
  tags: ['Devices'],
  access: 'device',
  params: { deviceId: 'The machine.', id: 'The order it was told to make.' },
  body: json(deviceResultSchema, { made: { result: 'made' }, failed: { result: 'failed' } }),
  responses: {
    200: {
      description: 'The report was recorded.',
      content: json(deviceReportAnswerSchema, {
        made: { order_id: orderId, status: 'successful', applied: true },
        repeat: { order_id: orderId, status: 'successful', applied: false },
        failed: { order_id: orderId, status: 'make_failed', applied: true },
      }),
    },
  },
  errors: [
    err(404, 'device_not_found', 'no device with id lobby-2'),
    err(404, 'order_not_found', `no order with id ${orderId}`),
  ],
}));

/** A device as the operator's routes answer it (devices/views.ts). */
export const deviceSchema = z
  .strictObject({
    id: z.string(),
    merchant_id: z.string(),
    name: z.string(),
    location: z.string(),
    logo_url: z.string().nullable(),
    client_info: z.string().describe('What its customers read on the status page (sanitised HTML).'),
    client_info_by_status: z
      .partialRecord(orderStatusSchema, z.string())
      .describe('The text for one status instead of `client_info` (sanitised HTML), by status.'),
    created_at: z.iso.datetime(),
    updated_at: z.iso.datetime(),
  })
  .meta({ id: 'Device' });

const lobby: z.input<typeof deviceSchema> = {
  id: 'lobby',
  merchant_id: 'default',
  name: 'Lobby',
  location: 'Main hall',
  logo_url: null,
  client_info: '<p>Help: +7 000 000-00-00</p>',
  client_info_by_status: { make_failed: '<p>Show this page at the desk for a refund.</p>' },
  created_at: '2026-03-01T08:00:00.000Z',
  updated_at: '2026-03-01T08:00:00.000Z',
};
const deviceNotFound = err(404, 'device_not_found', 'no device with id lobby-9');
const id = 'The device (its `id`, as orders name it in `device_id`).';

/** The operator's device routes under /v1/admin (devices/admin-routes.ts). */
export const deviceAdminDocs = {
  list: documented('/devices', () => ({
    operationId: 'listDevices',
    summary: 'List devices',
    description: "A merchant's keys list their own merchant's devices; platform keys every merchant's, or one.",
    tags: ['Admin: devices'],
    access: 'read_only',
    query: { schema: deviceListQuery, descriptions: { merchant_id: "Platform keys: one merchant's devices." } },
    responses: {
      200: {
        description: 'The devices.',
        content: json(z.strictObject({ devices: z.array(deviceSchema) }), { one: { devices: [lobby] } }),
      },
    },
  })),
  get: documented('/devices/:id', () => ({
    operationId: 'getDevice',
    summary: 'One device',
    tags: ['Admin: devices'],
    access: 'read_only',
    params: { id },
    responses: { 200: { description: 'The device.', content: json(deviceSchema, { lobby }) } },
    errors: [deviceNotFound],
  })),
  put: documented('/devices/:id', () => ({
    operationId: 'putDevice',
    summary: 'Add or replace a device',
    description:
      "Creates the device (201) or replaces it (200). The HTML texts are sanitised before they are stored. A merchant's keys add to their own merchant; a platform key names `merchant_id` (else `default`). Another merchant's device id answers 404 and changes nothing.",
    tags: ['Admin: devices'],
    access: 'merchant_admin',
    params: { id },
    body: json(deviceBodySchema, {
      lobby: {
        name: 'Lobby',
        location: 'Main hall',
        client_info: '<p>Help: +7 000 000-00-00</p>',
        // One `client_info_<status>` per status may replace `client_info` (the schema's keys come from the status list).
        client_info_make_failed: '<p>Show this page at the desk for a refund.</p>',
      } as z.input<typeof deviceBodySchema>,
    }),
    responses: {
      200: { description: 'The device was replaced.', content: json(deviceSchema, { replaced: lobby }) },
      201: { description: 'The device was created.', content: json(deviceSchema, { created: lobby }) },
    },
    errors: [deviceNotFound, err(404, 'merchant_not_found', 'no merchant with id lome-9')],
  })),
  delete: documented('/devices/:id', () => ({
    operationId: 'deleteDevice',
    summary: 'Delete a device that has no orders',
    tags: ['Admin: devices'],
    access: 'merchant_admin',
    params: { id },
    responses: { 204: { description: 'Deleted.' } },
    errors: [deviceNotFound, err(409, 'device_in_use', 'device lobby has orders and cannot be deleted')],
  })),
};
