/**
 * Several tills per merchant (docs/pos.md, cash drawer): each till id has its own open session,
 * its own expected balance and its own movements; a cash sale and its refund name the till the
 * cash goes into and comes out of. The cashier is the key: a cashier key's label is who opened,
 * closed and refunded, whatever `operator` the body claims.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DrawerView, PaymentView } from '@paystate/server';
import { ADMIN_TOKEN, startStack, type ErrorBody, type Reply, type Stack } from '../support/harness.js';
import { testBackend } from '../support/temp-db.js';

const T = 15_000;
const M = 'dakar-1';

type Drawer = DrawerView & { till_id: string };
interface Refund {
  refund_id: string;
  status: string;
  amount_minor: number;
  requested_by: string | null;
  drawer_session_id: string | null;
  payment: PaymentView;
  drawer: Drawer | null;
}
type Session = Drawer & { movements: Array<{ direction: string; amount_minor: number; refund_id: string | null }> };

function expectError(reply: Reply, status: number, code: string): string {
  expect({ status: reply.status, body: reply.body }).toMatchObject({ status, body: { error: { code } } });
  return (reply.body as ErrorBody).error.message;
}

async function ok<T>(reply: Promise<Reply<T>>, status: number): Promise<T> {
  const r = await reply;
  if (r.status !== status) throw new Error(`expected HTTP ${status}, got ${r.status}: ${r.text}`);
  return r.body;
}

describe(`tills and cashiers over HTTP on ${testBackend}`, () => {
  let stack: Stack;

  beforeEach(async () => {
    stack = await startStack();
    stack.yookassa.webhookUrl = undefined;
  });
  afterEach(async () => {
    await stack?.stop();
  });

  /** A request to /v1/merchants/dakar-1/<path>; POSTs carry a fresh Idempotency-Key. */
  const pos = <T = unknown>(method: string, path: string, body?: unknown, token = ADMIN_TOKEN) =>
    stack.request<T>(method, `/v1/merchants/${M}/${path}`, {
      token,
      ...(method === 'POST' ? { headers: { 'idempotency-key': randomUUID() } } : {}),
      ...(body === undefined ? {} : { body }),
    });

  async function cashSale(amountMinor: number, tillId?: string, token = ADMIN_TOKEN) {
    const created = await ok(
      pos<PaymentView>('POST', 'payments', { method: 'cash', amount_minor: amountMinor, currency: 'XOF' }, token),
      201,
    );
    return ok(
      pos<PaymentView & { drawer: Drawer }>(
        'POST',
        `payments/${created.payment_id}/confirm-cash`,
        tillId === undefined ? undefined : { till_id: tillId },
        token,
      ),
      200,
    );
  }

  beforeEach(async () => {
    await ok(pos('POST', 'payment-methods', { provider_code: 'cash', display_name: 'Espèces' }), 201);
  });

  it(
    'two tills of one merchant open at once, each with its own expected balance; a second open of one till is 409 while another till opens',
    async () => {
      const main = await ok(pos<Drawer>('POST', 'drawer/open', { opening_minor: 10_000, currency: 'XOF' }), 201);
      const bar = await ok(
        pos<Drawer>('POST', 'drawer/open', { opening_minor: 3_000, currency: 'XOF', till_id: 'bar' }),
        201,
      );
      expect(main).toMatchObject({ till_id: 'main', status: 'open', expected_minor: 10_000 });
      expect(bar).toMatchObject({ till_id: 'bar', status: 'open', expected_minor: 3_000 });
      expect(bar.session_id).not.toBe(main.session_id);

      const again = await pos('POST', 'drawer/open', { opening_minor: 0, currency: 'XOF', till_id: 'bar' });
      expect(expectError(again, 409, 'drawer_already_open')).toContain('bar');
      expectError(await pos('POST', 'drawer/open', { opening_minor: 0, currency: 'XOF' }), 409, 'drawer_already_open');
      await ok(pos('POST', 'drawer/open', { opening_minor: 500, currency: 'XOF', till_id: 'terrasse' }), 201);

      // Each till's own money: a sale into main (no till named), a sale and a float into bar.
      expect((await cashSale(2_500)).drawer).toMatchObject({ till_id: 'main', expected_minor: 12_500 });
      expect((await cashSale(1_200, 'bar')).drawer).toMatchObject({
        session_id: bar.session_id,
        till_id: 'bar',
        expected_minor: 4_200,
      });
      await ok(pos('POST', 'drawer/cash', { direction: 'in', amount_minor: 800, till_id: 'bar' }), 200);
      await ok(pos('POST', 'drawer/cash', { direction: 'out', amount_minor: 100 }), 200);
      expect(await ok(pos<Drawer>('GET', 'drawer'), 200)).toMatchObject({
        session_id: main.session_id,
        till_id: 'main',
        cash_in_minor: 2_500,
        cash_out_minor: 100,
        expected_minor: 12_400,
      });
      expect(await ok(pos<Drawer>('GET', 'drawer?till_id=bar'), 200)).toMatchObject({
        session_id: bar.session_id,
        cash_in_minor: 2_000,
        expected_minor: 5_000,
      });
      expect(await ok(pos<Drawer>('GET', 'drawer?till_id=terrasse'), 200)).toMatchObject({ expected_minor: 500 });

      // A till that is not open: refused, naming it; nothing written.
      expect(expectError(await pos('GET', 'drawer?till_id=cave'), 404, 'drawer_not_open')).toContain('cave');
      expect(
        expectError(
          await pos('POST', 'drawer/cash', { direction: 'in', amount_minor: 1, till_id: 'cave' }),
          409,
          'drawer_not_open',
        ),
      ).toContain('cave');
      const pending = await ok(
        pos<PaymentView>('POST', 'payments', { method: 'cash', amount_minor: 300, currency: 'XOF' }),
        201,
      );
      expect(
        expectError(
          await pos('POST', `payments/${pending.payment_id}/confirm-cash`, { till_id: 'cave' }),
          409,
          'drawer_not_open',
        ),
      ).toContain('cave');
      expect(await ok(pos<PaymentView>('GET', `payments/${pending.payment_id}`), 200)).toMatchObject({
        status: 'pending',
      });
      expectError(await pos('GET', 'drawer?till_id=..%2Fx'), 400, 'invalid_query');
      expectError(
        await pos('POST', 'drawer/open', { opening_minor: 0, currency: 'XOF', till_id: 'a b' }),
        400,
        'validation_failed',
      );

      // Closing bar leaves main open; bar opens again as a new session.
      const closedBar = await ok(pos<Drawer>('POST', 'drawer/close', { counted_minor: 5_000, till_id: 'bar' }), 200);
      expect(closedBar).toMatchObject({ till_id: 'bar', status: 'closed', variance_minor: 0 });
      expect(await ok(pos<Drawer>('GET', 'drawer'), 200)).toMatchObject({ session_id: main.session_id });
      expectError(await pos('GET', 'drawer?till_id=bar'), 404, 'drawer_not_open');
      const barAgain = await ok(
        pos<Drawer>('POST', 'drawer/open', { opening_minor: 5_000, currency: 'XOF', till_id: 'bar' }),
        201,
      );

      const all = await ok(pos<{ sessions: Drawer[] }>('GET', 'drawer/sessions'), 200);
      expect(all.sessions).toHaveLength(4);
      const bars = await ok(pos<{ sessions: Drawer[] }>('GET', 'drawer/sessions?till_id=bar'), 200);
      expect(bars.sessions.map((s) => [s.session_id, s.status])).toEqual([
        [barAgain.session_id, 'open'],
        [bar.session_id, 'closed'],
      ]);
      const mains = await ok(pos<{ sessions: Drawer[] }>('GET', 'drawer/sessions?till_id=main'), 200);
      expect(mains.sessions.map((s) => s.session_id)).toEqual([main.session_id]);
    },
    T,
  );

  it(
    'a cash sale confirmed into till "bar" and refunded out of "bar" leaves "main" untouched',
    async () => {
      const main = await ok(pos<Drawer>('POST', 'drawer/open', { opening_minor: 10_000, currency: 'XOF' }), 201);
      const bar = await ok(
        pos<Drawer>('POST', 'drawer/open', { opening_minor: 1_000, currency: 'XOF', till_id: 'bar' }),
        201,
      );
      const mainBefore = (await pos('GET', 'drawer')).text;

      const sale = await cashSale(4_000, 'bar');
      expect(sale).toMatchObject({ status: 'success', drawer_session_id: bar.session_id });
      expect(sale.drawer).toMatchObject({ till_id: 'bar', expected_minor: 5_000 });

      const refund = await ok(
        pos<Refund>('POST', `payments/${sale.payment_id}/refunds`, {
          amount_minor: 1_500,
          reason: 'plat froid',
          till_id: 'bar',
        }),
        201,
      );
      expect(refund).toMatchObject({ status: 'succeeded', drawer_session_id: bar.session_id });
      expect(refund.drawer).toMatchObject({ till_id: 'bar', cash_out_minor: 1_500, expected_minor: 3_500 });
      expect((await pos('GET', 'drawer')).text).toBe(mainBefore);

      // A refund out of a till that is not open: refused, nothing counted.
      const closedTill = await pos('POST', `payments/${sale.payment_id}/refunds`, {
        amount_minor: 100,
        till_id: 'cave',
      });
      expect(expectError(closedTill, 409, 'drawer_not_open')).toContain('cave');
      expect(await ok(pos<PaymentView>('GET', `payments/${sale.payment_id}`), 200)).toMatchObject({
        refunded_minor: 1_500,
      });
      // A refund without a till comes out of main (a sale of bar may be refunded at another till).
      const fromMain = await ok(pos<Refund>('POST', `payments/${sale.payment_id}/refunds`, { amount_minor: 500 }), 201);
      expect(fromMain.drawer).toMatchObject({ session_id: main.session_id, till_id: 'main', expected_minor: 9_500 });

      const barSession = await ok(pos<Session>('GET', `drawer/sessions/${bar.session_id}`), 200);
      expect(barSession.movements.map((m) => `${m.direction}${m.amount_minor}`)).toEqual(['in4000', 'out1500']);
      expect(barSession.movements[1]!.refund_id).toBe(refund.refund_id);
      const mainSession = await ok(pos<Session>('GET', `drawer/sessions/${main.session_id}`), 200);
      expect(mainSession.movements.map((m) => `${m.direction}${m.amount_minor}`)).toEqual(['out500']);
    },
    T,
  );

  it(
    "the refund and the drawer sessions carry the cashier key's label; ADMIN_TOKEN names its operator",
    async () => {
      const { key } = await ok(
        stack.request<{ key: string }>('POST', '/v1/admin/api-keys', {
          token: ADMIN_TOKEN,
          body: { scope: 'cashier', label: 'kossi', merchant_id: M },
        }),
        201,
      );
      // The key is who opens the till: a claimed operator is ignored.
      const bar = await ok(
        pos<Drawer>(
          'POST',
          'drawer/open',
          { opening_minor: 2_000, currency: 'XOF', till_id: 'bar', operator: 'awa' },
          key,
        ),
        201,
      );
      expect(bar).toMatchObject({ till_id: 'bar', opened_by: 'kossi' });
      const sale = await cashSale(3_000, 'bar', key);
      const refund = await ok(
        pos<Refund>(
          'POST',
          `payments/${sale.payment_id}/refunds`,
          { amount_minor: 1_000, till_id: 'bar', operator: 'awa' },
          key,
        ),
        201,
      );
      expect(refund).toMatchObject({ status: 'succeeded', requested_by: 'kossi' });
      const detail = await ok(
        pos<PaymentView & { refunds: Array<{ refund_id: string; requested_by: string | null }> }>(
          'GET',
          `payments/${sale.payment_id}`,
          undefined,
          key,
        ),
        200,
      );
      expect(detail.refunds).toEqual([expect.objectContaining({ refund_id: refund.refund_id, requested_by: 'kossi' })]);
      const listed = await ok(
        pos<{ refunds: Array<{ requested_by: string | null }> }>('GET', `payments/${sale.payment_id}/refunds`),
        200,
      );
      expect(listed.refunds.map((r) => r.requested_by)).toEqual(['kossi']);

      // ADMIN_TOKEN names nobody: it may say who refunds; without a name it is the token's label.
      const byAwa = await ok(
        pos<Refund>('POST', `payments/${sale.payment_id}/refunds`, {
          amount_minor: 500,
          till_id: 'bar',
          operator: 'awa',
        }),
        201,
      );
      expect(byAwa.requested_by).toBe('awa');
      const byToken = await ok(
        pos<Refund>('POST', `payments/${sale.payment_id}/refunds`, { amount_minor: 500, till_id: 'bar' }),
        201,
      );
      expect(byToken.requested_by).toBe('ADMIN_TOKEN');

      const closed = await ok(
        pos<Drawer>('POST', 'drawer/close', { counted_minor: 3_000, till_id: 'bar', operator: 'awa' }, key),
        200,
      );
      expect(closed).toMatchObject({ opened_by: 'kossi', closed_by: 'kossi', expected_minor: 3_000 });
      const sessions = await ok(pos<{ sessions: Drawer[] }>('GET', 'drawer/sessions?till_id=bar', undefined, key), 200);
      expect(sessions.sessions.map((s) => [s.till_id, s.opened_by, s.closed_by])).toEqual([['bar', 'kossi', 'kossi']]);
    },
    T,
  );
});
