import { startMailSink, SumUpSandbox, type LoopbackServer } from '@paystate/sandbox';
import { CliError } from '../output.js';
import { customerPays, watchStatus } from './http.js';
import type { Scenario } from './scenario.js';

const SUMUP = { apiKey: 'demo-sumup-key', merchantCode: 'MDEMO001' };
const BUYER = 'guest@example.org';

/** The ticket seed: SumUp checkouts (polled, never trusting the return URL), a ticket mailed once. */
export function ticketsScenario(): Scenario {
  const sumup = new SumUpSandbox(SUMUP);
  let mail: Awaited<ReturnType<typeof startMailSink>> | null = null;
  return {
    async start() {
      const s = await sumup.start();
      mail = await startMailSink();
      const sink: LoopbackServer = { url: mail.url, port: 0, close: mail.close };
      return {
        servers: [s, sink],
        describe: `sandbox SumUp ${s.url}, mail sink ${mail.url}`,
        env: {
          PAYMENT_PROVIDER: 'sumup',
          SUMUP_API_URL: s.url,
          SUMUP_API_KEY: SUMUP.apiKey,
          SUMUP_MERCHANT_CODE: SUMUP.merchantCode,
          FULFILMENT: 'tickets',
          SMTP_URL: mail.url,
          MAIL_FROM: 'Box office <tickets@example.org>',
        },
      };
    },
    connect() {},
    async run(api, say, timeoutMs, serverUrl) {
      await api('PUT', '/v1/admin/devices/autumn-concert', {
        name: 'Autumn concert, City Hall',
        location: 'City Hall, 20 November, doors 19:00',
        client_info_successful: '<b>Your ticket is in your mailbox.</b> Show its code at the door.',
      });
      const order = await api('POST', '/v1/orders', {
        device_id: 'autumn-concert',
        product_id: 'standing',
        product_name: 'Autumn concert',
        size: 'Standing',
        price: 3_500,
        currency: 'EUR',
        customer_email: BUYER,
      });
      const orderId = String(order.order_id);
      say(
        `\norder ${orderId}: Autumn concert, standing, ${String((order.price as { display: string }).display)} for ${BUYER}`,
      );
      const watch = watchStatus(api, orderId, say);
      await watch.tick();
      const { confirmation_url: confirmationUrl } = (await api('POST', `/v1/orders/${orderId}/pay`)) as {
        confirmation_url: string;
      };
      say(`  SumUp checkout: ${confirmationUrl}`);
      say('  the guest pays; paystate polls SumUp (the return URL proves nothing) ...');
      await customerPays(confirmationUrl);
      const final = await watch.until(timeoutMs);
      const detail = await api('GET', `/v1/admin/orders/${orderId}`);
      const ticket = detail.ticket as { id: string } | null;
      say(`\nstatus page: ${serverUrl}/orders/${orderId}`);
      say(
        `ticket ${ticket?.id ?? '(none)'}; e-mails to ${BUYER}: ${mail?.mails.filter((m) => m.to.includes(BUYER)).length ?? 0}`,
      );
      if (final !== 'successful' || !ticket)
        throw new CliError(`the order ended as ${final}, not successful with a ticket`);
    },
  };
}
