import { serve } from '@hono/node-server';
import type { Runtime } from './runtime.js';

export interface RunningServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

export interface ServeOptions {
  /** Run the payment poller in this process too (`paystate serve` does unless --no-poller). */
  poller?: boolean;
}

/**
 * Starts HTTP, the dispatcher and optionally the poller. close() stops taking requests, then
 * lets the running poll cycle and dispatch pass finish before the database closes.
 */
export async function startServer(
  runtime: Runtime,
  port = runtime.settings.PORT,
  hostname = '127.0.0.1',
  options: ServeOptions = {},
): Promise<RunningServer> {
  // A database that cannot be reached or migrated stops start-up here, before any request.
  await runtime.store.ready();
  return new Promise((resolve) => {
    const server = serve({ fetch: runtime.app.fetch, port, hostname }, (info) => {
      runtime.dispatcher.start();
      if (options.poller) runtime.poller.start(runtime.settings.PAYMENT_CHECK_INTERVAL_S);
      resolve({
        url: `http://${hostname}:${info.port}`,
        port: info.port,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            if ('closeAllConnections' in server) server.closeAllConnections();
          }).then(() => runtime.close()),
      });
    });
  });
}
