import { serve } from '@hono/node-server';
import { PaystateError } from '../errors.js';
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
  return new Promise((resolve, reject) => {
    // Only a failure to listen rejects; once listening, server errors go where they went before.
    const refused = (error: Error) => reject(listenFailure(error, hostname, port));
    const { settings } = runtime;
    const server = serve(
      {
        fetch: runtime.app.fetch,
        port,
        hostname,
        // A slow or silent client is cut loose on time (408), so a slow-upload flood cannot hold
        // sockets for minutes; the check runs every second rather than Node's default 30 s.
        serverOptions: {
          // Node refuses a headers timeout longer than the request's.
          headersTimeout: Math.min(settings.HTTP_HEADERS_TIMEOUT_S, settings.HTTP_REQUEST_TIMEOUT_S) * 1000,
          requestTimeout: settings.HTTP_REQUEST_TIMEOUT_S * 1000,
          keepAliveTimeout: settings.HTTP_KEEP_ALIVE_TIMEOUT_S * 1000,
          connectionsCheckingInterval: 1000,
        },
      },
      (info) => {
        server.off('error', refused);
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
      },
    );
    // Past the cap Node closes new connections at once: a flood cannot take every file descriptor.
    server.maxConnections = settings.HTTP_MAX_CONNECTIONS;
    server.once('error', refused);
  });
}

/** A port that is taken or not ours to use, as one line (the caller may add which setting names it). */
export function listenFailure(error: Error, hostname: string, port: number): Error {
  switch ((error as NodeJS.ErrnoException).code) {
    case 'EADDRINUSE':
      return new PaystateError('conflict', 'port_in_use', `port ${port} is already in use on ${hostname}`);
    case 'EACCES':
    case 'EPERM':
      return new PaystateError('forbidden', 'port_forbidden', `no permission to listen on port ${port} of ${hostname}`);
    case 'EADDRNOTAVAIL':
      return new PaystateError(
        'invalid',
        'host_unavailable',
        `cannot listen on ${hostname}: not an address of this machine`,
      );
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new PaystateError('invalid', 'host_unavailable', `cannot listen on ${hostname}: host name not found`);
    default:
      return error;
  }
}
