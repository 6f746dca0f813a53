import { randomBytes, timingSafeEqual } from 'node:crypto';
import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { Child } from 'hono/jsx';
import { z } from 'zod';
import { orderStatusSchema } from '@paystate/core';
import type { Services } from '../app/services.js';
import { notFound, PaystateError } from '../errors.js';
import { statusOf } from '../http/errors.js';
import { idSchema } from '../http/validate.js';
import { actsFor, grantsScope, type Scope } from '../merchants/scopes.js';
import type { OrderRecord } from '../orders/store.js';
import type { ConsoleSession } from './sessions.js';
import type { EffectView, OpenRefundView } from './store.js';
import { SESSION_TTL_MS } from './sessions.js';
import { devicePages } from './device-pages.js';
import { posPages } from './pos-pages.js';
import { AlertTable } from './views/alerts.js';
import { AttentionPage } from './views/attention.js';
import { Page } from './views/layout.js';
import { LoginPage } from './views/login.js';
import { ConfirmAction, EffectTable, ORDER_ACTIONS, OrderDetail, type OrderAction } from './views/order.js';
import { OrderFilters, OrderTable, type OrderQuery } from './views/orders.js';
import { DeliveryTable } from './views/webhooks.js';

const COOKIE = 'paystate_console';
/** Deliveries worth replaying: processing failed, matched no payment, or was cut off by a crash. */
const REPLAYABLE = ['error', 'received'];
const PAGE_SIZE = 50;

declare module 'hono' {
  interface ContextVariableMap {
    consoleSession: ConsoleSession;
    nonce: string;
  }
}

const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);
const orderQuerySchema = z.object({
  status: z.union([orderStatusSchema, z.literal('')]).optional(),
  device_id: z.union([idSchema, z.literal('')]).optional(),
  provider: z.string().max(32).optional(),
  payment_id: z.string().max(128).optional(),
  from: z.union([day, z.literal('')]).optional(),
  to: z.union([day, z.literal('')]).optional(),
  merchant_id: z.union([idSchema, z.literal('')]).optional(),
  before: z.iso.datetime().optional(),
});
const noteSchema = z.string().trim().min(3, 'a note of at least 3 characters is required').max(1000);

/**
 * The operator console (docs/console.md): server-rendered pages that work without JavaScript,
 * a session cookie (HttpOnly, SameSite=Strict, Secure behind https), a form token on every POST,
 * a nonce CSP, and the operator's merchant and scope on every read and action.
 */
export function consoleRoutes(services: Services) {
  const { sessions, store: consoleStore } = services.console;
  const secure = (services.settings.PUBLIC_URL ?? '').startsWith('https://');
  const app = new Hono();

  app.use('*', async (c, next) => {
    const nonce = randomBytes(16).toString('base64');
    c.set('nonce', nonce);
    await next();
    c.header(
      'Content-Security-Policy',
      `default-src 'none'; style-src 'nonce-${nonce}'; img-src 'self' https: data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`,
    );
    c.header('X-Frame-Options', 'DENY');
    // same-origin, not no-referrer: under no-referrer a browser sends `Origin: null` with its own form posts.
    c.header('Referrer-Policy', 'same-origin');
    c.header('Cache-Control', 'no-store');
  });
  // A cross-site form post is refused before anything else (with the SameSite cookie and the form token, a third wall).
  app.use('*', async (c, next) => {
    if (c.req.method === 'POST' && !sameOrigin(c))
      return page(c, 403, 'Refused', <p>This form came from another site.</p>);
    return next();
  });

  const render = (c: Context, status: number, title: string, body: Child) => page(c, status, title, body);

  app.get('/login', (c) => c.html(<LoginPage nonce={c.get('nonce')} />));

  app.post('/login', async (c) => {
    const form = await c.req.parseBody();
    const text = (name: string) => (typeof form[name] === 'string' ? (form[name] as string) : '');
    try {
      const { token } = text('key')
        ? await sessions.loginWithKey(text('key').trim())
        : await sessions.loginWithPassword(text('username').trim(), text('password'));
      setCookie(c, COOKIE, token, {
        httpOnly: true,
        sameSite: 'Strict',
        secure,
        path: '/console',
        maxAge: SESSION_TTL_MS / 1000,
      });
      return c.redirect('/console', 303);
    } catch (error) {
      if (!(error instanceof PaystateError)) throw error;
      return c.html(<LoginPage nonce={c.get('nonce')} error={error.message} />, 401);
    }
  });

  // Everything below needs a session; a POST also the session's form token.
  const authenticated: MiddlewareHandler = async (c, next) => {
    const session = await sessions.resolve(getCookie(c, COOKIE));
    if (!session) {
      if (c.req.method === 'GET') return c.redirect('/console/login', 303);
      return render(
        c,
        401,
        'Logged out',
        <p>
          Your session has ended. <a href="/console/login">Log in</a>.
        </p>,
      );
    }
    c.set('consoleSession', session);
    if (c.req.method === 'POST') {
      const form = await c.req.parseBody();
      const given = typeof form.csrf === 'string' ? form.csrf : '';
      if (!sameToken(given, session.csrfToken))
        return render(c, 403, 'Refused', <p>This form has no valid form token. Reload the page and try again.</p>);
    }
    return next();
  };
  app.use('*', authenticated);
  app.route('/pos', posPages(services));
  app.route('/devices', devicePages(services));

  app.post('/logout', async (c) => {
    await sessions.logout(getCookie(c, COOKIE));
    deleteCookie(c, COOKIE, { path: '/console', secure });
    return c.redirect('/console/login', 303);
  });

  app.get('/', async (c) => {
    const { principal } = c.get('consoleSession');
    const merchantId = principal.merchantId ?? undefined;
    const list = (status: 'manual_make' | 'make_failed' | 'requires_manual_review') =>
      services.store.listOrders({ status, limit: 200, ...(merchantId ? { merchantId } : {}) });
    const now = services.pos.clock.now();
    const stuckSince = new Date(now.getTime() - services.settings.STUCK_AFTER_S * 1000).toISOString();
    const stuck = (
      await Promise.all((await services.store.stuckOrderIds(stuckSince, 200)).map((id) => services.store.getOrder(id)))
    ).filter((record): record is OrderRecord => record !== null && visible(c, record));
    const refunds = (await consoleStore.openEffects(principal.merchantId, 200)).filter(
      (effect: EffectView) => effect.kind === 'REFUND',
    );
    const alerts = await services.alerts.list({ state: 'open', limit: 100, ...(merchantId ? { merchantId } : {}) });
    const platform = principal.merchantId === null;
    const attention = {
      alerts,
      posRefunds: await consoleStore.openRefunds(principal.merchantId, 100),
      paymentHref: (refund: OpenRefundView) =>
        `/console/pos/payments/${refund.paymentId}${platform ? `?merchant_id=${encodeURIComponent(refund.merchantId)}` : ''}`,
      manualMake: await list('manual_make'),
      makeFailed: await list('make_failed'),
      review: await list('requires_manual_review'),
      stuck,
      refunds,
    };
    const canAck = grantsScope(principal, 'merchant_admin') ? c.get('consoleSession').csrfToken : undefined;
    return render(c, 200, 'Needs attention', <AttentionPage attention={attention} now={now} csrfToken={canAck} />);
  });

  app.get('/orders', async (c) => {
    const { principal } = c.get('consoleSession');
    const parsed = orderQuerySchema.safeParse(c.req.query());
    if (!parsed.success) return render(c, 400, 'Orders', <p class="error">Those filters are not valid.</p>);
    const q = parsed.data;
    const merchantId = principal.merchantId ?? (q.merchant_id || undefined);
    const orders = await services.store.listOrders({
      limit: PAGE_SIZE,
      ...(merchantId ? { merchantId } : {}),
      ...(q.status ? { status: q.status } : {}),
      ...(q.device_id ? { deviceId: q.device_id } : {}),
      ...(q.provider ? { provider: q.provider } : {}),
      ...(q.payment_id ? { providerPaymentId: q.payment_id } : {}),
      ...(q.from ? { createdAtOrAfter: `${q.from}T00:00:00.000Z` } : {}),
      ...(q.before
        ? { createdBefore: q.before }
        : q.to
          ? { createdBefore: new Date(Date.parse(`${q.to}T00:00:00.000Z`) + 86_400_000).toISOString() }
          : {}),
    });
    const query: OrderQuery = { ...q, status: q.status || undefined };
    const last = orders.at(-1);
    const older = new URLSearchParams(
      Object.entries({ ...q, before: last?.order.createdAt ?? '' }).filter(
        ([, v]) => typeof v === 'string' && v !== '',
      ),
    );
    return render(
      c,
      200,
      'Orders',
      <>
        <OrderFilters query={query} platform={principal.merchantId === null} />
        <OrderTable orders={orders} now={services.pos.clock.now()} />
        {orders.length === PAGE_SIZE ? (
          <p>
            <a href={`/console/orders?${older.toString()}`}>Older orders →</a>
          </p>
        ) : null}
      </>,
    );
  });

  app.get('/orders/:id', async (c) => {
    const record = await ownOrder(c);
    const [events, effects] = await Promise.all([
      services.store.orderEvents(record.order.orderId),
      consoleStore.effectsOf(record.order.orderId),
    ]);
    const done = c.req.query('done');
    return render(
      c,
      200,
      `Order ${record.order.orderId.slice(0, 8)}`,
      <>
        {done ? (
          <p class="notice" role="status">
            Done: {done}.
          </p>
        ) : null}
        <OrderDetail record={record} events={events} effects={effects} now={services.pos.clock.now()} />
      </>,
    );
  });

  app.get('/orders/:id/actions/:action', async (c) => {
    requireConsoleScope(c, 'merchant_admin');
    const record = await ownOrder(c);
    const action = actionOf(c);
    return render(
      c,
      200,
      ORDER_ACTIONS[action],
      <ConfirmAction record={record} action={action} csrfToken={c.get('consoleSession').csrfToken} />,
    );
  });

  app.post('/orders/:id/actions/:action', async (c) => {
    requireConsoleScope(c, 'merchant_admin');
    const record = await ownOrder(c);
    const action = actionOf(c);
    const form = await c.req.parseBody();
    const note = noteSchema.safeParse(form.note);
    const { principal, csrfToken } = c.get('consoleSession');
    const again = (status: number, message: string) =>
      render(
        c,
        status,
        ORDER_ACTIONS[action],
        <>
          <p class="error" role="alert">
            {message}
          </p>
          <ConfirmAction record={record} action={action} csrfToken={csrfToken} />
        </>,
      );
    if (!note.success) return again(400, note.error.issues[0]?.message ?? 'a note is required');
    try {
      await services.orders.operatorAction(record.order.orderId, action, principal.label, note.data);
    } catch (error) {
      if (error instanceof PaystateError) return again(statusOf(error), error.message);
      throw error;
    }
    return c.redirect(`/console/orders/${record.order.orderId}?done=${action}`, 303);
  });

  app.get('/alerts', async (c) => {
    const { principal, csrfToken } = c.get('consoleSession');
    const state = c.req.query('state') === 'acknowledged' ? 'acknowledged' : 'open';
    const queried = idSchema.safeParse(c.req.query('merchant_id'));
    const merchantId = principal.merchantId ?? (queried.success ? queried.data : undefined);
    const alerts = await services.alerts.list({ state, limit: 200, ...(merchantId ? { merchantId } : {}) });
    return render(
      c,
      200,
      state === 'open' ? 'Open alerts' : 'Acknowledged alerts',
      <>
        <p>
          <a href="/console/alerts?state=open">Open</a> · <a href="/console/alerts?state=acknowledged">Acknowledged</a>
        </p>
        <AlertTable
          alerts={alerts}
          now={services.pos.clock.now()}
          csrfToken={grantsScope(principal, 'merchant_admin') ? csrfToken : undefined}
        />
      </>,
    );
  });

  app.post('/alerts/:alertId/acknowledge', async (c) => {
    requireConsoleScope(c, 'merchant_admin');
    const { principal } = c.get('consoleSession');
    const id = idSchema.safeParse(c.req.param('alertId'));
    const alert = id.success ? await services.alerts.get(id.data).catch(() => null) : null;
    // A platform-level alert (no merchant) is for platform operators; another merchant's does not exist here.
    const mine =
      alert &&
      (alert.merchantId === null ? principal.scope === 'platform_admin' : actsFor(principal, alert.merchantId));
    if (!alert || !mine) throw notFound('alert', c.req.param('alertId'));
    await services.alerts.acknowledge(alert.id, principal.label);
    return c.redirect('/console/alerts?state=open', 303);
  });

  app.get('/outbox', async (c) => {
    const { principal, csrfToken } = c.get('consoleSession');
    const effects = await consoleStore.openEffects(principal.merchantId, 200);
    const canRetry = grantsScope(principal, 'merchant_admin');
    return render(
      c,
      200,
      'Outbox: pending and failed effects',
      <EffectTable effects={effects} now={services.pos.clock.now()} {...(canRetry ? { csrfToken } : {})} />,
    );
  });

  app.post('/outbox/:effectId/retry', async (c) => {
    requireConsoleScope(c, 'merchant_admin');
    const id = Number(c.req.param('effectId'));
    const { principal } = c.get('consoleSession');
    const now = services.pos.clock.now().toISOString();
    if (!Number.isSafeInteger(id) || !(await consoleStore.retryEffectNow(id, principal.merchantId, now)))
      throw notFound('effect', c.req.param('effectId'));
    void services.dispatcher.kick();
    return c.redirect('/console/outbox', 303);
  });

  app.get('/webhooks', async (c) => {
    requireConsoleScope(c, 'platform_admin');
    const provider = c.req.query('provider') || undefined;
    const outcome = c.req.query('outcome') || undefined;
    const deliveries = await consoleStore.deliveries({
      limit: 200,
      ...(provider ? { provider } : {}),
      ...(outcome ? { outcome } : {}),
    });
    return render(
      c,
      200,
      'Webhook inbox',
      <>
        <form class="filters" method="get" action="/console/webhooks" role="search" aria-label="Filter deliveries">
          <label>
            Provider
            <input name="provider" value={provider ?? ''} size={10} />
          </label>
          <label>
            Outcome
            <input name="outcome" value={outcome ?? ''} size={10} />
          </label>
          <button type="submit">Filter</button>
        </form>
        <DeliveryTable deliveries={deliveries} now={services.pos.clock.now()} />
      </>,
    );
  });

  app.get('/webhooks/:deliveryId', async (c) => {
    requireConsoleScope(c, 'platform_admin');
    const id = Number(c.req.param('deliveryId'));
    const delivery = Number.isSafeInteger(id) ? await consoleStore.getDelivery(id) : null;
    if (!delivery) throw notFound('delivery', c.req.param('deliveryId'));
    return render(
      c,
      200,
      `Delivery #${delivery.id}`,
      <>
        <p>
          {delivery.provider} · <span class="badge">{delivery.outcome}</span> · received {delivery.receivedAt}
        </p>
        {REPLAYABLE.includes(delivery.outcome) ? (
          <form method="post" action={`/console/webhooks/${delivery.id}/replay`}>
            <input type="hidden" name="csrf" value={c.get('consoleSession').csrfToken} />
            <p>
              This delivery failed or matched no payment. A replay reads the payment again from the provider's API (the
              body only names it) and applies what the provider says.
            </p>
            <button type="submit">Replay</button>
          </form>
        ) : null}
        {c.req.query('replayed') ? (
          <p class="notice" role="status">
            Replayed: {c.req.query('replayed')}.
          </p>
        ) : null}
        <h2>Raw body</h2>
        <pre>{delivery.rawBody}</pre>
      </>,
    );
  });

  app.post('/webhooks/:deliveryId/replay', async (c) => {
    requireConsoleScope(c, 'platform_admin');
    const id = Number(c.req.param('deliveryId'));
    const delivery = Number.isSafeInteger(id) ? await consoleStore.getDelivery(id) : null;
    if (!delivery) throw notFound('delivery', c.req.param('deliveryId'));
    if (!REPLAYABLE.includes(delivery.outcome))
      throw new PaystateError(
        'conflict',
        'not_replayable',
        `delivery ${id} was ${delivery.outcome}: nothing to replay`,
      );
    const outcome = await services.webhooks.replay(delivery);
    return c.redirect(`/console/webhooks/${id}?replayed=${outcome}`, 303);
  });

  app.notFound((c) => render(c, 404, 'Not found', <p>There is no such page.</p>));
  app.onError((error, c) => {
    if (error instanceof PaystateError)
      return render(c, statusOf(error), 'Not possible', <p class="error">{error.message}</p>);
    throw error;
  });

  /** An order of another merchant does not exist for this operator. */
  async function ownOrder(c: Context): Promise<OrderRecord> {
    const id = idSchema.safeParse(c.req.param('id'));
    if (!id.success) throw notFound('order', String(c.req.param('id')));
    const record = await services.store.getOrder(id.data);
    if (!record || !visible(c, record)) throw notFound('order', id.data);
    return record;
  }

  function visible(c: Context, record: OrderRecord): boolean {
    return actsFor(c.get('consoleSession').principal, record.merchantId);
  }

  return app;
}

function page(c: Context, status: number, title: string, body: Child) {
  const session = c.get('consoleSession') as ConsoleSession | undefined;
  return c.html(
    <Page title={title} nonce={c.get('nonce')} principal={session?.principal} csrfToken={session?.csrfToken}>
      {body}
    </Page>,
    status as 200,
  );
}

function requireConsoleScope(c: Context, scope: Scope): void {
  if (!grantsScope(c.get('consoleSession').principal, scope))
    throw new PaystateError('forbidden', 'forbidden', `this needs a ${scope} login`);
}

function actionOf(c: Context): OrderAction {
  const action = c.req.param('action');
  if (!action || !(action in ORDER_ACTIONS)) throw notFound('action', String(action));
  return action as OrderAction;
}

function sameToken(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** A POST whose Origin (or Referer) names another site; none at all is allowed (old browsers, curl with a token). */
function sameOrigin(c: Context): boolean {
  const origin = c.req.header('origin') ?? c.req.header('referer');
  if (!origin || origin === 'null') return origin !== 'null';
  try {
    return new URL(origin).host === c.req.header('host');
  } catch {
    return false;
  }
}
