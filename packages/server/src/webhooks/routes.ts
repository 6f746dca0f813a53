import { Hono } from 'hono';
import { z } from 'zod';
import { PaystateError } from '../errors.js';
import type { Services } from '../app/services.js';

/** Provider notifications (docs/architecture.md section 4): never trusted, always re-read. */
export function webhookRoutes(services: Services) {
  const { orders, webhooks } = services;
  const app = new Hono();

  // MTN MoMo delivers callbacks with PUT; everyone else POSTs.
  app.on(['POST', 'PUT'], '/v1/webhooks/:provider', async (c) => {
    const providerCode = z
      .string()
      .regex(/^[a-z][a-z0-9_]{0,31}$/)
      .safeParse(c.req.param('provider'));
    const rawBody = await c.req.text();
    const headers = { ...c.req.header(), 'x-paystate-remote-addr': services.remoteAddress(c) };
    const provider = providerCode.success ? providerCode.data : '-';
    try {
      const outcome = await webhooks.receive(provider, headers, rawBody);
      services.metrics.webhooks.inc({ provider, outcome });
      // Some providers count a delivery only on an exact body (T-Bank: `OK`); errors stay JSON.
      const acknowledgement = orders.provider(provider).webhookAcknowledgement;
      if (acknowledgement) return c.body(acknowledgement.body, 200, { 'content-type': acknowledgement.contentType });
      return c.json({ outcome });
    } catch (error) {
      services.metrics.webhooks.inc({
        provider,
        outcome: error instanceof PaystateError ? error.code : 'internal_error',
      });
      throw error;
    }
  });

  return app;
}
