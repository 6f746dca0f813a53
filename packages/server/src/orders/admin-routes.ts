import { Hono } from 'hono';
import { z } from 'zod';
import { orderStatusSchema } from '@paystate/core';
import type { Services } from '../app/services.js';
import { idSchema, parseId, parseJsonBody, parseQuery } from '../http/validate.js';

const orderListQuery = z.strictObject({
  status: orderStatusSchema.optional(),
  device_id: idSchema.optional(),
  created_before: z.iso.datetime().optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});

const actionSchema = z.strictObject({
  action: z.enum(['mark_made', 'refund', 'resolve', 'verify']),
  operator: z.string().trim().min(1).max(80),
  note: z.string().max(1000).optional(),
});

/** The operator's order routes, mounted under /v1/admin behind the admin token. */
export function orderAdminRoutes(services: Services) {
  const { store, orders } = services;
  const app = new Hono();

  app.get('/orders', async (c) => {
    const query = parseQuery(c, orderListQuery);
    const records = await store.listOrders({
      status: query.status,
      deviceId: query.device_id,
      createdBefore: query.created_before,
      limit: query.limit,
    });
    return c.json({ orders: records.map((r) => ({ status: r.status, version: r.version, ...r.order })) });
  });

  app.get('/orders/:id', async (c) => {
    const record = await orders.get(parseId(c, 'id'));
    const events = await store.orderEvents(record.order.orderId);
    const ticket = await services.tickets.byOrder(record.order.orderId);
    return c.json({ status: record.status, version: record.version, order: record.order, events, ticket });
  });

  app.post('/orders/:id/actions', async (c) => {
    const id = parseId(c, 'id');
    const body = await parseJsonBody(c, actionSchema);
    const decision = await orders.operatorAction(id, body.action, body.operator, body.note);
    return c.json({ order_id: id, status: decision.status });
  });

  return app;
}
