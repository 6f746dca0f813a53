/**
 * The customer's status page in a real browser (Debian's Chromium): every status an order can
 * reach, in Russian and in English, on a 375 px phone and a 1280 px desktop. Each page must say
 * the same thing in both languages as the JSON, offer Pay only while nothing is being paid, show
 * the order number and where to get help, fit the phone's width, log no console error and pass
 * axe-core without a serious violation. Then the page as it lives: a status changed by an
 * operator while it is open, Pay through the provider and back, the network dropping, and the
 * 404 and root pages.
 */
import { createRequire } from 'node:module';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '@paystate/core';
import { startStack, waitFor, type Stack, type StatusBody } from '../support/harness.js';
import { browserAvailable, launchChromium } from '../support/browser.js';

const axeSource = (createRequire(import.meta.url)('axe-core') as { source: string }).source;

interface AxeViolation {
  id: string;
  impact: string | null;
}

type Language = 'ru' | 'en';

const layouts = [
  { width: 375, height: 740 },
  { width: 1280, height: 800 },
] as const;

const locales: Record<Language, string> = { ru: 'ru-RU', en: 'en-US' };
const TTL_S = 900;

describe.skipIf(!browserAvailable)('the order status page in Chromium', () => {
  let stack: Stack;
  let browser: Browser;
  const clock = new ManualClock(new Date());

  beforeAll(async () => {
    stack = await startStack({ clock, env: { ORDER_TTL_S: String(TTL_S) } });
    await stack.createDevice('dev-help', {
      name: 'Coffee corner',
      location: 'Terminal B, gate 12',
      client_info: '<p>Call us: <a href="tel:+74950000000">+7 495 000-00-00</a></p>',
    });
    await stack.createDevice('dev-plain', { name: 'Kiosk 7', location: 'Main hall' });
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  async function openContext(lang: Language, layout: (typeof layouts)[number]): Promise<BrowserContext> {
    const context = await browser.newContext({ viewport: layout, locale: locales[lang] });
    // A missing element fails at once rather than waiting out the test's timeout.
    context.setDefaultTimeout(5000);
    return context;
  }

  /** Opens a page and records every console error and uncaught exception on it. */
  async function openPage(context: BrowserContext): Promise<{ page: Page; errors: string[] }> {
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('console', (message) => {
      // Only paystate's pages count: the provider's checkout page is not ours to judge.
      if (message.type() === 'error' && page.url().startsWith(stack.server.url)) errors.push(message.text());
    });
    page.on('pageerror', (error) => errors.push(error.message));
    return { page, errors };
  }

  async function seriousViolations(page: Page): Promise<string[]> {
    await page.evaluate(axeSource);
    const violations = (await page.evaluate(
      'axe.run(document, { resultTypes: ["violations"] }).then((r) => r.violations)',
    )) as AxeViolation[];
    return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => v.id);
  }

  /** Everything the page must show for the order as the JSON describes it now. */
  async function expectPageMatches(page: Page, view: StatusBody, lang: Language, where: string) {
    const other: Language = lang === 'ru' ? 'en' : 'ru';
    const text = (language: Language) => (language === 'ru' ? view.status_description : view.status_description_en);
    expect(await page.getAttribute('html', 'lang'), where).toBe(lang);
    expect(await page.textContent('#status'), where).toBe(text(lang));
    expect(await page.getAttribute('#status', 'data-status'), where).toBe(view.status);
    expect(await page.textContent('#status-alt'), where).toBe(text(other));
    expect(await page.getAttribute('#status-alt', 'lang'), where).toBe(other);
    expect(await page.title(), where).toBe(view.title[lang]);
    expect(await page.textContent('#number'), where).toBe(view.order_number);
    expect(await page.textContent('#price'), where).toBe(lang === 'ru' ? view.price.display : view.price.display_en);
    expect(await page.isVisible('#pay button'), `${where}: Pay button`).toBe(view.status === 'created');
    expect(await page.isVisible('#help'), `${where}: help`).toBe(view.needs_help);
    expect(await page.getAttribute('[role=status]', 'aria-live'), where).toBe('polite');
  }

  /** Drives a fresh order of the device to one status through the real providers; returns its id. */
  const reach: Record<string, (device: string) => Promise<string>> = {
    created: async (device) => (await stack.createOrder(device)).order_id,
    pending: async (device) => {
      const { order_id } = await stack.createOrder(device);
      await stack.pay(order_id);
      return order_id;
    },
    paid: async (device) => {
      // The machine's API answers 503: the make command waits for its next attempt.
      stack.tmetr.faults.inject('make', { status: 503, times: 1 });
      return paidOrder(device, 'paid');
    },
    make_pending: async (device) => {
      // The machine took the command and has not reported yet.
      const callback = stack.tmetr.resultCallbackUrl;
      stack.tmetr.resultCallbackUrl = undefined;
      try {
        return await paidOrder(device, 'make_pending');
      } finally {
        stack.tmetr.resultCallbackUrl = callback;
      }
    },
    successful: (device) => paidOrder(device, 'successful'),
    make_failed: async (device) => {
      stack.tmetr.mode = 'reject';
      try {
        return await paidOrder(device, 'make_failed');
      } finally {
        stack.tmetr.mode = 'accept';
      }
    },
    refunded: async (device) => {
      const orderId = await reach.make_failed!(device);
      await operator(orderId, 'refund');
      await stack.waitForStatus(orderId, 'refunded', 5000);
      return orderId;
    },
    not_paid: (device) => providerEnds(device, 'canceled', 'not_paid'),
    failed: (device) => providerEnds(device, 'waiting_for_capture', 'failed'),
    requires_manual_review: async (device) => {
      const { order_id } = await stack.createOrder(device);
      const { payment, paymentId } = await stack.pay(order_id);
      payment.amount = { amountMinor: 100, currency: 'RUB' };
      await stack.customerPays(paymentId);
      await stack.waitForStatus(order_id, 'requires_manual_review', 5000);
      return order_id;
    },
    // The two that need time to pass run last: the clock moves for every order.
    manual_make: async (device) => {
      const { order_id } = await stack.createOrder(device);
      const { paymentId } = await stack.pay(order_id);
      clock.advance(301); // past the fast-track limit: too late for the machine
      await stack.yookassa.setStatus(paymentId, 'succeeded');
      await stack.waitForStatus(order_id, 'manual_make', 5000);
      return order_id;
    },
    expired: async (device) => {
      const { order_id } = await stack.createOrder(device);
      clock.advance(TTL_S + 1);
      await stack.runtime.poller.runCycle();
      await stack.waitForStatus(order_id, 'expired', 5000);
      return order_id;
    },
  };

  async function paidOrder(device: string, status: string): Promise<string> {
    const { order_id } = await stack.createOrder(device);
    const { paymentId } = await stack.pay(order_id);
    await stack.customerPays(paymentId);
    await stack.waitForStatus(order_id, status, 5000);
    return order_id;
  }

  async function providerEnds(device: string, providerStatus: 'canceled' | 'waiting_for_capture', status: string) {
    const { order_id } = await stack.createOrder(device);
    const { paymentId } = await stack.pay(order_id);
    await stack.yookassa.setStatus(paymentId, providerStatus);
    await stack.waitForStatus(order_id, status, 5000);
    return order_id;
  }

  async function operator(orderId: string, action: string) {
    const reply = await stack.admin('POST', `/orders/${orderId}/actions`, {
      action,
      operator: 'Olga',
      note: 'at the desk',
    });
    expect(reply.status, reply.text).toBe(200);
  }

  const contexts = new Map<string, BrowserContext>();
  beforeAll(async () => {
    for (const layout of layouts)
      for (const lang of ['ru', 'en'] as const) contexts.set(`${lang}${layout.width}`, await openContext(lang, layout));
  }, 60_000);

  let device = 'dev-plain';
  for (const [status, drive] of Object.entries(reach)) {
    it(`${status}: right in both languages at 375 and 1280 px, no console error, no serious axe violation`, async () => {
      device = device === 'dev-help' ? 'dev-plain' : 'dev-help';
      const orderId = await drive(device);
      const view = await stack.status(orderId);
      expect(view.status).toBe(status);
      // Nothing on the page may speak of a failure the order is no longer in.
      if (!['failed', 'make_failed'].includes(status)) expect(view.failure_reason).toBeNull();
      for (const layout of layouts) {
        for (const lang of ['ru', 'en'] as const) {
          const where = `${status}, ${lang}, ${layout.width} px`;
          const { page, errors } = await openPage(contexts.get(`${lang}${layout.width}`)!);
          const response = await page.goto(`${stack.server.url}/orders/${orderId}`);
          expect(response?.status(), where).toBe(200);
          await expectPageMatches(page, view, lang, where);
          if (view.needs_help) {
            // A way to reach someone: the device's contact, or at least where the machine is.
            expect(await page.textContent('body'), where).toMatch(
              device === 'dev-help' ? /\+7 495 000-00-00/ : /Kiosk 7, Main hall/,
            );
          }
          const overflow = (await page.evaluate('document.documentElement.scrollWidth - window.innerWidth')) as number;
          expect(overflow, `${where}: horizontal scroll`).toBeLessThanOrEqual(0);
          expect(await seriousViolations(page), where).toEqual([]);
          expect(errors, where).toEqual([]);
          await page.close();
        }
      }
    }, 60_000);
  }

  it('follows an operator fixing a make_failed order while it is open, then stops once nothing can change', async () => {
    const orderId = await reach.make_failed!('dev-help');
    const { page, errors } = await openPage(contexts.get('ru375')!);
    await page.goto(`${stack.server.url}/orders/${orderId}`);
    expect(await page.getAttribute('#status', 'data-status')).toBe('make_failed');

    await operator(orderId, 'mark_made');
    await page.waitForSelector('#status[data-status="successful"]', { timeout: 15_000 });
    const done = await stack.status(orderId);
    await expectPageMatches(page, done, 'ru', 'after mark made');
    // The stored failure text is gone with the failure: a check mark says "done" in both lines.
    expect(await page.textContent('#status')).toBe('Готово! Приятного аппетита.');
    expect(await page.isVisible('#help')).toBe(false);

    await operator(orderId, 'refund');
    await page.waitForSelector('#status[data-status="refunded"]', { timeout: 40_000 });
    await stack.waitForStatus(orderId, 'refunded', 5000);
    const refunded = await stack.status(orderId);
    await expectPageMatches(page, refunded, 'ru', 'after the refund');
    // The refund went out: no rule can change the order now, and the page stops asking.
    await waitFor(async () => (await stack.status(orderId)).final || null, 10_000);
    const asked: string[] = [];
    page.on('request', (request) => asked.push(request.url()));
    await page.waitForTimeout(3000);
    await page.reload();
    await page.waitForTimeout(2500);
    expect(asked.filter((url) => url.includes('/v1/order-status/')).length).toBeLessThanOrEqual(1);
    expect(errors).toEqual([]);
    await page.close();
  }, 90_000);

  it('Pay goes to the provider and back; no Pay button while the payment awaits confirmation', async () => {
    const { order_id: orderId } = await stack.createOrder('dev-plain');
    const { page, errors } = await openPage(contexts.get('en375')!);
    await page.goto(`${stack.server.url}/orders/${orderId}`);
    await page.getByRole('button', { name: /^Pay/ }).click();
    // The sandbox's checkout page: the customer is at the provider, with the order's payment.
    await page.waitForURL((url) => url.href.startsWith(stack.yookassaUrl));
    const payment = stack.yookassa.paymentFor(orderId);
    expect(payment).toBeDefined();
    expect(page.url()).toContain(payment!.id);

    // Back without paying (the provider's return link): pending, and nothing invites a second payment.
    await page.goto(`${stack.server.url}/orders/${orderId}/return`);
    expect(await page.getAttribute('#status', 'data-status')).toBe('pending');
    expect(await page.isVisible('#pay button')).toBe(false);

    await stack.customerPays(payment!.id);
    await page.waitForSelector('#status[data-status="successful"]', { timeout: 15_000 });
    expect(stack.yookassa.books().filter((entry) => entry.reference === orderId)).toHaveLength(1);
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);

  it('Pay while the provider is down comes back with "Try again", which then works', async () => {
    const { order_id: orderId } = await stack.createOrder('dev-plain');
    const { page } = await openPage(contexts.get('en1280')!);
    await page.goto(`${stack.server.url}/orders/${orderId}`);
    stack.yookassa.faults.inject('create', { status: 503, times: 1 });
    await page.getByRole('button', { name: /^Pay/ }).click();
    await page.waitForURL(/problem=unavailable/);
    expect(await page.textContent('[role=alert]:not([hidden])')).toContain('not answering');
    expect((await stack.status(orderId)).status).toBe('created');
    await page.getByRole('button', { name: 'Try again' }).click();
    await page.waitForURL((url) => url.href.startsWith(stack.yookassaUrl));
    expect((await stack.status(orderId)).status).toBe('pending');
    await page.close();
  }, 60_000);

  it('says it is reconnecting while the network is gone, and catches up when it is back', async () => {
    const { order_id: orderId } = await stack.createOrder('dev-plain');
    const context = await openContext('en', layouts[0]);
    const { page } = await openPage(context);
    await page.goto(`${stack.server.url}/orders/${orderId}`);
    await context.setOffline(true);
    await page.waitForSelector('#offline:not([hidden])', { timeout: 10_000 });
    await stack.pay(orderId);
    await context.setOffline(false);
    await page.waitForSelector('#status[data-status="pending"]', { timeout: 20_000 });
    expect(await page.isHidden('#offline')).toBe(true);
    await context.close();
  }, 60_000);

  it('an unknown order link, the root page and the icon are pages, not JSON or 404s', async () => {
    const { page, errors } = await openPage(contexts.get('ru375')!);
    const missing = await page.goto(`${stack.server.url}/orders/no-such-order`);
    expect(missing?.status()).toBe(404);
    expect(missing?.headers()['content-type']).toMatch(/^text\/html/);
    expect(await page.textContent('h1')).toBe('Страница не найдена');
    expect(await seriousViolations(page)).toEqual([]);
    const root = await page.goto(`${stack.server.url}/`);
    expect(root?.status()).toBe(200);
    expect(await page.textContent('h1')).toBe('paystate');
    expect(await seriousViolations(page)).toEqual([]);
    for (const icon of ['/favicon.ico', '/favicon.svg']) {
      const reply = await stack.request('GET', icon);
      expect(reply.status, icon).toBe(200);
      expect(reply.headers.get('content-type'), icon).toBe('image/svg+xml');
    }
    // An API client asking for an unknown route still gets the JSON error.
    const api = await stack.request('GET', '/v1/no-such-route');
    expect(api.status).toBe(404);
    expect(JSON.parse(api.text)).toMatchObject({ error: { code: 'not_found' } });
    // Chromium logs the 404 of the document itself; nothing else may fail.
    expect(errors.filter((error) => !error.includes('status of 404'))).toEqual([]);
    await page.close();
  });
});
