import { serve } from '@hono/node-server';
import type { Runtime } from './runtime.js';

export interface RunningServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Starts HTTP and the dispatcher; close() stops taking requests, then lets the dispatcher finish. */
export function startServer(runtime: Runtime, port = runtime.settings.PORT, hostname = '127.0.0.1'): Promise<RunningServer> {
  return new Promise((resolve) => {
    const server = serve({ fetch: runtime.app.fetch, port, hostname }, (info) => {
      runtime.dispatcher.start();
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
