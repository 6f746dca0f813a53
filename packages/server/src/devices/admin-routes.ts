import { Hono } from 'hono';
import { z } from 'zod';
import { orderStatuses } from '@paystate/core';
import { notFound, PaystateError } from '../errors.js';
import type { Services } from '../app/services.js';
import { parseId, parseJsonBody } from '../http/validate.js';
import { sanitizeClientInfo as clean } from './client-info.js';

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

/** The operator's device routes, mounted under /v1/admin behind the admin token. */
export function deviceAdminRoutes(services: Services) {
  const { store } = services;
  const app = new Hono();

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
    if (result === 'in_use')
      throw new PaystateError('conflict', 'device_in_use', `device ${id} has orders and cannot be deleted`);
    return c.body(null, 204);
  });

  return app;
}
