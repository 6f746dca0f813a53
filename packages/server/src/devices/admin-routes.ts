import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { orderStatuses } from '@paystate/core';
import { notFound, PaystateError } from '../errors.js';
import type { Services } from '../app/services.js';
import { principalOf, requireScope } from '../http/auth.js';
import { idSchema, parseId, parseJsonBody, parseQuery } from '../http/validate.js';
import { actsFor } from '../merchants/scopes.js';
import { DEFAULT_MERCHANT } from '../orders/store.js';
import { sanitizeClientInfo as clean } from './client-info.js';
import { deviceView } from './views.js';
import { deviceAdminDocs } from './openapi.js';

export const deviceSchema = z.strictObject({
  name: z.string().trim().min(1).max(120),
  location: z.string().max(200).default(''),
  logo_url: z
    .url({ protocol: /^https$/ })
    .nullable()
    .default(null),
  /** Platform keys only: the merchant a new device belongs to. A merchant's own keys always add to their merchant. */
  merchant_id: idSchema.optional(),
  client_info: z.string().max(5000).default(''),
  ...Object.fromEntries(orderStatuses.map((status) => [`client_info_${status}`, z.string().max(5000).optional()])),
});

export const deviceListQuery = z.strictObject({ merchant_id: idSchema.optional() });

/**
 * The operator's device routes under /v1/admin: a merchant's keys see and change that merchant's
 * devices; platform keys every merchant's (a new device goes to `merchant_id`, else `default`).
 */
export function deviceAdminRoutes(services: Services) {
  const { store } = services;
  const app = new Hono();
  /** Another merchant's device answers as if it did not exist. */
  const ownDevice = async (c: Context, id: string) => {
    const device = await store.getDevice(id);
    if (!device || !actsFor(principalOf(c), device.merchantId)) throw notFound('device', id);
    return device;
  };

  app.get('/devices', deviceAdminDocs.list, requireScope('read_only'), async (c) => {
    const query = parseQuery(c, deviceListQuery);
    const merchantId = principalOf(c).merchantId ?? query.merchant_id;
    return c.json({ devices: (await store.listDevices(merchantId)).map(deviceView) });
  });

  app.get('/devices/:id', deviceAdminDocs.get, requireScope('read_only'), async (c) =>
    c.json(deviceView(await ownDevice(c, parseId(c, 'id')))),
  );

  app.put('/devices/:id', deviceAdminDocs.put, requireScope('merchant_admin'), async (c) => {
    const id = parseId(c, 'id');
    const body = (await parseJsonBody(c, deviceSchema)) as z.infer<typeof deviceSchema> &
      Record<string, string | undefined>;
    const byStatus = Object.fromEntries(
      orderStatuses.flatMap((status) => {
        const html = body[`client_info_${status}`];
        return html === undefined ? [] : [[status, clean(html)]];
      }),
    );
    const principal = principalOf(c);
    const merchantId = principal.merchantId ?? body.merchant_id ?? DEFAULT_MERCHANT;
    if (principal.merchantId === null) await services.merchants.get(merchantId);
    const existed = (await store.getDevice(id)) !== null;
    const device = await store.upsertDevice({
      id,
      merchantId,
      name: body.name,
      location: body.location,
      logoUrl: body.logo_url,
      clientInfo: clean(body.client_info),
      clientInfoByStatus: byStatus,
    });
    // The id is another merchant's machine: nothing was changed.
    if (!device) throw notFound('device', id);
    return c.json(deviceView(device), existed ? 200 : 201);
  });

  app.delete('/devices/:id', deviceAdminDocs.delete, requireScope('merchant_admin'), async (c) => {
    const id = parseId(c, 'id');
    await ownDevice(c, id);
    const result = await store.deleteDevice(id);
    if (result === 'not_found') throw notFound('device', id);
    if (result === 'in_use')
      throw new PaystateError('conflict', 'device_in_use', `device ${id} has orders and cannot be deleted`);
    return c.body(null, 204);
  });

  return app;
}
