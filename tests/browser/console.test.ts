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
  const orders: string[] = [];

  beforeAll(async () => {
    stack = await startStack({ merchants: ['cafe-a'] });
    ownerKey = (
      await stack.request<{ key: string }>('POST', '/v1/admin/api-keys', {
        token: ADMIN_TOKEN,
        body: { scope: 'merchant_admin', label: 'Ana (owner)', merchant_id: 'cafe-a' },
      })
    ).body.key;
    await stack.createDevice('dev-a', { merchant_id: 'cafe-a' });
    stack.tmetr.mode = 'reject';
    for (let i = 0; i < 2; i++) {
      const order = await stack.createOrder('dev-a');
      const { paymentId } = await stack.pay(order.order_id);
      await stack.customerPays(paymentId);
      await stack.waitForStatus(order.order_id, 'make_failed', 5000);
      orders.push(order.order_id);
    }
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

      await page.getByRole('button', { name: 'Log out' }).click();
      await page.waitForURL(/\/console\/login$/);
      expect(errors).toEqual([]);
      await context.close();
    }, 60_000);
  }
});
