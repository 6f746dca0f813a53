import { pino } from 'pino';
import type { Clock, Notifier } from '@paystate/core';
import { createRuntime, loadSettings, startServer, type RunningServer, type Runtime } from '@paystate/server';
import { freePort, TmetrSandbox, YooKassaSandbox, type LoopbackServer } from '@paystate/sandbox';
import { tempDatabase } from './temp-db.js';

export const ADMIN_TOKEN = 'admin-token-for-e2e-tests';
export const DEVICE_TOKEN = 'device-token-for-e2e';
export const SHOP_ID = 'shop-42';
export const SECRET_KEY = 'test_secret_key';
export const TMETR_TOKEN = 'tmetr-token';

export interface StackOverrides {
  /** Extra or replaced settings (env var names). */
  env?: Record<string, string>;
  /** How long the Tmetr sandbox "brews" before it reports the drink made. */
  brewMs?: number;
  /** Receives the alerts and customer notices the dispatcher performs (a recorder in tests); logs by default. */
  notifier?: Notifier;
  /** The runtime's clock (a ManualClock in model-based tests); the system clock by default. */
  clock?: Clock;
  /**
   * A YooKassa sandbox built by the caller (e.g. one that captures notifications instead of
   * sending them); it must use SHOP_ID and SECRET_KEY. A fresh one by default.
   */
  yookassa?: YooKassaSandbox;
  /** Merchants registered before the first request (the migration registers `default`). */
  merchants?: readonly string[];
}

/** The merchants the POS suites sell for: registered in every stack unless a test names its own. */
export const TEST_MERCHANTS = [
  'dakar-1',
  'dakar-2',
  'dakar-7',
  'msk-1',
  'msk-8',
  'msk-9',
  'paris-1',
  'paris-2',
  'abidjan-1',
];

export interface Reply<T = unknown> {
  status: number;
  headers: Headers;
  text: string;
  /** The parsed JSON body, or undefined when the body is not JSON. */
  body: T;
}

export interface RequestOptions {
  /** Serialised as JSON unless `raw` is given. */
  body?: unknown;
  /** Sent byte for byte (malformed JSON, oversized bodies). */
  raw?: string;
  headers?: Record<string, string>;
  /** Bearer token; `admin()` passes the admin token. */
  token?: string;
  redirect?: 'follow' | 'manual' | 'error';
}

export type ErrorBody = { error: { code: string; message: string } };

/** What GET /v1/order-status/:id answers (the fields the tests read). */
export interface StatusBody {
  order_id: string;
  order_number: string;
  status: string;
  terminal: boolean;
  final: boolean;
  failure_reason: string | null;
  title: { ru: string; en: string };
  status_description: string;
  status_description_en: string;
  needs_help: boolean;
  item_name: string;
  item_size: string;
  price: { amount_minor: number; currency: string; display: string; display_en: string };
  created_at: string;
  expires_at: string;
  can_pay: boolean;
  confirmation_url: string | null;
  device: Record<string, string | null>;
}

export interface AuditEvent {
  id: number;
  from: string | null;
  to: string;
  event: string;
  source: string;
  applied: boolean;
  payload: Record<string, unknown>;
}

export interface OrderDetail {
  status: string;
  version: number;
  merchant_id: string;
  order: { order_id: string; provider_payment_id: string | null; device_id: string };
  events: AuditEvent[];
}

export interface NewOrderFields {
  product_id?: string;
  product_name?: string;
  size?: string;
  price?: number;
  currency?: string;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls until `check` returns something truthy; throws with the last value seen on timeout. */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  timeoutMs = 3000,
  what = 'condition',
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    last = await check();
    if (last) return last as NonNullable<T>;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${JSON.stringify(last)})`);
    await sleep(15);
  }
}

/**
 * The whole system on loopback: the YooKassa and Tmetr sandboxes, paystate on a real database
 * of this run's backend (a SQLite file or a PostgreSQL database), wired by settings exactly as
 * in production. Everything the tests learn comes over HTTP or from what the sandboxes recorded.
 */
export async function startStack(overrides: StackOverrides = {}) {
  const db = await tempDatabase();
  const yookassa = overrides.yookassa ?? new YooKassaSandbox({ shopId: SHOP_ID, secretKey: SECRET_KEY });
  const tmetr = new TmetrSandbox({ token: TMETR_TOKEN, deviceToken: DEVICE_TOKEN, brewMs: overrides.brewMs ?? 0 });
  const opened: LoopbackServer[] = [];
  let runtime: Runtime | undefined;
  let server: RunningServer | undefined;
  try {
    const yookassaServer = await yookassa.start();
    opened.push(yookassaServer);
    const tmetrServer = await tmetr.start();
    opened.push(tmetrServer);
    const port = await freePort();
    const settings = loadSettings({
      PAYMENT_PROVIDER: 'yookassa',
      YOOKASSA_API_URL: yookassaServer.apiUrl,
      YOOKASSA_ALLOWED_NETWORKS: '127.0.0.1/32',
      YOOKASSA_SHOP_ID: SHOP_ID,
      YOOKASSA_SECRET_KEY: SECRET_KEY,
      TMETR_API_URL: tmetrServer.url,
      TMETR_TOKEN,
      ADMIN_TOKEN,
      DEVICE_TOKEN,
      DATABASE_URL: db.url,
      PORT: String(port),
      LOG_LEVEL: 'silent',
      PAYMENT_API_TIMEOUT_S: '0.5',
      ...overrides.env,
    });
    runtime = createRuntime({
      settings,
      logger: pino({ level: 'silent' }),
      ...(overrides.clock ? { clock: overrides.clock } : {}),
      ...(overrides.notifier ? { notifier: overrides.notifier } : {}),
    });
    await runtime.store.ready();
    for (const id of overrides.merchants ?? TEST_MERCHANTS) await runtime.merchants.create(id, id);
    server = await startServer(runtime);
  } catch (error) {
    if (runtime && !server) await runtime.close();
    await Promise.all(opened.map((s) => s.close()));
    await db.cleanup();
    throw error;
  }
  const running = server;
  const [yookassaServer, tmetrServer] = opened as [LoopbackServer, LoopbackServer];
  yookassa.webhookUrl = `${running.url}/v1/webhooks/yookassa`;
  tmetr.resultCallbackUrl = running.url;

  async function request<T = unknown>(method: string, path: string, options: RequestOptions = {}): Promise<Reply<T>> {
    const headers: Record<string, string> = { ...options.headers };
    let body: string | undefined;
    if (options.raw !== undefined) body = options.raw;
    else if (options.body !== undefined) body = JSON.stringify(options.body);
    if (body !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) {
      headers['content-type'] = 'application/json';
    }
    if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
    const url = path.startsWith('http') ? path : `${running.url}${path}`;
    const response = await fetch(url, { method, headers, body, redirect: options.redirect ?? 'follow' });
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    return { status: response.status, headers: response.headers, text, body: parsed as T };
  }

  const admin = <T = unknown>(method: string, path: string, body?: unknown) =>
    request<T>(method, `/v1/admin${path}`, { body, token: ADMIN_TOKEN });

  async function expectOk<T>(reply: Promise<Reply<T>>, ...statuses: number[]): Promise<T> {
    const r = await reply;
    if (!statuses.includes(r.status))
      throw new Error(`expected HTTP ${statuses.join('/')}, got ${r.status}: ${r.text}`);
    return r.body;
  }

  const stack = {
    server: running,
    runtime: runtime!,
    yookassa,
    tmetr,
    /** Base of the YooKassa sandbox (the checkout pages live here; the API under /v3). */
    yookassaUrl: yookassaServer.url,
    tmetrUrl: tmetrServer.url,
    webhookUrl: yookassa.webhookUrl,
    db,
    request,
    admin,

    createDevice(id: string, fields: Record<string, unknown> = {}) {
      return expectOk(
        admin<Record<string, unknown>>('PUT', `/devices/${id}`, {
          name: `Machine ${id}`,
          location: 'Lobby',
          ...fields,
        }),
        200,
        201,
      );
    },

    createOrder(deviceId: string, fields: NewOrderFields = {}) {
      return expectOk(
        request<StatusBody>('POST', '/v1/orders', {
          body: {
            device_id: deviceId,
            product_id: 'latte',
            product_name: 'Latte',
            size: 'M',
            price: 15000,
            currency: 'RUB',
            ...fields,
          },
        }),
        201,
      );
    },

    /** Starts the payment; returns the confirmation URL and the sandbox payment behind it. */
    async pay(orderId: string) {
      const { confirmation_url: confirmationUrl } = await expectOk(
        request<{ confirmation_url: string }>('POST', `/v1/orders/${orderId}/pay`),
        200,
      );
      const payment = yookassa.paymentFor(orderId);
      if (!payment) throw new Error(`the sandbox has no payment for order ${orderId}`);
      return { confirmationUrl, paymentId: payment.id, payment };
    },

    /** The customer presses "Pay" on the sandbox checkout page; returns where they are sent. */
    async customerPays(paymentId: string) {
      const response = await fetch(`${yookassaServer.url}/checkout/${paymentId}/pay`, {
        method: 'POST',
        redirect: 'manual',
      });
      await response.body?.cancel();
      return { status: response.status, location: response.headers.get('location') };
    },

    /** The device's callback, as the coffee machine sends it. */
    deviceReport(deviceId: string, orderId: string, result: string, token: string | null = DEVICE_TOKEN) {
      return request<{ order_id: string; status: string; applied: boolean }>(
        'POST',
        `/v1/devices/${deviceId}/orders/${orderId}/result`,
        {
          body: { result },
          ...(token === null ? {} : { token }),
        },
      );
    },

    status(orderId: string) {
      return expectOk(request<StatusBody>('GET', `/v1/order-status/${orderId}`), 200);
    },

    detail(orderId: string) {
      return expectOk(admin<OrderDetail>('GET', `/orders/${orderId}`), 200);
    },

    async waitForStatus(orderId: string, status: string, timeoutMs = 3000) {
      let last = '';
      try {
        return await waitFor(async () => {
          const view = await stack.status(orderId);
          last = view.status;
          return view.status === status ? view : null;
        }, timeoutMs);
      } catch {
        throw new Error(`order ${orderId} did not reach ${status} within ${timeoutMs} ms (last: ${last})`);
      }
    },

    /** Lets every notification and device report in flight get its final answer. */
    async settled() {
      await Promise.all([yookassa.settled(), tmetr.settled()]);
    },

    async stop() {
      // Give callbacks in flight a moment to land while the server still answers, then close.
      await Promise.race([stack.settled(), sleep(2000)]);
      await running.close();
      await Promise.all(opened.map((s) => s.close()));
      await db.cleanup();
    },
  };
  return stack;
}

export type Stack = Awaited<ReturnType<typeof startStack>>;
