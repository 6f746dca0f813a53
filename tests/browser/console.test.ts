/**
 * The operator console in a real browser (Debian's Chromium through playwright-core), at 1280 px
 * and 375 px: login, each page, an action with its confirmation and audit row, logout; no console
 * errors; axe-core finds no serious or critical violation on any page.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, startStack, type Stack } from '../support/harness.js';
import { browserAvailable, launchChromium } from '../support/browser.js';
import { issueKey } from '../support/console-client.js';

const axeSource = (createRequire(import.meta.url)('axe-core') as { source: string }).source;
/** PAYSTATE_SCREENSHOTS=docs/console regenerates the screenshots of docs/console.md. */
const screenshots = process.env.PAYSTATE_SCREENSHOTS;

interface AxeViolation {
  id: string;
  impact: string | null;
  nodes: unknown[];
}

describe.skipIf(!browserAvailable)('the console in Chromium', () => {
  let stack: Stack;
  let browser: Browser;
  let ownerKey: string;
  let till: string;
  const orders: string[] = [];

  beforeAll(async () => {
    stack = await startStack({ merchants: ['cafe-a'] });
    ownerKey = await issueKey(stack, ADMIN_TOKEN, {
      scope: 'merchant_admin',
      label: 'Ana (owner)',
      merchant_id: 'cafe-a',
    });
    await stack.createDevice('dev-a', { merchant_id: 'cafe-a' });
    stack.tmetr.mode = 'reject';
    for (let i = 0; i < 2; i++) {
      const order = await stack.createOrder('dev-a');
      const { paymentId } = await stack.pay(order.order_id);
      await stack.customerPays(paymentId);
      await stack.waitForStatus(order.order_id, 'make_failed', 5000);
      orders.push(order.order_id);
    }
    // The POS and device pages: a till with a cash sale and a partial refund.
    const pos = async <T>(path: string, body?: unknown) =>
      (
        await stack.request<T>('POST', `/v1/merchants/cafe-a/${path}`, {
          token: ADMIN_TOKEN,
          headers: { 'idempotency-key': `browser-${path}-${orders.length}` },
          ...(body === undefined ? {} : { body }),
        })
      ).body;
    await pos('payment-methods', { provider_code: 'cash', display_name: 'Espèces' });
    till = (
      await pos<{ session_id: string }>('drawer/open', { opening_minor: 10_000, currency: 'XOF', operator: 'awa' })
    ).session_id;
    const sale = await pos<{ payment_id: string }>('payments', { method: 'cash', amount_minor: 2500, currency: 'XOF' });
    await pos(`payments/${sale.payment_id}/confirm-cash`);
    await pos(`payments/${sale.payment_id}/refunds`, { amount_minor: 1000, reason: 'plat froid' });
    await stack.createDevice('dev-a', {
      merchant_id: 'cafe-a',
      location: 'Lobby, ground floor',
      client_info: '<p>Questions? Ask <b>Ana</b> at the counter.</p>',
      client_info_make_failed: '<p>Sorry: <a href="tel:+221770000000">call us</a>, we refund at once.</p>',
    });
    await stack.request('POST', '/v1/admin/api-keys', {
      token: ADMIN_TOKEN,
      body: { scope: 'device', label: 'machine A', merchant_id: 'cafe-a', device_id: 'dev-a' },
    });
    browser = await launchChromium();
    if (screenshots) mkdirSync(screenshots, { recursive: true });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  /** Loads a page and checks it the way every page is checked: status, no console errors, axe. */
  async function visit(page: Page, errors: string[], path: string, shot?: string) {
    const response = await page.goto(`${stack.server.url}${path}`);
    expect(response?.status(), path).toBe(200);
    await page.evaluate(axeSource);
    const violations = (await page.evaluate(
      'axe.run(document, { resultTypes: ["violations"] }).then((r) => r.violations)',
    )) as AxeViolation[];
    const serious = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    expect(
      serious.map((v) => `${v.id} (${v.impact})`),
      path,
    ).toEqual([]);
    expect(errors, path).toEqual([]);
    if (shot && screenshots) await page.screenshot({ path: join(screenshots, shot), fullPage: true });
  }

  for (const [width, height] of [
    [1280, 800],
    [375, 740],
  ] as const) {
    it(`works at ${width} px: login, every page, mark made with a note, logout`, async () => {
      const context = await browser.newContext({ viewport: { width, height } });
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('console', (message) => {
        if (message.type() === 'error') errors.push(message.text());
      });
      page.on('pageerror', (error) => errors.push(error.message));
      const suffix = width === 1280 ? '' : '-mobile';
      const target = orders[width === 1280 ? 0 : 1]!;

      await visit(page, errors, '/console/login', `login${suffix}.png`);
      await page.getByLabel('API key (psk_…)').fill(ownerKey);
      await page.getByRole('button', { name: 'Log in' }).click();
      await page.waitForURL(/\/console$/);
      await expect(page.getByRole('heading', { level: 1 })).toBeDefined();
      expect(await page.textContent('h1')).toBe('Needs attention');

      await visit(page, errors, '/console', `attention${suffix}.png`);
      await visit(page, errors, '/console/orders', `orders${suffix}.png`);
      await visit(page, errors, '/console/outbox');
      await visit(page, errors, '/console/alerts', `alerts${suffix}.png`);
      await visit(page, errors, `/console/orders/${target}`, `order${suffix}.png`);

      await page.getByRole('link', { name: 'Mark made' }).click();
      await page.getByLabel(/Note/).fill('made at the counter by Ana');
      await page.getByRole('button', { name: /Confirm/ }).click();
      await page.waitForURL(/done=mark_made/);
      expect(await page.textContent('[role="status"]')).toContain('mark_made');
      expect(await page.textContent('main')).toContain('made at the counter by Ana');
      expect((await stack.status(target)).status).toBe('successful');

      await visit(page, errors, '/console/pos', `pos${suffix}.png`);
      await visit(page, errors, '/console/pos/payments');
      await visit(page, errors, '/console/pos/report', `report${suffix}.png`);
      await visit(page, errors, '/console/devices', `devices${suffix}.png`);
      await visit(page, errors, '/console/devices/dev-a', `device${suffix}.png`);
      await visit(page, errors, `/console/pos/tills/${till}`);
      if (width === 1280) {
        // Close the till through its form (the 375 px run then sees it closed).
        await page.getByLabel(/Counted cash/).fill('11450');
        await page.getByLabel(/Note/).fill('a 50 XOF coin went to the tip jar');
        await page.getByLabel(/I counted the cash/).check();
        await page.getByRole('button', { name: 'Close till' }).click();
        await page.waitForURL(/done=closed/);
        expect(await page.textContent('main')).toContain('-50 XOF');
      }
      await visit(page, errors, `/console/pos/tills/${till}`, `till${suffix}.png`);

      await page.getByRole('button', { name: 'Log out' }).click();
      await page.waitForURL(/\/console\/login$/);
      expect(errors).toEqual([]);
      await context.close();
    }, 60_000);
  }
});
