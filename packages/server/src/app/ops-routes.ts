import { Hono, type Context } from 'hono';
import type { Services } from './services.js';
import { opsDocs } from './ops-openapi.js';

/**
 * Liveness says the process runs; readiness proves it can do its work by committing a write (a
 * held write lock or a full disk answers 503 through the app's error mapping, never a false ok).
 */
export function opsRoutes(services: Services) {
  const app = new Hono();
  app.get('/livez', opsDocs.live, (c) => c.json({ status: 'ok' }));
  const ready = async (c: Context) => {
    await services.store.probeWrite(services.pos.clock.now().toISOString());
    return c.json({ status: 'ok' });
  };
  app.get('/readyz', opsDocs.ready, ready);
  app.get('/healthz', opsDocs.health, ready);
  app.get('/metrics', opsDocs.metrics, async (c) => {
    const registry = await services.metrics.collect();
    return c.text(await registry.metrics(), 200, { 'Content-Type': registry.contentType });
  });
  return app;
}
