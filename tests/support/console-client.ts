import { expect } from 'vitest';
import type { Stack } from './harness.js';

/** The console over plain HTTP, as a browser would use it: one origin, the console's one cookie. */
export class ConsoleClient {
  private cookie = '';
  constructor(private readonly base: string) {}

  /** A client logged in with an API key (or ADMIN_TOKEN). */
  static async loggedIn(base: string, key: string): Promise<ConsoleClient> {
    const client = new ConsoleClient(base);
    const login = await client.post('/console/login', { key });
    expect(login.status, login.text).toBe(303);
    return client;
  }

  /** The form token of a page's forms. */
  static csrfOf(html: string): string {
    return /name="csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';
  }

  get(path: string) {
    return this.send('GET', path);
  }

  post(path: string, form: Record<string, string>, headers: Record<string, string> = {}) {
    return this.send('POST', path, new URLSearchParams(form).toString(), {
      'content-type': 'application/x-www-form-urlencoded',
      origin: this.base,
      ...headers,
    });
  }

  private async send(method: string, path: string, body?: string, headers: Record<string, string> = {}) {
    const response = await fetch(`${this.base}${path}`, {
      method,
      redirect: 'manual',
      headers: { ...headers, ...(this.cookie ? { cookie: this.cookie } : {}) },
      ...(body === undefined ? {} : { body }),
    });
    const set = response.headers.get('set-cookie');
    if (set) this.cookie = set.split(';')[0]!.endsWith('=') ? '' : set.split(';')[0]!;
    return { status: response.status, headers: response.headers, text: await response.text() };
  }
}

/** An API key issued with ADMIN_TOKEN, as a platform operator would. */
export async function issueKey(
  stack: { request<T>(method: string, path: string, options: object): Promise<{ body: T }> },
  adminToken: string,
  request: { scope: string; label: string; merchant_id: string },
): Promise<string> {
  return (await stack.request<{ key: string }>('POST', '/v1/admin/api-keys', { token: adminToken, body: request })).body
    .key;
}

/**
 * A pending order whose YooKassa notification arrived while the payment could not be re-read
 * (the API answering 500): the inbox keeps the delivery as an error, the order stays pending.
 */
export async function failedYooKassaDelivery(stack: Stack, deviceId: string) {
  stack.tmetr.mode = 'accept';
  const order = await stack.createOrder(deviceId);
  const { paymentId } = await stack.pay(order.order_id);
  await stack.yookassa.setStatus(paymentId, 'succeeded', false);
  stack.yookassa.faults.inject('get', { status: 500, times: 3 });
  const failed = await stack.request('POST', '/v1/webhooks/yookassa', {
    body: { type: 'notification', event: 'payment.succeeded', object: { id: paymentId, status: 'succeeded' } },
  });
  expect(failed.status).toBe(503);
  expect((await stack.status(order.order_id)).status).toBe('pending');
  stack.yookassa.faults.clear();
  return { orderId: order.order_id, paymentId };
}
