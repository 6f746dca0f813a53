import type { Command } from 'commander';
import { pino } from 'pino';
import { request } from 'undici';
import { createRuntime, loadSettings, startServer, type RunningServer } from '@paystate/server';
import { freePort, TmetrSandbox, YooKassaSandbox, type LoopbackServer } from '@paystate/server/sandbox';
import type { GlobalOptions } from '../context.js';
import { CliError } from '../output.js';
import { untilSignal } from './serve.js';

const ADMIN_TOKEN = 'demo-admin-token-0123456789';
const DEVICE_TOKEN = 'demo-device-token';
const SHOP = { shopId: 'demo-shop', secretKey: 'demo-secret-key' };
const TMETR_TOKEN = 'demo-tmetr-token';

interface DemoOptions {
  port?: string;
  serve?: boolean;
  timeout: string;
}

export function demoCommand(program: Command): void {
  program
    .command('demo')
    .description('sell one coffee end to end: sandbox YooKassa and Tmetr on loopback, the real server, SQLite')
    .option('--port <port>', 'server port (default: a free one)')
    .option('--serve', 'keep serving after the order completes, so the status page stays open (Ctrl-C stops)')
    .option('--timeout <seconds>', 'give up if the order is not done by then', '30')
    .action((options: DemoOptions) => runDemo(program.opts<GlobalOptions>(), options));
}

async function runDemo(global: GlobalOptions, options: DemoOptions): Promise<void> {
  const say = (line: string) => process.stdout.write(`${line}\n`);
  const yookassa = new YooKassaSandbox(SHOP);
  const tmetr = new TmetrSandbox({ token: TMETR_TOKEN, deviceToken: DEVICE_TOKEN, brewMs: 1500 });
  const sandboxes: LoopbackServer[] = [];
  let server: RunningServer | null = null;
  try {
    const yookassaServer = await yookassa.start();
    const tmetrServer = await tmetr.start();
    sandboxes.push(yookassaServer, tmetrServer);
    const port = options.port ?? String(await freePort());
    const settings = loadSettings({
      ...process.env,
      ...(global.database ? { DATABASE_URL: global.database } : {}),
      PORT: port,
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      PAYMENT_PROVIDER: 'yookassa',
      PAYMENT_CHECK_INTERVAL_S: '1',
      YOOKASSA_API_URL: yookassaServer.apiUrl,
      YOOKASSA_SHOP_ID: SHOP.shopId,
      YOOKASSA_SECRET_KEY: SHOP.secretKey,
      YOOKASSA_ALLOWED_NETWORKS: '127.0.0.1/32',
      TMETR_API_URL: tmetrServer.url,
      TMETR_TOKEN,
      ADMIN_TOKEN,
      DEVICE_TOKEN,
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    });
    const runtime = createRuntime({ settings, logger: pino({ level: settings.LOG_LEVEL }, pino.destination(2)) });
    server = await startServer(runtime, settings.PORT, '127.0.0.1', { poller: true });
    yookassa.webhookUrl = `${server.url}/v1/webhooks/yookassa`;
    tmetr.resultCallbackUrl = server.url;
    const api = apiClient(server.url);

    say(`paystate demo: server ${server.url}, database ${settings.DATABASE_URL}`);
    say(`  sandbox YooKassa ${yookassaServer.url}, sandbox Tmetr ${tmetrServer.url}`);

    await api('PUT', '/v1/admin/devices/demo-lobby', {
      name: 'Lobby coffee machine',
      location: 'Main hall, ground floor',
      client_info: '<p>Questions? Call <a href="tel:+70000000000">+7 000 000-00-00</a>.</p>',
      client_info_successful: '<b>Enjoy your coffee!</b>',
      client_info_make_failed: 'The machine could not start your drink. Show this page at the desk for a refund.',
    });
    const order = await api('POST', '/v1/orders', {
      deviceId: 'demo-lobby',
      productId: 'cappuccino',
      productName: 'Cappuccino',
      size: '300 ml',
      price: 18_900,
      currency: 'RUB',
    });
    const orderId = String(order.order_id);
    say(`\norder ${orderId}: Cappuccino 300 ml, ${String((order.price as { display: string }).display)}`);
    const started = Date.now();
    const watch = watchStatus(api, orderId, started, say);
    await watch.tick();

    const { confirmationUrl } = (await api('POST', `/v1/orders/${orderId}/pay`)) as { confirmationUrl: string };
    say(`  payment page: ${confirmationUrl}`);
    say('  the customer pays on the provider page ...');
    await request(new URL('pay', `${confirmationUrl}/`).toString(), { method: 'POST' }).then((r) => r.body.dump());

    const final = await watch.until(Number(options.timeout) * 1000);
    say(`\nstatus page: ${server.url}/orders/${orderId}`);
    const events = (await api('GET', `/v1/admin/orders/${orderId}`)).events as unknown[];
    const all = (await api('GET', '/v1/admin/orders?limit=500')).orders as unknown[];
    say(`audit trail: ${events.length} events (paystate orders show ${orderId}); orders in this database: ${all.length}`);
    say(`make commands sent to the machine for this order: ${tmetr.received.filter((c) => c.order_id === orderId).length}`);
    if (final !== 'successful') throw new CliError(`the order ended as ${final}, not successful`);
    if (options.serve) {
      say('\nserving until Ctrl-C ...');
      await untilSignal();
    }
  } finally {
    await server?.close();
    await Promise.all(sandboxes.map((sandbox) => sandbox.close()));
  }
}

type Api = (method: string, path: string, body?: unknown) => Promise<Record<string, unknown>>;

/** The demo talks to paystate over HTTP, as a kiosk and an operator would. */
function apiClient(baseUrl: string): Api {
  return async (method, path, body) => {
    const response = await request(`${baseUrl}${path}`, {
      method: method as 'GET',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = (await response.body.json()) as Record<string, unknown>;
    if (response.statusCode >= 400) throw new CliError(`${method} ${path} -> ${response.statusCode} ${JSON.stringify(json)}`);
    return json;
  };
}

/** Prints each status change as the customer's page would see it, until a terminal status. */
function watchStatus(api: Api, orderId: string, started: number, say: (line: string) => void) {
  let last = '';
  let final: string | null = null;
  const tick = async () => {
    const view = await api('GET', `/v1/order-status/${orderId}`);
    const status = String(view.status);
    if (status !== last) {
      last = status;
      const seconds = ((Date.now() - started) / 1000).toFixed(1).padStart(5);
      say(`  +${seconds}s  ${status.padEnd(14)} ${String(view.status_description_en)}`);
    }
    if (view.terminal === true) final = status;
  };
  return {
    tick,
    async until(timeoutMs: number): Promise<string> {
      const deadline = Date.now() + timeoutMs;
      while (final === null) {
        if (Date.now() > deadline) throw new CliError(`order ${orderId} is still ${last} after ${timeoutMs / 1000} s`);
        await tick();
        if (final === null) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      return final;
    },
  };
}
