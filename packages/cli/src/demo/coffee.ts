import { TmetrSandbox, YooKassaSandbox } from '@paystate/sandbox';
import { CliError } from '../output.js';
import { customerPays, DEVICE_TOKEN, watchStatus } from './http.js';
import type { Scenario } from './scenario.js';

const SHOP = { shopId: 'demo-shop', secretKey: 'demo-secret-key' };
const TMETR_TOKEN = 'demo-tmetr-token';

/** The coffee seed: YooKassa takes the money, Tmetr tells the machine to make the drink. */
export function coffeeScenario(): Scenario {
  const yookassa = new YooKassaSandbox(SHOP);
  const tmetr = new TmetrSandbox({ token: TMETR_TOKEN, deviceToken: DEVICE_TOKEN, brewMs: 1500 });
  return {
    async start() {
      const y = await yookassa.start();
      const t = await tmetr.start();
      return {
        servers: [y, t],
        describe: `sandbox YooKassa ${y.url}, sandbox Tmetr ${t.url}`,
        env: {
          PAYMENT_PROVIDER: 'yookassa',
          YOOKASSA_API_URL: y.apiUrl,
          YOOKASSA_SHOP_ID: SHOP.shopId,
          YOOKASSA_SECRET_KEY: SHOP.secretKey,
          YOOKASSA_ALLOWED_NETWORKS: '127.0.0.1/32',
          TMETR_API_URL: t.url,
          TMETR_TOKEN,
        },
      };
    },
    connect(serverUrl) {
      yookassa.webhookUrl = `${serverUrl}/v1/webhooks/yookassa`;
      tmetr.resultCallbackUrl = serverUrl;
    },
    async run(api, say, timeoutMs, serverUrl) {
      await api('PUT', '/v1/admin/devices/demo-lobby', {
        name: 'Lobby coffee machine',
        location: 'Main hall, ground floor',
        client_info: '<p>Questions? Call <a href="tel:+70000000000">+7 000 000-00-00</a>.</p>',
        client_info_successful: '<b>Enjoy your coffee!</b>',
        client_info_make_failed: 'The machine could not start your drink. Show this page at the desk for a refund.',
      });
      const order = await api('POST', '/v1/orders', {
        device_id: 'demo-lobby',
        product_id: 'cappuccino',
        product_name: 'Cappuccino',
        size: '300 ml',
        price: 18_900,
        currency: 'RUB',
      });
      const orderId = String(order.order_id);
      say(`\norder ${orderId}: Cappuccino 300 ml, ${String((order.price as { display: string }).display)}`);
      const watch = watchStatus(api, orderId, say);
      await watch.tick();
      const { confirmation_url: confirmationUrl } = (await api('POST', `/v1/orders/${orderId}/pay`)) as {
        confirmation_url: string;
      };
      say(`  payment page: ${confirmationUrl}`);
      say('  the customer pays on the provider page ...');
      await customerPays(confirmationUrl);
      const final = await watch.until(timeoutMs);
      say(`\nstatus page: ${serverUrl}/orders/${orderId}`);
      const events = (await api('GET', `/v1/admin/orders/${orderId}`)).events as unknown[];
      const all = (await api('GET', '/v1/admin/orders?limit=500')).orders as unknown[];
      say(
        `audit trail: ${events.length} events (paystate orders show ${orderId}); orders in this database: ${all.length}`,
      );
      say(
        `make commands sent to the machine for this order: ${tmetr.received.filter((c) => c.order_id === orderId).length}`,
      );
      if (final !== 'successful') throw new CliError(`the order ended as ${final}, not successful`);
    },
  };
}
