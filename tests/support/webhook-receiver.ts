import { createServer, type IncomingHttpHeaders } from 'node:http';

export interface ReceivedDelivery {
  headers: IncomingHttpHeaders;
  body: string;
  /** What the receiver answered. */
  status: number;
}

/**
 * A webhook receiver on 127.0.0.1 for the tests: keeps every POST with its raw body and the
 * status it answered; `failNext(n)` answers the next n with 500.
 */
export async function startWebhookReceiver() {
  const received: ReceivedDelivery[] = [];
  let failures = 0;
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const status = failures > 0 ? 500 : 204;
      if (failures > 0) failures -= 1;
      received.push({ headers: request.headers, body: Buffer.concat(chunks).toString('utf8'), status });
      response.writeHead(status).end();
    });
  });
  const port = await new Promise<number>((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : 0);
    });
  });
  return {
    url: `http://127.0.0.1:${port}/paystate-alerts`,
    received,
    /** The deliveries it accepted (2xx). */
    accepted: () => received.filter((delivery) => delivery.status < 300),
    failNext(count: number) {
      failures = count;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
