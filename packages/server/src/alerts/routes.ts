import { Hono, type Context } from 'hono';
import { z } from 'zod';
import type { Services } from '../app/services.js';
import { notFound } from '../errors.js';
import { actorOf, principalOf, requireMerchant, requireScope } from '../http/auth.js';
import { idSchema, parseId, parseJsonBody, parseQuery } from '../http/validate.js';
import { actsFor } from '../merchants/scopes.js';
import type { AlertRecord } from './store.js';
import { alertView, channelView, deliveryView } from './views.js';
import { alertChannelDocs, alertDocs } from './openapi.js';

export const alertListQuery = z.strictObject({
  /** open: not acknowledged yet; acknowledged: the others. Both when absent. */
  status: z.enum(['open', 'acknowledged']).optional(),
  kind: z
    .string()
    .regex(/^[a-z_]{1,64}$/)
    .optional(),
  /** Platform keys: one merchant's alerts (all alerts, the platform's too, when absent). */
  merchant_id: idSchema.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

export const newChannelSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('email'), target: z.email().max(254) }),
  z.strictObject({
    kind: z.literal('webhook'),
    target: z.url({ protocol: /^https?$/, error: 'a webhook target is an http:// or https:// URL' }).max(2048),
  }),
]);

/**
 * The alerts of the key's merchant under /v1/admin (docs/alerts.md): read_only lists them,
 * merchant_admin acknowledges; another merchant's alert answers 404.
 */
export function alertAdminRoutes(services: Services) {
  const { alerts } = services;
  const app = new Hono();
  /** An alert the key may act on: its merchant's, or any for a platform key (platform-level alerts too). */
  const visibleAlert = async (c: Context, id: string): Promise<AlertRecord> => {
    const alert = await alerts.get(id);
    const principal = principalOf(c);
    const mine =
      alert.merchantId === null ? principal.scope === 'platform_admin' : actsFor(principal, alert.merchantId);
    if (!mine) throw notFound('alert', id);
    return alert;
  };

  app.get('/alerts', alertDocs.list, requireScope('read_only'), async (c) => {
    const query = parseQuery(c, alertListQuery);
    if (query.merchant_id !== undefined) requireMerchant(c, query.merchant_id);
    const merchantId = principalOf(c).merchantId ?? query.merchant_id;
    const list = await alerts.list({
      ...(merchantId === undefined ? {} : { merchantId }),
      ...(query.status === undefined ? {} : { state: query.status }),
      ...(query.kind === undefined ? {} : { kind: query.kind }),
      limit: query.limit,
    });
    return c.json({ alerts: list.map(alertView) });
  });

  app.get('/alerts/:alertId', alertDocs.get, requireScope('read_only'), async (c) =>
    c.json(alertView(await visibleAlert(c, parseId(c, 'alertId')))),
  );

  app.post('/alerts/:alertId/acknowledge', alertDocs.acknowledge, requireScope('merchant_admin'), async (c) => {
    const id = parseId(c, 'alertId');
    await visibleAlert(c, id);
    return c.json(alertView(await alerts.acknowledge(id, actorOf(c))));
  });

  return app;
}

/** A merchant's alert channels under /v1/merchants/:merchantId (merchant admins). */
export function alertChannelRoutes(services: Services) {
  const { alerts, merchants } = services;
  const app = new Hono();
  const merchantOf = async (c: Context) => {
    const id = parseId(c, 'merchantId');
    requireMerchant(c, id);
    return merchants.get(id);
  };

  app.get('/:merchantId/alert-channels', alertChannelDocs.list, requireScope('merchant_admin'), async (c) => {
    const merchant = await merchantOf(c);
    return c.json({ alert_channels: (await alerts.listChannels(merchant.id)).map(channelView) });
  });

  // The only answer that carries a webhook's signing secret (whsec_…): it is kept sealed, never shown again.
  app.post('/:merchantId/alert-channels', alertChannelDocs.create, requireScope('merchant_admin'), async (c) => {
    const merchant = await merchantOf(c);
    const body = await parseJsonBody(c, newChannelSchema);
    const { channel, secret } = await alerts.addChannel(merchant.id, body.kind, body.target);
    c.header('Cache-Control', 'no-store');
    return c.json({ ...channelView(channel), ...(secret === null ? {} : { secret }) }, 201);
  });

  app.get('/:merchantId/alert-channels/:channelId', alertChannelDocs.get, requireScope('merchant_admin'), async (c) => {
    const merchant = await merchantOf(c);
    const channel = await alerts.channelOf(merchant.id, parseId(c, 'channelId'));
    const deliveries = await alerts.deliveries(channel.id, 20);
    return c.json({ ...channelView(channel), deliveries: deliveries.map(deliveryView) });
  });

  // Deactivates: no new digest opens for it; its past deliveries stay readable.
  app.delete(
    '/:merchantId/alert-channels/:channelId',
    alertChannelDocs.delete,
    requireScope('merchant_admin'),
    async (c) => {
      const merchant = await merchantOf(c);
      return c.json(channelView(await alerts.removeChannel(merchant.id, parseId(c, 'channelId'))));
    },
  );

  return app;
}
