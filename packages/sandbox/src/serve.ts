import { createServer } from 'node:net';
import { serve } from '@hono/node-server';
import type { Hono } from 'hono';

export interface LoopbackServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Serves an app on 127.0.0.1 (port 0 picks a free one); close() also drops hanging requests. */
export function startOnLoopback(app: Hono, port = 0): Promise<LoopbackServer> {
  return new Promise((resolve) => {
    const server = serve({ fetch: app.fetch, port, hostname: '127.0.0.1' }, (info) => {
      resolve({
        url: `http://127.0.0.1:${info.port}`,
        port: info.port,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            if ('closeAllConnections' in server) server.closeAllConnections();
          }),
      });
    });
  });
}

/** A port that was free a moment ago: for servers whose own URL must be known before they start. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no free port')),
      );
    });
  });
}
