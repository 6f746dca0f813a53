import { opsPerSecond } from './measure.js';
import { startBenchStack } from './stack.js';

const ADMIN_TOKEN = 'bench-admin-token-0123456789';

/**
 * What a scoped API key costs per request: a GET of a merchant's POS payments (in-process, no
 * socket) with a cashier key (prefix lookup, digest, merchant check, a last-use write at most a
 * minute) against the same request with the ADMIN_TOKEN bootstrap (a constant-time compare).
 */
export async function benchApiKeyAuth() {
  const stack = await startBenchStack({ ADMIN_TOKEN });
  try {
    await stack.runtime.merchants.create('bench-m', 'Bench merchant');
    const { key } = await stack.runtime.merchants.issueKey({
      scope: 'cashier',
      merchantId: 'bench-m',
      deviceId: null,
      label: 'bench cashier',
    });
    const get = (token: string) => async () => {
      const response = await stack.runtime.app.request('/v1/merchants/bench-m/payments?limit=1', {
        headers: { authorization: `Bearer ${token}` },
      });
      if (response.status !== 200) throw new Error(`bench request answered ${response.status}`);
      await response.arrayBuffer();
    };
    const baseline = await opsPerSecond(get(ADMIN_TOKEN));
    const measured = await opsPerSecond(get(key));
    return {
      name: 'POS read with a cashier API key',
      unit: 'requests/s',
      measured,
      baseline,
      baselineName: 'the same read with ADMIN_TOKEN',
    };
  } finally {
    await stack.close();
  }
}
