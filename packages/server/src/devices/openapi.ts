import { z } from 'zod';
import { orderStatusSchema } from '@paystate/core';
import { documented, err, json } from '../http/openapi.js';
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
