import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { orderStatusSchema } from '@paystate/core';
import type { Services } from '../app/services.js';
import { actorOf, principalOf, requireScope } from '../http/auth.js';
import { idSchema, parseId, parseJsonBody, parseQuery } from '../http/validate.js';
import { notFound, PaystateError } from '../errors.js';
import { actsFor } from '../merchants/scopes.js';
import { orderDetailView, orderListView } from './views.js';
import { orderAdminDocs } from './openapi.js';

export const orderListQuery = z.strictObject({
  /** Platform keys only; a merchant's keys always list their own merchant's orders. */
  merchant_id: idSchema.optional(),
  status: orderStatusSchema.optional(),
  device_id: idSchema.optional(),
  created_before: z.iso.datetime().optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});

export const actionSchema = z.strictObject({
  action: z.enum(['mark_made', 'refund', 'resolve', 'verify']),
  /** Recorded only for the ADMIN_TOKEN bootstrap; an API key's label is who acted. */
  operator: z.string().trim().min(1).max(80).optional(),
  note: z.string().max(1000).optional(),
});

/** The operator's order routes under /v1/admin: a merchant's keys reach that merchant's orders only. */
export function orderAdminRoutes(services: Services) {
  const { store, orders } = services;
  const app = new Hono();
  /** Another merchant's order answers as if it did not exist. */
  const ownOrder = async (c: Context, id: string) => {
    const record = await orders.get(id);
    if (!actsFor(principalOf(c), record.merchantId)) throw notFound('order', id);
    return record;
  };

  app.get('/orders', orderAdminDocs.list, requireScope('read_only'), async (c) => {
    const query = parseQuery(c, orderListQuery);
    const merchantId = principalOf(c).merchantId ?? query.merchant_id;
    const records = await store.listOrders({
      ...(merchantId === undefined ? {} : { merchantId }),
      status: query.status,
      deviceId: query.device_id,
      createdBefore: query.created_before,
      limit: query.limit,
    });
    return c.json({ orders: records.map(orderListView) });
  });

  app.get('/orders/:id', orderAdminDocs.get, requireScope('read_only'), async (c) => {
    const record = await ownOrder(c, parseId(c, 'id'));
    const events = await store.orderEvents(record.order.orderId);
    const ticket = await services.tickets.byOrder(record.order.orderId);
    return c.json(orderDetailView(record, events, ticket));
  });

  app.post('/orders/:id/actions', orderAdminDocs.action, requireScope('merchant_admin'), async (c) => {
    const id = parseId(c, 'id');
    const body = await parseJsonBody(c, actionSchema);
    // The bootstrap token names nobody, so its caller must (as before keys existed).
    if (principalOf(c).keyId === 'env:ADMIN_TOKEN' && body.operator === undefined)
      throw new PaystateError(
        'invalid',
        'validation_failed',
        'operator: required with ADMIN_TOKEN (an API key names its holder)',
      );
    await ownOrder(c, id);
    const decision = await orders.operatorAction(id, body.action, actorOf(c, body.operator), body.note);
    return c.json({ order_id: id, status: decision.status });
  });

  return app;
}
