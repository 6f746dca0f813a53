import { WaveSandbox } from '@paystate/sandbox';
import { CliError } from '../output.js';
import { customerPays, type Api } from './http.js';
import type { Scenario } from './scenario.js';

const WAVE = { apiKey: 'demo-wave-key', webhookSecret: 'demo-wave-webhook-secret' };
const MERCHANT = 'demo-maquis';

/** The restaurant seed: a cash drawer, a cash sale, a Wave sale, a partial refund, the till closed. */
export function posScenario(): Scenario {
  const wave = new WaveSandbox(WAVE);
  return {
    async start() {
      const w = await wave.start();
      return {
        servers: [w],
        describe: `sandbox Wave ${w.url}; merchant ${MERCHANT}`,
        env: {
          FULFILMENT: 'none',
          PAYMENT_PROVIDER: 'wave',
          WAVE_API_URL: w.url,
          WAVE_API_KEY: WAVE.apiKey,
          WAVE_WEBHOOK_SECRET: WAVE.webhookSecret,
        },
      };
    },
    connect(serverUrl) {
      wave.webhookUrl = `${serverUrl}/v1/webhooks/wave`;
    },
    async run(api, say) {
      const m = `/v1/merchants/${MERCHANT}`;
      const registered = (await api('GET', '/v1/admin/merchants')).merchants as Array<{ id: string }>;
      if (!registered.some((merchant) => merchant.id === MERCHANT))
        await api('POST', '/v1/admin/merchants', { id: MERCHANT, name: 'Maquis de la démo' });
      await ensureMethod(api, m, { provider_code: 'cash', display_name: 'Espèces', sort_order: 0 });
      await ensureMethod(api, m, { provider_code: 'wave', display_name: 'Wave', sort_order: 1 });
      const offered = (await api('GET', `${m}/payment-methods?offered=true`)).methods as Array<{
        display_name?: string;
        displayName?: string;
      }>;
      say(`\noffered to customers: ${offered.map((method) => method.display_name ?? method.displayName).join(', ')}`);

      const open = await api('GET', `${m}/drawer`).catch(() => null);
      if (open)
        await api('POST', `${m}/drawer/close`, { counted_minor: Number(open.expected_minor), operator: 'demo' });
      await api('POST', `${m}/drawer/open`, { opening_minor: 10_000, currency: 'XOF', operator: 'awa' });
      say('till opened by awa with 10 000 XOF');

      const cash = await api('POST', `${m}/payments`, {
        method: 'cash',
        amount_minor: 2_500,
        currency: 'XOF',
        description: 'Thieboudienne',
      });
      await api('POST', `${m}/payments/${String(cash.payment_id)}/confirm-cash`);
      say(
        `cash sale 2 500 XOF (Thieboudienne): ${String((await api('GET', `${m}/payments/${String(cash.payment_id)}`)).status)}`,
      );

      const mobile = await api('POST', `${m}/payments`, {
        method: 'wave',
        amount_minor: 1_500,
        currency: 'XOF',
        description: 'Bissap x3',
      });
      say(
        `Wave sale 1 500 XOF (Bissap x3): ${String(mobile.status)}, payer sent to ${String(mobile.confirmation_url)}`,
      );
      await customerPays(String(mobile.confirmation_url));
      const checked = await api('POST', `${m}/payments/${String(mobile.payment_id)}/check`);
      say(`  after the payer approved in Wave and the cashier checked: ${String(checked.status)}`);

      await api('POST', `${m}/payments/${String(cash.payment_id)}/refunds`, {
        amount_minor: 1_000,
        reason: 'plat froid',
      });
      say('partial cash refund 1 000 XOF (plat froid)');
      const beyond = await api('POST', `${m}/payments/${String(cash.payment_id)}/refunds`, {
        amount_minor: 2_000,
      }).catch((error: unknown) => error);
      say(
        `a refund of 2 000 XOF more is refused: ${beyond instanceof Error ? (beyond.message.split(' ')[3] ?? 'refused') : 'accepted?!'}`,
      );

      const closed = await api('POST', `${m}/drawer/close`, { counted_minor: 11_450, operator: 'moussa' });
      say(
        `till closed by moussa: expected ${String(closed.expected_minor)} XOF, counted 11 450, variance ${String(closed.variance_minor)}`,
      );
      if (
        checked.status !== 'success' ||
        Number(closed.expected_minor) !== 11_500 ||
        Number(closed.variance_minor) !== -50 ||
        !(beyond instanceof Error)
      ) {
        throw new CliError('the POS demo did not end as expected');
      }
    },
  };
}

async function ensureMethod(api: Api, base: string, method: Record<string, unknown>): Promise<void> {
  const existing = (await api('GET', `${base}/payment-methods`)).methods as Array<Record<string, unknown>>;
  if (!existing.some((each) => (each.provider_code ?? each.providerCode) === method.provider_code))
    await api('POST', `${base}/payment-methods`, method);
}
