import { Hono } from 'hono';
import { z } from 'zod';
import type { Services } from '../app/services.js';
import { notFound } from '../errors.js';
import { principalOf, requireScope } from '../http/auth.js';
import { parseId, parseJsonBody } from '../http/validate.js';
import { deviceReportDoc } from './openapi.js';

export const deviceResultSchema = z.strictObject({ result: z.enum(['made', 'failed']) });

/** What a machine reports about the order it was told to make (a device key, or DEVICE_TOKEN). */
export function deviceRoutes(services: Services) {
  const { orders } = services;
  const app = new Hono();

  app.post('/v1/devices/:deviceId/orders/:id/result', deviceReportDoc, requireScope('device'), async (c) => {
    const deviceId = parseId(c, 'deviceId');
    // A device key reports for its own machine only (DEVICE_TOKEN, the bootstrap, for any).
    const own = principalOf(c).deviceId;
    if (own !== null && own !== deviceId) throw notFound('device', deviceId);
    const orderId = parseId(c, 'id');
    const { result } = await parseJsonBody(c, deviceResultSchema);
    const decision = await orders.deviceReport(deviceId, orderId, result);
    return c.json({ order_id: orderId, status: decision.status, applied: decision.changed });
  });

  return app;
}
