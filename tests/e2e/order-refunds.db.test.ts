import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AlertKind, Notifier } from '@paystate/core';
import { SumUpSandbox, type LoopbackServer } from '@paystate/sandbox';
import { startStack, waitFor, type Stack } from '../support/harness.js';
import { testBackend } from '../support/temp-db.js';

// Issue 11, order refunds (docs/architecture.md section 9): the dispatcher's REFUND effect is a movement. A
// retry after an unknown outcome settles it by reading the provider back where the provider
// takes no idempotency key (SumUp), never by sending it again. Money is read from the sandbox.

const API_KEY = 'sumup_order_refund_key';
const MERCHANT = 'MORDREF1';

class RecordingNotifier implements Notifier {
  readonly alerts: { kind: AlertKind; details: Record<string, unknown> }[] = [];
  async alert(kind: AlertKind, details: Record<string, unknown>): Promise<void> {
    this.alerts.push({ kind, details });
  }
  async notifyCustomer(): Promise<void> {}
}

describe(`order refunds on ${testBackend}: an unknown refund is read back, not sent again`, () => {
  let sumup: SumUpSandbox;
  let sumupServer: LoopbackServer;
  let stack: Stack;
  let notifier: RecordingNotifier;

  beforeEach(async () => {
    sumup = new SumUpSandbox({ apiKey: API_KEY, merchantCode: MERCHANT });
    sumupServer = await sumup.start();
    notifier = new RecordingNotifier();
    stack = await startStack({
      notifier,
      env: { SUMUP_API_URL: sumupServer.url, SUMUP_API_KEY: API_KEY, SUMUP_MERCHANT_CODE: MERCHANT },
    });
    await stack.createDevice('dev-rf');
  });
  afterEach(async () => {
    await Promise.race([sumup.settled(), new Promise((resolve) => setTimeout(resolve, 2000))]);
    await stack?.stop();
    await sumupServer?.close();
  });

  it('an operator refund of a SumUp order whose answer timed out is refunded once at SumUp and the order stays refunded (no review)', async () => {
    const created = await stack.request<{ order_id: string }>('POST', '/v1/orders', {
      body: {
        device_id: 'dev-rf',
        product_id: 'latte',
        product_name: 'Latte',
        size: 'M',
        price: 450,
        currency: 'EUR',
        provider: 'sumup',
      },
    });
    const orderId = created.body.order_id;
    expect((await stack.request('POST', `/v1/orders/${orderId}/pay`)).status).toBe(200);
    const checkout = sumup.checkoutFor(orderId)!;
    await sumup.setStatus(checkout.id, 'PAID');
    await stack.waitForStatus(orderId, 'successful', 5000);
    const transaction = checkout.transactions.find((t) => t.status === 'SUCCESSFUL')!;

    // SumUp takes the refund but answers after paystate's deadline: the effect's outcome is unknown.
    sumup.faults.inject('refund', { delayMs: 900 });
    const action = await stack.admin<{ status: string }>('POST', `/orders/${orderId}/actions`, {
      action: 'refund',
      operator: 'ops',
    });
    expect(action.body.status).toBe('refunded');
    await waitFor(() => transaction.refundedMinor === 450, 4000, 'SumUp to take the refund');
    // The dispatcher's retry (1 s backoff) settles it; give it time for two more.
    await new Promise((resolve) => setTimeout(resolve, 3500));
    await stack.runtime.dispatcher.kick();

    expect(transaction.refunds.map((r) => r.amountMinor)).toEqual([450]);
    expect((await stack.status(orderId)).status).toBe('refunded');
    expect(notifier.alerts.filter((a) => a.kind === 'refund_failed')).toEqual([]);
  }, 20_000);
});
