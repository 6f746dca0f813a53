/**
 * Every console action in a real browser (Debian's Chromium): mark made, refund, resolve and
 * verify, each through its confirmation with a note, each leaving its audit row with the
 * operator's name; acknowledging an alert; replaying a failed webhook delivery; and a forged
 * form (no form token) refused with nothing changed.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, startStack, type Stack } from '../support/harness.js';
import { browserAvailable, launchChromium } from '../support/browser.js';
import { failedYooKassaDelivery, issueKey } from '../support/console-client.js';

describe.skipIf(!browserAvailable)('console actions in Chromium', () => {
  let stack: Stack;
  let browser: Browser;
  let ownerKey: string;

  beforeAll(async () => {
    stack = await startStack({ merchants: ['cafe-a'] });
    ownerKey = await issueKey(stack, ADMIN_TOKEN, {
      scope: 'merchant_admin',
      label: 'Ana (owner)',
      merchant_id: 'cafe-a',
    });
    await stack.createDevice('dev-a', { merchant_id: 'cafe-a' });
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  async function failedOrder(): Promise<string> {
    stack.tmetr.mode = 'reject';
    const order = await stack.createOrder('dev-a');
    const { paymentId } = await stack.pay(order.order_id);
    await stack.customerPays(paymentId);
    await stack.waitForStatus(order.order_id, 'make_failed', 5000);
    return order.order_id;
  }

  async function login(key: string): Promise<Page> {
    const page = await (await browser.newContext()).newPage();
    page.on('pageerror', (error) => {
      throw error;
    });
    await page.goto(`${stack.server.url}/console/login`);
    await page.getByLabel('API key (psk_…)').fill(key);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForURL(/\/console$/);
    return page;
  }

  async function act(page: Page, orderId: string, link: string, note: string) {
    await page.goto(`${stack.server.url}/console/orders/${orderId}`);
    await page.getByRole('link', { name: link }).click();
    await page.getByLabel(/Note/).fill(note);
    await page.getByRole('button', { name: /Confirm/ }).click();
    await page.waitForURL(/done=/);
    expect(await page.textContent('main')).toContain(note);
  }

  it('mark made, refund, resolve and verify: each confirmed with a note and audited with the operator', async () => {
    const page = await login(ownerKey);
    const made = await failedOrder();
    await act(page, made, 'Mark made', 'made at the counter');
    expect((await stack.status(made)).status).toBe('successful');

    const refunded = await failedOrder();
    await act(page, refunded, 'Refund in full', 'machine broken, money back');
    await stack.waitForStatus(refunded, 'refunded', 5000);
    const books = stack.yookassa.books().find((entry) => entry.reference === refunded);
    expect(books).toMatchObject({ refunded: { amountMinor: 15000, currency: 'RUB' } });

    // An amount mismatch goes to review; the operator resolves it.
    stack.tmetr.mode = 'accept';
    const reviewed = await stack.createOrder('dev-a');
    const { payment } = await stack.pay(reviewed.order_id);
    payment.amount = { amountMinor: 100, currency: 'RUB' };
    await stack.yookassa.setStatus(payment.id, 'succeeded');
    await stack.waitForStatus(reviewed.order_id, 'requires_manual_review', 5000);
    await act(
      page,
      reviewed.order_id,
      'Resolve (money checked, nothing to do)',
      'checked with the bank: nothing to do',
    );

    // Verify asks the provider again: an order whose money came late is found.
    const late = await stack.createOrder('dev-a');
    const pay = await stack.pay(late.order_id);
    await stack.yookassa.setStatus(pay.paymentId, 'succeeded', false);
    await act(page, late.order_id, 'Verify with the provider now', 'customer shows a receipt');
    expect((await stack.status(late.order_id)).status).not.toBe('pending');

    const audit = await stack.detail(made);
    expect(audit.events.at(-1)).toMatchObject({ event: 'OPERATOR_MARK_MADE', payload: { operator: 'Ana (owner)' } });
  }, 60_000);

  it('a forged form without the form token is refused and changes nothing; an alert is acknowledged', async () => {
    const page = await login(ownerKey);
    const order = await failedOrder();
    // A form without the session's token (as a forged one would be), submitted by the browser itself.
    await page.goto(`${stack.server.url}/console/orders/${order}`);
    const [response] = await Promise.all([
      page.waitForNavigation(),
      page.evaluate(`(() => {
        const form = document.createElement('form');
        form.method = 'post';
        form.action = '/console/orders/${order}/actions/mark_made';
        const note = document.createElement('input');
        note.name = 'note';
        note.value = 'forged';
        form.append(note);
        document.body.append(form);
        form.submit();
      })()`),
    ]);
    const forged = response?.status();
    expect(forged).toBe(403);
    expect((await stack.status(order)).status).toBe('make_failed');

    await page.goto(`${stack.server.url}/console/alerts`);
    const open = await page.getByRole('button', { name: /^Acknowledge/ }).count();
    expect(open).toBeGreaterThan(0);
    await page
      .getByRole('button', { name: /^Acknowledge/ })
      .first()
      .click();
    await page.waitForURL(/\/console\/alerts/);
    expect(await page.getByRole('button', { name: /^Acknowledge/ }).count()).toBe(open - 1);
    await page.goto(`${stack.server.url}/console/alerts?state=acknowledged`);
    expect(await page.textContent('main')).toContain('Ana (owner)');
  }, 60_000);

  it('a platform operator replays a failed webhook delivery from the inbox', async () => {
    const { orderId, paymentId } = await failedYooKassaDelivery(stack, 'dev-a');

    const page = await login(ADMIN_TOKEN);
    await page.goto(`${stack.server.url}/console/webhooks?outcome=error`);
    await page
      .getByRole('link', { name: /^#\d+$/ })
      .first()
      .click();
    expect(await page.textContent('pre')).toContain(paymentId);
    await page.getByRole('button', { name: 'Replay' }).click();
    await page.waitForURL(/replayed=applied/);
    await stack.waitForStatus(orderId, 'successful', 5000);
  }, 60_000);
});
