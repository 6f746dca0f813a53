/**
 * The HTTP server under a careless or hostile client (issue 16): security headers on every
 * answer, a slow upload and slow headers cut loose on time, and a cap on connections held at
 * once — each while an honest request still gets its answer.
 */
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../support/harness.js';

let stack: Stack;
let host: string;
let port: number;

beforeAll(async () => {
  stack = await startStack({
    env: {
      HTTP_HEADERS_TIMEOUT_S: '1',
      HTTP_REQUEST_TIMEOUT_S: '2',
      HTTP_KEEP_ALIVE_TIMEOUT_S: '1',
      HTTP_MAX_CONNECTIONS: '4',
    },
  });
  await stack.createDevice('dev-1');
  const url = new URL(stack.server.url);
  host = url.hostname;
  port = Number(url.port);
});

afterAll(async () => {
  await stack?.stop();
});

/** A raw connection, resolved once connected; `closed` settles when the server hangs up. */
function openSocket(): Promise<{ socket: Socket; closed: Promise<{ after: number; data: string }> }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, host);
    const opened = Date.now();
    let data = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (data += chunk));
    const closed = new Promise<{ after: number; data: string }>((done) => {
      socket.on('close', () => done({ after: Date.now() - opened, data }));
    });
    socket.once('connect', () => resolve({ socket, closed }));
    socket.once('error', (error) => {
      if (!socket.connecting) return;
      reject(error);
    });
    socket.on('error', () => undefined);
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('security headers', () => {
  it('every page and every JSON answer forbids framing and sniffing and sends no referrer to another site', async () => {
    const order = await stack.createOrder('dev-1');
    for (const path of [
      '/',
      `/orders/${order.order_id}`,
      '/orders/no-such-order',
      '/console/login',
      `/v1/order-status/${order.order_id}`,
      '/v1/no-such-route',
      '/healthz',
    ]) {
      const reply = await stack.request('GET', path, { headers: { accept: 'text/html' } });
      expect(reply.headers.get('x-frame-options'), path).toBe('DENY');
      expect(reply.headers.get('x-content-type-options'), path).toBe('nosniff');
      expect(reply.headers.get('referrer-policy'), path).toBe('same-origin');
    }
    const page = await stack.request('GET', `/orders/${order.order_id}`);
    expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
  });
});

describe('slow and idle clients', () => {
  it('a slow upload is cut off after HTTP_REQUEST_TIMEOUT_S while an honest request is answered', async () => {
    const { socket, closed } = await openSocket();
    socket.write(
      `POST /v1/orders HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{`,
    );
    const trickle = setInterval(() => socket.writable && socket.write(' '), 300);
    try {
      expect((await stack.request('GET', '/healthz')).status).toBe(200);
      const { after, data } = await closed;
      // Cut at the 2 s budget, checked every second: well before the 300 s Node allowed before.
      expect(after).toBeLessThan(6000);
      expect(data).toMatch(/^HTTP\/1\.1 408|^$/);
    } finally {
      clearInterval(trickle);
      socket.destroy();
    }
  });

  it('headers that never end are cut off after HTTP_HEADERS_TIMEOUT_S', async () => {
    const { socket, closed } = await openSocket();
    socket.write(`GET /healthz HTTP/1.1\r\nHost: ${host}\r\n`);
    const trickle = setInterval(() => socket.writable && socket.write('X-Slow: 1\r\n'), 300);
    try {
      const { after } = await closed;
      expect(after).toBeLessThan(5000);
    } finally {
      clearInterval(trickle);
      socket.destroy();
    }
  });

  it('past HTTP_MAX_CONNECTIONS a new connection is closed at once; freed slots serve again', async () => {
    const held = await Promise.all([openSocket(), openSocket(), openSocket(), openSocket()]);
    await sleep(100);
    const extra = await openSocket();
    const refused = await Promise.race([extra.closed, sleep(2000).then(() => null)]);
    expect(refused, 'the connection over the cap was kept').not.toBeNull();
    expect(refused!.after).toBeLessThan(1000);
    for (const { socket } of held) socket.destroy();
    await sleep(200);
    expect((await stack.request('GET', '/healthz')).status).toBe(200);
  });
});

describe('JSON routes read JSON only', () => {
  const order = () =>
    JSON.stringify({
      device_id: 'dev-1',
      product_id: 'latte',
      product_name: 'Latte',
      size: 'M',
      price: 100,
      currency: 'RUB',
    });

  it('a body sent as a form, as text/plain or without a type answers 415 and creates nothing', async () => {
    const before = (await stack.admin<{ orders: unknown[] }>('GET', '/orders')).body.orders.length;
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', null]) {
      const reply = await fetch(`${stack.server.url}/v1/orders`, {
        method: 'POST',
        headers: type ? { 'content-type': type } : {},
        body: type === null ? new Blob([order()]) : order(),
      });
      expect(reply.status, String(type)).toBe(415);
      expect(await reply.json()).toMatchObject({ error: { code: 'unsupported_media_type' } });
    }
    expect((await stack.admin<{ orders: unknown[] }>('GET', '/orders')).body.orders).toHaveLength(before);
    const accepted = await stack.request('POST', '/v1/orders', {
      raw: order(),
      headers: { 'content-type': 'application/json; charset=utf-8' },
    });
    expect(accepted.status, accepted.text).toBe(201);
  });

  it('a route whose body is optional still takes no body without a type', async () => {
    const { order_id } = await stack.createOrder('dev-1');
    const reply = await fetch(`${stack.server.url}/v1/orders/${order_id}/pay`, { method: 'POST' });
    expect(reply.status).toBe(200);
  });
});

describe('TRUSTED_PROXIES: the YooKassa sender allowlist behind a reverse proxy', () => {
  it('believes X-Forwarded-For from a trusted proxy only, and only its right-most untrusted hop', async () => {
    const proxied = await startStack({
      env: { YOOKASSA_ALLOWED_NETWORKS: '203.0.113.0/24', TRUSTED_PROXIES: '127.0.0.1/32' },
    });
    try {
      await proxied.createDevice('dev-1');
      const { order_id } = await proxied.createOrder('dev-1');
      const { payment, paymentId } = await proxied.pay(order_id);
      await proxied.yookassa.setStatus(paymentId, 'succeeded', false);
      const notification = JSON.stringify({
        type: 'notification',
        event: 'payment.succeeded',
        object: proxied.yookassa.paymentJson(payment),
      });
      const send = (forwardedFor: string) =>
        proxied.request('POST', '/v1/webhooks/yookassa', {
          raw: notification,
          headers: { 'x-forwarded-for': forwardedFor },
        });

      // A forger who writes YooKassa's network into the header: the proxy appends the real sender.
      const forged = await send('203.0.113.9, 198.51.100.7');
      expect(forged.status, forged.text).toBeGreaterThanOrEqual(400);
      expect((await proxied.status(order_id)).status).toBe('pending');

      const genuine = await send('203.0.113.9');
      expect(genuine.status, genuine.text).toBe(200);
      await proxied.waitForStatus(order_id, 'successful', 5000);
    } finally {
      await proxied.stop();
    }
  });
});
