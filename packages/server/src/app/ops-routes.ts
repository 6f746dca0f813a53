import { Hono } from 'hono';
import type { Services } from './services.js';
import { opsDocs } from './ops-openapi.js';

export function opsRoutes(services: Services) {
  const app = new Hono();
  app.get('/healthz', opsDocs.health, async (c) => {
    await services.store.countPendingEffects();
    return c.json({ status: 'ok' });
  });
  app.get('/metrics', opsDocs.metrics, async (c) => {
    const registry = await services.metrics.collect();
    return c.text(await registry.metrics(), 200, { 'Content-Type': registry.contentType });
  });
  return app;
}
