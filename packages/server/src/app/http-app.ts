import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { secureHeaders } from 'hono/secure-headers';
import { routePath } from 'hono/route';
import type { Logger } from 'pino';
import { orderAdminRoutes } from '../orders/admin-routes.js';
import { deviceAdminRoutes } from '../devices/admin-routes.js';
import { deviceRoutes } from '../devices/routes.js';
import { webhookRoutes } from '../webhooks/routes.js';
import { PaystateError } from '../errors.js';
import { databaseBusy } from '../db/failures.js';
import { credentialOf, requireKey } from '../http/auth.js';
import { errorBody, sendError } from '../http/errors.js';
import { idempotency } from '../idempotency/middleware.js';
import { opsRoutes } from './ops-routes.js';
import { openApiRoutes } from './openapi.js';
import { consoleRoutes } from '../console/routes.js';
import { merchantAdminRoutes, oauthCallbackRoutes, providerAccountRoutes } from '../merchants/routes.js';
import { posRoutes } from '../pos/routes.js';
import { posReturnRoutes } from '../pos/return-pages.js';
import { orderRoutes } from '../orders/routes.js';
import { orderPages } from '../orders/pages.js';
import { notFound, siteRoutes } from './site-pages.js';
import { alertAdminRoutes, alertChannelRoutes } from '../alerts/routes.js';
import type { Services } from './services.js';

export const MAX_BODY_BYTES = 64 * 1024;

export function createApp(services: Services, logger: Logger) {
  const app = new Hono();
  app.use('*', async (c, next) => {
    await next();
    services.metrics.httpRequests.inc({ method: c.req.method, route: routePath(c), status: String(c.res.status) });
  });
  // Every answer, page or JSON: never framed (clickjacking of the console or the Pay button), never
  // sniffed, no referrer to another site (an order id stays ours). same-origin, not no-referrer:
  // under no-referrer a browser sends `Origin: null` with the console's own form posts.
  app.use('*', secureHeaders({ xFrameOptions: 'DENY', referrerPolicy: 'same-origin' }));
  app.use(
    '*',
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: (c) => c.json(errorBody('body_too_large', `request bodies are limited to ${MAX_BODY_BYTES} bytes`), 413),
    }),
  );
  // The order API is anonymous: its Idempotency-Keys share the anonymous credential's scope, apart from every merchant's.
  const orderKeys = idempotency({
    store: services.idempotency,
    clock: services.pos.clock,
    scope: credentialOf,
    logger,
  });
  app.post('/v1/orders', orderKeys);
  app.post('/v1/orders/:id/pay', orderKeys);
  app.route('/', orderRoutes(services));
  app.route('/', orderPages(services));
  app.route('/', webhookRoutes(services));
  app.route('/', oauthCallbackRoutes(services));
  // Every route below names the scope it needs; the merchant comes from the key (docs/merchants.md).
  for (const protectedPath of ['/v1/devices/*', '/v1/admin/*', '/v1/merchants/*'])
    app.use(protectedPath, services.authenticate, requireKey());
  app.route('/', deviceRoutes(services));
  app.route('/v1/admin', deviceAdminRoutes(services));
  app.route('/v1/admin', orderAdminRoutes(services));
  app.route('/v1/admin', merchantAdminRoutes(services));
  app.route('/v1/merchants', providerAccountRoutes(services));
  app.route('/v1/merchants', posRoutes(services));
  app.route('/v1/admin', alertAdminRoutes(services));
  app.route('/v1/merchants', alertChannelRoutes(services));
  app.route('/', posReturnRoutes(services));
  app.route('/', opsRoutes(services));
  // GET /openapi.json and its reference page GET /docs/api describe every route of this app.
  app.route('/', openApiRoutes(app));
  app.route('/console', consoleRoutes(services));
  app.route('/', siteRoutes());
  app.notFound(notFound);
  app.onError((error, c) => {
    if (error instanceof PaystateError) return sendError(c, error);
    const busy = databaseBusy(error);
    if (busy) {
      // Nothing was written; the client may send the same request again shortly.
      c.header('Retry-After', '1');
      return sendError(c, busy);
    }
    logger.error({ err: error, path: c.req.path }, 'unhandled error');
    return c.json(errorBody('internal_error', 'something went wrong on our side; nothing was changed'), 500);
  });
  return app;
}
