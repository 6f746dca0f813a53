import { Hono } from 'hono';
import { z } from 'zod';
import type { Services } from '../app/services.js';
import { parseId, parseJsonBody } from '../http/validate.js';

const deviceResultSchema = z.strictObject({ result: z.enum(['made', 'failed']) });

/** What a machine reports about the order it was told to make (behind the device token). */
export function deviceRoutes(services: Services) {
  const { orders } = services;
  const app = new Hono();

  app.post('/v1/devices/:deviceId/orders/:id/result', services.deviceAuth, async (c) => {
    const deviceId = parseId(c, 'deviceId');
    const orderId = parseId(c, 'id');
    const { result } = await parseJsonBody(c, deviceResultSchema);
    const decision = await orders.deviceReport(deviceId, orderId, result);
    return c.json({ order_id: orderId, status: decision.status, applied: decision.changed });
  });

  return app;
}
