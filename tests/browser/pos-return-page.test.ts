/**
 * The page Wave sends a restaurant's customer back to, in Chromium: the amount as a price tag,
 * the restaurant's name, the payment in French and English from its current status (never
 * "being checked" for a failed or refunded payment), live while the payment can still change,
 * at 375 and 1280 px, with no console error and no serious axe violation.
 */
import { createRequire } from 'node:module';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WaveSandbox, type LoopbackServer } from '@paystate/sandbox';
import { ADMIN_TOKEN, startStack, type Stack } from '../support/harness.js';
import { browserAvailable, launchChromium } from '../support/browser.js';

const axeSource = (createRequire(import.meta.url)('axe-core') as { source: string }).source;
const WAVE_API_KEY = 'wave_sn_prod_return_page';
const WAVE_WEBHOOK_SECRET = 'wave_sn_WHS_return_page';

describe.skipIf(!browserAvailable)('the POS return page in Chromium', () => {
  let stack: Stack;
  let wave: WaveSandbox;
  let waveServer: LoopbackServer;
  let browser: Browser;

  beforeAll(async () => {
    wave = new WaveSandbox({ apiKey: WAVE_API_KEY, webhookSecret: WAVE_WEBHOOK_SECRET });
    waveServer = await wave.start();
    stack = await startStack({
      merchants: ['dakar-1'],
      env: { WAVE_API_URL: waveServer.url, WAVE_API_KEY, WAVE_WEBHOOK_SECRET },
    });
    stack.yookassa.webhookUrl = undefined;
    const method = await stack.request('POST', '/v1/merchants/dakar-1/payment-methods', {
      token: ADMIN_TOKEN,
      body: { provider_code: 'wave', display_name: 'Wave' },
    });
    expect(method.status, method.text).toBe(201);
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    await waveServer?.close();
  });

  async function wavePayment(): Promise<{ paymentId: string; sessionId: string }> {
    const reply = await stack.request<{ payment_id: string }>('POST', '/v1/merchants/dakar-1/payments', {
      token: ADMIN_TOKEN,
      body: { method: 'wave', amount_minor: 5_000, currency: 'XOF', description: 'Thiéboudienne' },
    });
    expect(reply.status, reply.text).toBe(201);
    return { paymentId: reply.body.payment_id, sessionId: wave.sessionFor(reply.body.payment_id)!.id };
  }

  async function check(paymentId: string) {
    const reply = await stack.request('POST', `/v1/merchants/dakar-1/payments/${paymentId}/check`, {
      token: ADMIN_TOKEN,
    });
    expect(reply.status, reply.text).toBe(200);
  }

  async function open(paymentId: string, locale: string, width: number): Promise<{ page: Page; errors: string[] }> {
    const context = await browser.newContext({ viewport: { width, height: 740 }, locale });
    context.setDefaultTimeout(5000);
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    page.on('pageerror', (error) => errors.push(error.message));
    const response = await page.goto(`${stack.server.url}/pos/dakar-1/payments/${paymentId}/return`);
    expect(response?.status()).toBe(200);
    return { page, errors };
  }

  async function expectClean(page: Page, errors: string[]) {
    await page.evaluate(axeSource);
    const violations = (await page.evaluate(
      'axe.run(document, { resultTypes: ["violations"] }).then((r) => r.violations)',
    )) as Array<{ id: string; impact: string | null }>;
    expect(violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => v.id)).toEqual([]);
    expect(errors).toEqual([]);
    const overflow = (await page.evaluate('document.documentElement.scrollWidth - window.innerWidth')) as number;
    expect(overflow).toBeLessThanOrEqual(0);
  }

  it('follows a Wave payment from "being checked" to received while open, in French and English', async () => {
    const { paymentId, sessionId } = await wavePayment();
    for (const [locale, width] of [
      ['fr-SN', 375],
      ['en-GB', 1280],
    ] as const) {
      const { page, errors } = await open(paymentId, locale, width);
      const lang = locale.slice(0, 2);
      expect(await page.getAttribute('html', 'lang')).toBe(lang);
      expect(await page.textContent('#amount')).toBe(
        lang === 'fr' ? '5\u202f000\u00a0F\u202fCFA' : 'F\u202fCFA\u00a05,000',
      );
      expect(await page.textContent('#merchant')).toBe('dakar-1');
      expect(await page.getAttribute('#status', 'data-status')).toBe('processing');
      expect(await page.getAttribute('[role=status]', 'aria-live')).toBe('polite');
      await expectClean(page, errors);
      await page.context().close();
    }

    const { page, errors } = await open(paymentId, 'fr-SN', 375);
    await wave.complete(sessionId, false);
    await check(paymentId);
    await page.waitForSelector('#status[data-status="success"]', { timeout: 15_000 });
    expect(await page.textContent('#status')).toBe('Paiement reçu. Merci !');
    expect(await page.textContent('#status-alt')).toBe('Payment received. Thank you!');
    expect(await page.title()).toBe('Paiement reçu · dakar-1');

    const refund = await stack.request('POST', `/v1/merchants/dakar-1/payments/${paymentId}/refunds`, {
      token: ADMIN_TOKEN,
      body: { amount_minor: 5_000 },
    });
    expect(refund.status, refund.text).toBeLessThan(300);
    await page.waitForSelector('#status[data-status="refunded"]', { timeout: 40_000 });
    expect(await page.textContent('#status')).toBe('Votre paiement vous a été remboursé.');
    await expectClean(page, errors);
    await page.context().close();
  }, 90_000);

  it('a failed payment says so, not "being checked"; an unknown payment is the 404 page', async () => {
    const { paymentId, sessionId } = await wavePayment();
    wave.setStatus(sessionId, 'expired', 'cancelled');
    await check(paymentId);
    const { page, errors } = await open(paymentId, 'en-GB', 375);
    const status = await page.getAttribute('#status', 'data-status');
    expect(['failed', 'expired']).toContain(status);
    expect(await page.textContent('#status')).not.toMatch(/being checked/);
    await expectClean(page, errors);
    const missing = await page.goto(`${stack.server.url}/pos/dakar-1/payments/no-such-payment/return`);
    expect(missing?.status()).toBe(404);
    await page.context().close();
  }, 60_000);
});
