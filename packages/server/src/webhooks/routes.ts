import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { PaystateError } from '../errors.js';
import type { Services } from '../app/services.js';
import { parseId } from '../http/validate.js';
import { providerCodes } from '../providers/registry.js';
import { webhookDocs } from './openapi.js';

/** Provider notifications (docs/architecture.md section 4): never trusted, always re-read. */
export function webhookRoutes(services: Services) {
  const { orders, webhooks } = services;
  const app = new Hono();

  const receive = async (c: Context) => {
    const providerCode = z
      .string()
      .regex(/^[a-z][a-z0-9_]{0,31}$/)
      .safeParse(c.req.param('provider'));
    const rawBody = await c.req.text();
    const headers = { ...c.req.header(), 'x-paystate-remote-addr': services.remoteAddress(c) };
    const provider = providerCode.success ? providerCode.data : '-';
    // A metrics label only for a provider paystate knows: made-up names would each add a series for good.
    const label = providerCodes().includes(provider) ? provider : 'unknown';
    const accountId = c.req.param('accountId') === undefined ? null : parseId(c, 'accountId');
    try {
      const outcome = await webhooks.receive(provider, accountId, headers, rawBody);
      services.metrics.webhooks.inc({ provider: label, outcome });
      // Some providers count a delivery only on an exact body (T-Bank: `OK`); errors stay JSON.
      const acknowledgement = (await orders.provider(provider, accountId)).webhookAcknowledgement;
      if (acknowledgement) return c.body(acknowledgement.body, 200, { 'content-type': acknowledgement.contentType });
      return c.json({ outcome });
    } catch (error) {
      services.metrics.webhooks.inc({
        provider: label,
        outcome: error instanceof PaystateError ? error.code : 'internal_error',
      });
      throw error;
    }
  };

  // MTN MoMo delivers callbacks with PUT; everyone else POSTs. A merchant's own provider account
  // has its own URL (`/:accountId`), verified with that account's secret (docs/merchants.md).
  for (const { method, path, doc } of webhookDocs) app.on(method.toUpperCase(), path, doc, receive);

  return app;
}
