import { randomUUID } from 'node:crypto';
import { Hono, type Context } from 'hono';
import { fromDecimalString, MoneyFormatError, refundableMinor } from '@paystate/core';
import type { Services } from '../app/services.js';
import type { PaymentRecord } from '../pos/store.js';
import { notFound, PaystateError } from '../errors.js';
import { statusOf } from '../http/errors.js';
import { idSchema } from '../http/validate.js';
import { dailyReport, dayBounds, reportCsv } from '../pos/report.js';
import {
  canDo,
  Done,
  isPlatform,
  merchantOf,
  MerchantPicker,
  Refusal,
  render,
  requireConsoleScope,
  scopedPath,
} from './scoped.js';
import {
  CloseTillForm,
  DayRangeForm,
  DrawerDetail,
  DrawerTable,
  MethodTable,
  PaymentTable,
  RefundForm,
  ReportTable,
  type MethodRow,
} from './views/pos.js';

/** What is left to refund of a captured payment (nothing of one not captured). */
const refundableOf = (payment: PaymentRecord) =>
  payment.status === 'success' || payment.status === 'partially_refunded' ? refundableMinor(payment) : 0;

/** The most payments one page lists (newest first), and the longest range it covers. */
const PAYMENT_PAGE = 200;
const MAX_RANGE_DAYS = 31;
const TILL_SESSIONS = 50;

/**
 * The console's POS pages under /console/pos (docs/console.md): payment methods, tills and their
 * sessions, payments of a day or a range with their refunds, the daily report (HTML and CSV),
 * and closing a till with a note. Mounted behind the console's session and form-token checks;
 * everything is the operator's merchant's (a platform operator picks one with `?merchant_id=`).
 */
export function posPages(services: Services) {
  const { pos } = services;
  const app = new Hono();

  /** The page's merchant, or a picker page for a platform operator who has not chosen one. */
  async function scope(c: Context, title: string, action: string) {
    const merchantId = await merchantOf(c, services);
    if (merchantId !== null) return { merchantId, picker: null };
    const merchants = await services.merchants.list();
    return {
      merchantId: null,
      picker: render(c, 200, title, <MerchantPicker merchants={merchants} action={action} />),
    };
  }
  const path = (c: Context, merchantId: string, to: string, query: Record<string, string> = {}) =>
    scopedPath(`/console/pos${to}`, merchantId, isPlatform(c), query);

  app.get('/', async (c) => {
    const { merchantId, picker } = await scope(c, 'POS', '/console/pos');
    if (merchantId === null) return picker;
    const [methods, drawers, accounts] = await Promise.all([
      pos.store.listMethods(merchantId),
      pos.listDrawers(merchantId, TILL_SESSIONS),
      services.merchants.accounts.list(merchantId),
    ]);
    const rows: MethodRow[] = methods.map((method) => ({
      method,
      available: pos.available(method),
      accountLabel: accounts.find((account) => account.id === method.accountId)?.label ?? null,
    }));
    const now = pos.clock.now();
    return render(
      c,
      200,
      `POS of ${merchantId}`,
      <>
        <p>
          <a href={path(c, merchantId, '/payments')}>Payments and refunds</a> ·{' '}
          <a href={path(c, merchantId, '/report')}>Daily report</a>
        </p>
        <h2>Payment methods</h2>
        <MethodTable rows={rows} />
        <h2>Tills</h2>
        <p class="muted">Open sessions and the last {TILL_SESSIONS} closed ones, newest first.</p>
        <DrawerTable drawers={drawers} now={now} href={(id) => path(c, merchantId, `/tills/${id}`)} />
      </>,
    );
  });

  app.get('/payments', async (c) => {
    const { merchantId, picker } = await scope(c, 'Payments', '/console/pos/payments');
    if (merchantId === null) return picker;
    const today = pos.clock.now().toISOString().slice(0, 10);
    const from = c.req.query('from') || today;
    const to = c.req.query('to') || from;
    const start = dayBounds(from);
    const end = dayBounds(to);
    const form = (
      <DayRangeForm action="/console/pos/payments" from={from} to={to} merchantId={isPlatform(c) ? merchantId : null} />
    );
    if (
      !start ||
      !end ||
      end.to <= start.from ||
      Date.parse(end.to) - Date.parse(start.from) > MAX_RANGE_DAYS * 86_400_000
    )
      return render(
        c,
        400,
        'Payments',
        <>
          {form}
          <Refusal message={`Pick a valid range of at most ${MAX_RANGE_DAYS} days (YYYY-MM-DD, from before to).`} />
        </>,
      );
    const payments = await pos.store.listPaymentsCreated(merchantId, start.from, end.to, PAYMENT_PAGE);
    const refunds = await pos.store.refundsOfPayments(
      merchantId,
      payments.map((payment) => payment.paymentId),
    );
    return render(
      c,
      200,
      from === to ? `Payments of ${from}` : `Payments from ${from} to ${to}`,
      <>
        {form}
        {payments.length === PAYMENT_PAGE ? (
          <p class="muted">The newest {PAYMENT_PAGE} payments of this range; pick fewer days to see the others.</p>
        ) : null}
        <PaymentTable
          payments={payments}
          refunds={refunds}
          now={pos.clock.now()}
          hrefOf={(paymentId) => path(c, merchantId, `/payments/${paymentId}`)}
        />
      </>,
    );
  });

  app.get('/report', async (c) => {
    const { merchantId, picker } = await scope(c, 'Daily report', '/console/pos/report');
    if (merchantId === null) return picker;
    const day = c.req.query('day') || pos.clock.now().toISOString().slice(0, 10);
    const form = (
      <form class="filters" method="get" action="/console/pos/report" role="search" aria-label="Pick a day">
        <label>
          Day (UTC date)
          <input name="day" type="date" value={day} />
        </label>
        {isPlatform(c) ? <input type="hidden" name="merchant_id" value={merchantId} /> : null}
        <button type="submit">Show</button>
      </form>
    );
    if (!dayBounds(day))
      return render(
        c,
        400,
        'Daily report',
        <>
          {form}
          <Refusal message="Pick a day as YYYY-MM-DD." />
        </>,
      );
    const rows = await dailyReport(pos.store, merchantId, day);
    return render(
      c,
      200,
      `Daily report of ${day}`,
      <>
        {form}
        <p class="muted">
          Per method and currency: captured sales created on this UTC day (count, gross), refunds recorded on it that
          succeeded (whatever day their sale was), net = gross − refunds.
        </p>
        <ReportTable rows={rows} />
        <p>
          <a href={path(c, merchantId, '/report.csv', { day })} download>
            Download as CSV
          </a>
        </p>
      </>,
    );
  });

  app.get('/report.csv', async (c) => {
    const merchantId = await merchantOf(c, services);
    const day = c.req.query('day') ?? '';
    if (merchantId === null || !dayBounds(day))
      return c.text('name a day (day=YYYY-MM-DD) and, for a platform login, a merchant (merchant_id=)\n', 400);
    const csv = reportCsv(await dailyReport(pos.store, merchantId, day));
    return c.body(csv, 200, {
      'Content-Type': 'text/csv; charset=utf-8',
      'Content-Disposition': `attachment; filename="pos-report-${merchantId}-${day}.csv"`,
    });
  });

  app.get('/tills/:sessionId', async (c) => {
    const { merchantId, drawer } = await ownDrawer(c);
    const movements = await pos.store.drawerMovements(drawer.sessionId);
    const { csrfToken } = c.get('consoleSession');
    const done = c.req.query('done');
    const here = path(c, merchantId, `/tills/${drawer.sessionId}`);
    return render(
      c,
      200,
      `Till ${drawer.tillId}`,
      <>
        <Done message={done === 'closed' ? 'The till is closed.' : undefined} />
        <DrawerDetail drawer={drawer} movements={movements} now={pos.clock.now()} />
        {drawer.closedAt === null && canDo(c, 'cashier') ? (
          <>
            <h2>Close till</h2>
            <CloseTillForm
              drawer={drawer}
              action={path(c, merchantId, `/tills/${drawer.sessionId}/close`)}
              cancel={here}
              csrfToken={csrfToken}
            />
          </>
        ) : null}
        <p>
          <a href={path(c, merchantId, '')}>All tills</a>
        </p>
      </>,
    );
  });

  app.post('/tills/:sessionId/close', async (c) => {
    requireConsoleScope(c, 'cashier');
    const { merchantId, drawer } = await ownDrawer(c);
    const form = await c.req.parseBody();
    const field = (name: string) => (typeof form[name] === 'string' ? (form[name] as string) : '');
    const counted = field('counted').trim();
    const note = field('note').trim();
    const { principal, csrfToken } = c.get('consoleSession');
    const here = path(c, merchantId, `/tills/${drawer.sessionId}`);
    const again = (status: number, message: string) =>
      render(
        c,
        status,
        `Close till ${drawer.tillId}`,
        <>
          <Refusal message={message} />
          {drawer.closedAt === null ? (
            <CloseTillForm
              drawer={drawer}
              action={path(c, merchantId, `/tills/${drawer.sessionId}/close`)}
              cancel={here}
              csrfToken={csrfToken}
              counted={counted}
              note={note}
            />
          ) : (
            <p>
              <a href={here}>Back to the till</a>
            </p>
          )}
        </>,
      );
    if (drawer.closedAt !== null) return again(409, 'This till session is closed already.');
    if (field('confirm') !== 'yes') return again(400, 'Tick the box to confirm that you counted the cash.');
    if (note.length > 1000) return again(400, 'The note is longer than 1000 characters.');
    let countedMinor: number;
    try {
      countedMinor = fromDecimalString(counted, drawer.currency).amountMinor;
    } catch (error) {
      if (error instanceof MoneyFormatError)
        return again(400, `The counted cash is not an amount in ${drawer.currency}: ${error.message}.`);
      throw error;
    }
    // The till's open session must still be this one (closing acts on the till's open session).
    const open = await pos.store.getOpenDrawer(merchantId, drawer.tillId);
    if (open?.sessionId !== drawer.sessionId) return again(409, 'This till session is closed already.');
    try {
      await pos.closeDrawer(merchantId, countedMinor, drawer.currency, principal.label, drawer.tillId, note || null);
    } catch (error) {
      if (error instanceof PaystateError) return again(statusOf(error), error.message);
      throw error;
    }
    return c.redirect(path(c, merchantId, `/tills/${drawer.sessionId}`, { done: 'closed' }), 303);
  });

  app.get('/payments/:paymentId', async (c) => {
    const { merchantId, payment } = await ownPayment(c);
    const refunds = await pos.store.listRefunds(merchantId, payment.paymentId);
    const left = refundableOf(payment);
    const done = c.req.query('done');
    return render(
      c,
      200,
      `Payment ${payment.paymentId.slice(0, 8)}`,
      <>
        <Done message={done ? `Refund ${done}.` : undefined} />
        <PaymentTable payments={[payment]} refunds={refunds} now={pos.clock.now()} />
        {canDo(c, 'cashier') && left > 0 ? (
          <>
            <h2>Refund</h2>
            <RefundForm
              payment={payment}
              action={path(c, merchantId, `/payments/${payment.paymentId}/refunds`)}
              csrfToken={c.get('consoleSession').csrfToken}
              requestKey={randomUUID()}
              refundableMinor={left}
            />
          </>
        ) : null}
      </>,
    );
  });

  app.post('/payments/:paymentId/refunds', async (c) => {
    requireConsoleScope(c, 'cashier');
    const { merchantId, payment } = await ownPayment(c);
    const form = await c.req.parseBody();
    const field = (name: string) => (typeof form[name] === 'string' ? (form[name] as string).trim() : '');
    const here = path(c, merchantId, `/payments/${payment.paymentId}`);
    const refused = (status: number, message: string) =>
      render(
        c,
        status,
        'Refund',
        <>
          <Refusal message={message} />
          <p>
            <a href={here}>Back to the payment</a>
          </p>
        </>,
      );
    const requestKey = idSchema.safeParse(field('request_key'));
    if (!requestKey.success) return refused(400, 'This form is stale: open the payment again.');
    if (field('confirm') !== 'yes') return refused(400, 'Tick the box to confirm the refund.');
    const reason = field('reason');
    if (reason.length < 3 || reason.length > 500) return refused(400, 'A reason of 3 to 500 characters is required.');
    let amountMinor: number;
    try {
      amountMinor = fromDecimalString(field('amount'), payment.amount.currency).amountMinor;
    } catch (error) {
      if (error instanceof MoneyFormatError)
        return refused(400, `The amount is not an amount in ${payment.amount.currency}: ${error.message}.`);
      throw error;
    }
    if (amountMinor <= 0) return refused(400, 'The amount must be more than zero.');
    let outcome: string;
    try {
      // The form's key names the refund movement: a second submit of the same form continues it, never a second refund.
      // Cash goes back out of the till it came into (the till, not its closed session: the open one now).
      const till = payment.drawerSessionId ? await pos.store.getDrawer(merchantId, payment.drawerSessionId) : null;
      const result = await pos.refund(
        merchantId,
        payment.paymentId,
        {
          amountMinor,
          reason,
          requestedBy: c.get('consoleSession').principal.label,
          ...(till ? { tillId: till.tillId } : {}),
        },
        `console:${requestKey.data}`,
      );
      outcome = result.outcome === 'unknown' ? 'sent, its outcome being checked' : 'done';
    } catch (error) {
      if (error instanceof PaystateError) return refused(statusOf(error), error.message);
      throw error;
    }
    return c.redirect(path(c, merchantId, `/payments/${payment.paymentId}`, { done: outcome }), 303);
  });

  /** A payment of another merchant (or none) does not exist for this operator. */
  async function ownPayment(c: Context) {
    const merchantId = await merchantOf(c, services);
    const id = idSchema.safeParse(c.req.param('paymentId'));
    if (merchantId === null || !id.success) throw notFound('payment', String(c.req.param('paymentId')));
    const payment = await pos.store.getPayment(merchantId, id.data);
    if (!payment) throw notFound('payment', id.data);
    return { merchantId, payment };
  }

  /** A session of another merchant (or none) does not exist for this operator. */
  async function ownDrawer(c: Context) {
    const merchantId = await merchantOf(c, services);
    const id = idSchema.safeParse(c.req.param('sessionId'));
    if (merchantId === null || !id.success) throw notFound('drawer_session', String(c.req.param('sessionId')));
    const drawer = await pos.store.getDrawer(merchantId, id.data);
    if (!drawer) throw notFound('drawer_session', id.data);
    return { merchantId, drawer };
  }

  return app;
}
