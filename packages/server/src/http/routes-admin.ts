import { Hono } from 'hono';
import { z } from 'zod';
import { orderStatuses, orderStatusSchema } from '@paystate/core';
import { notFound, AppError } from './errors.js';
import { sanitizeClientInfo } from '../client-info.js';
import type { Services } from './services.js';
import { idSchema, parseId, parseJsonBody, parseQuery } from './validate.js';

const clean = sanitizeClientInfo;

const deviceSchema = z.strictObject({
  name: z.string().trim().min(1).max(120),
  location: z.string().max(200).default(''),
  logo_url: z
    .url({ protocol: /^https$/ })
    .nullable()
    .default(null),
  client_info: z.string().max(5000).default(''),
  ...Object.fromEntries(orderStatuses.map((status) => [`client_info_${status}`, z.string().max(5000).optional()])),
});

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

export function adminRoutes(services: Services) {
  const { store, orders } = services;
  const app = new Hono();
  app.use('*', services.adminAuth);

  app.get('/devices', async (c) => c.json({ devices: await store.listDevices() }));

  app.get('/devices/:id', async (c) => {
    const id = parseId(c, 'id');
    const device = await store.getDevice(id);
    if (!device) throw notFound('device', id);
    return c.json(device);
  });

  app.put('/devices/:id', async (c) => {
    const id = parseId(c, 'id');
    const body = (await parseJsonBody(c, deviceSchema)) as z.infer<typeof deviceSchema> &
      Record<string, string | undefined>;
    const byStatus = Object.fromEntries(
      orderStatuses.flatMap((status) => {
        const html = body[`client_info_${status}`];
        return html === undefined ? [] : [[status, clean(html)]];
      }),
    );
    const existed = (await store.getDevice(id)) !== null;
    const device = await store.upsertDevice({
      id,
      name: body.name,
      location: body.location,
      logoUrl: body.logo_url,
      clientInfo: clean(body.client_info),
      clientInfoByStatus: byStatus,
    });
    return c.json(device, existed ? 200 : 201);
  });

  app.delete('/devices/:id', async (c) => {
    const id = parseId(c, 'id');
    const result = await store.deleteDevice(id);
    if (result === 'not_found') throw notFound('device', id);
    if (result === 'in_use') throw new AppError(409, 'device_in_use', `device ${id} has orders and cannot be deleted`);
    return c.body(null, 204);
  });

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
