import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { z } from 'zod';
import { currencySchema, minorUnitsSchema, paymentMethodSchema, paymentStatuses } from '@paystate/core';
import type { PosService } from './service.js';
import { MAIN_TILL } from './store.js';
import { PaystateError } from '../errors.js';
import { IDEMPOTENCY_KEY_HEADER, idempotency } from '../idempotency/middleware.js';
import { drawerView, methodView, movementView, paymentView, refundView } from './views.js';
import { posDocs } from './openapi.js';
import type { Services } from '../app/services.js';
import { actorOf, credentialOf, requireMerchant, requireScope } from '../http/auth.js';
import type { Scope } from '../merchants/scopes.js';
import { idSchema, parseId, parseJsonBody, parseQuery } from '../http/validate.js';

export const providerCodeSchema = z
  .string()
  .regex(/^[a-z][a-z0-9_]{0,31}$/, 'provider codes are lower-case identifiers such as wave or cash');
const operatorSchema = z.string().trim().min(1).max(80);
/** Which of the merchant's tills (docs/pos.md): a single-till set-up never names one. */
const tillSchema = idSchema.default(MAIN_TILL);
const publicConfigSchema = z
  .record(z.string().max(64), z.string().max(500))
  .refine((config) => Object.keys(config).length <= 20, 'at most 20 entries');

export const newMethodSchema = z.strictObject({
  provider_code: providerCodeSchema,
  /** The merchant's own provider account (docs/merchants.md); absent: the environment's. */
  account_id: idSchema.nullable().default(null),
  display_name: paymentMethodSchema.shape.displayName,
  active: z.boolean().default(true),
  sort_order: z.number().int().min(-1_000_000).max(1_000_000).default(0),
  public_config: publicConfigSchema.default({}),
});

export const methodPatchSchema = z
  .strictObject({
    display_name: paymentMethodSchema.shape.displayName.optional(),
    account_id: idSchema.nullable().optional(),
    active: z.boolean().optional(),
    sort_order: z.number().int().min(-1_000_000).max(1_000_000).optional(),
    public_config: publicConfigSchema.optional(),
  })
  .refine((patch) => Object.keys(patch).length > 0, 'nothing to change');

export const methodListQuery = z.strictObject({ offered: z.enum(['true', 'false']).optional() });

export const newPaymentSchema = z.strictObject({
  method: providerCodeSchema,
  amount_minor: minorUnitsSchema.positive(),
  currency: currencySchema,
  description: z.string().trim().max(200).default(''),
  payer_msisdn: z
    .string()
    .regex(/^[1-9][0-9]{7,14}$/, 'international phone number, digits only')
    .optional(),
});

export const paymentListQuery = z.strictObject({
  status: z.enum(paymentStatuses).optional(),
  created_before: z.iso.datetime().optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});

export const refundSchema = z.strictObject({
  amount_minor: minorUnitsSchema.positive(),
  reason: z.string().trim().min(1).max(500).optional(),
  /** A cash refund's cash comes out of this till. */
  till_id: tillSchema,
  /** Who refunds, for ADMIN_TOKEN only (a key is its own label). */
  operator: operatorSchema.optional(),
});

/** The body may be empty: the cash goes into the main till. */
export const confirmCashSchema = z.strictObject({ till_id: tillSchema });

export const openDrawerSchema = z.strictObject({
  opening_minor: minorUnitsSchema,
  currency: currencySchema,
  till_id: tillSchema,
  operator: operatorSchema.optional(),
});

export const drawerCashSchema = z.strictObject({
  direction: z.enum(['in', 'out']),
  amount_minor: minorUnitsSchema.positive(),
  currency: currencySchema.optional(),
  note: z.string().trim().min(1).max(500).optional(),
  till_id: tillSchema,
});

export const closeDrawerSchema = z.strictObject({
  counted_minor: minorUnitsSchema,
  currency: currencySchema.optional(),
  till_id: tillSchema,
  operator: operatorSchema.optional(),
  /** The cashier's note on closing (a variance explained). */
  note: z.string().trim().max(1000).optional(),
});

export const drawerQuery = z.strictObject({ till_id: tillSchema });

export const drawerListQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(500).default(20),
  till_id: idSchema.optional(),
});

/** Reading needs read_only; selling, refunding and the drawer a cashier; the payment methods a merchant admin. */
function scopeOfPosRoute(method: string, path: string): Scope {
  if (method === 'GET' || method === 'HEAD') return 'read_only';
  return path.includes('/payment-methods') ? 'merchant_admin' : 'cashier';
}

/** A refund's or a payment's creation answers 202 when the provider's outcome is unknown (`check` settles it). */
const createdStatus = (outcome: 'done' | 'started' | 'unknown') => (outcome === 'unknown' ? 202 : 201);

/**
 * The restaurant POS under /v1/merchants/:merchantId, for that merchant's keys (and platform
 * keys): payment methods, payments, refunds, the cash drawer. Every POST takes an
 * Idempotency-Key scoped to the credential and the merchant (claimed after the key is checked).
 */
export function posRoutes(services: Services) {
  const pos: PosService = services.pos;
  const app = new Hono();
  const merchant = (c: Context) => parseId(c, 'merchantId');
  // The key's merchant, never the path's alone; the scope before the Idempotency-Key is claimed.
  const admitted: MiddlewareHandler = async (c, next) => {
    const merchantId = merchant(c);
    // A platform key reaches registered merchants only: no POS rows for a tenant nobody created.
    if (requireMerchant(c, merchantId).merchantId === null) await services.merchants.get(merchantId);
    return requireScope(scopeOfPosRoute(c.req.method, c.req.path))(c, next);
  };
  const keyed = idempotency({
    store: services.idempotency,
    clock: pos.clock,
    scope: (c) => {
      const parsed = idSchema.safeParse(c.req.param('merchantId'));
      return parsed.success ? `${credentialOf(c)}/${parsed.data}` : null;
    },
  });

  app.use('/:merchantId/*', admitted);
  app.post('/:merchantId/*', keyed);

  app.get('/:merchantId/payment-methods', posDocs.listMethods, async (c) => {
    const merchantId = merchant(c);
    const query = parseQuery(c, methodListQuery);
    const methods = query.offered === 'true' ? await pos.offeredMethods(merchantId) : await pos.listMethods(merchantId);
    return c.json({ methods: methods.map((method) => methodView(method, pos.available(method))) });
  });

  app.post('/:merchantId/payment-methods', posDocs.createMethod, async (c) => {
    const merchantId = merchant(c);
    const body = await parseJsonBody(c, newMethodSchema);
    const method = await pos.createMethod({
      merchantId,
      providerCode: body.provider_code,
      accountId: body.account_id,
      displayName: body.display_name,
      active: body.active,
      sortOrder: body.sort_order,
      publicConfig: body.public_config,
    });
    return c.json(methodView(method, pos.available(method)), 201);
  });

  app.patch('/:merchantId/payment-methods/:providerCode', posDocs.updateMethod, async (c) => {
    const merchantId = merchant(c);
    const providerCode = parseProviderCode(c);
    const body = await parseJsonBody(c, methodPatchSchema);
    const method = await pos.updateMethod(merchantId, providerCode, {
      ...(body.display_name === undefined ? {} : { displayName: body.display_name }),
      ...(body.account_id === undefined ? {} : { accountId: body.account_id }),
      ...(body.active === undefined ? {} : { active: body.active }),
      ...(body.sort_order === undefined ? {} : { sortOrder: body.sort_order }),
      ...(body.public_config === undefined ? {} : { publicConfig: body.public_config }),
    });
    return c.json(methodView(method, pos.available(method)));
  });

  app.delete('/:merchantId/payment-methods/:providerCode', posDocs.deleteMethod, async (c) => {
    await pos.deleteMethod(merchant(c), parseProviderCode(c));
    return c.body(null, 204);
  });

  app.post('/:merchantId/payments', posDocs.createPayment, async (c) => {
    const merchantId = merchant(c);
    const body = await parseJsonBody(c, newPaymentSchema);
    // A disabled merchant takes no new payments (a platform key still reaches it); what is under way goes on.
    await services.merchants.requireActive(merchantId);
    const { payment, outcome } = await pos.createPayment(
      merchantId,
      {
        method: body.method,
        amount: { amountMinor: body.amount_minor, currency: body.currency },
        description: body.description,
        ...(body.payer_msisdn === undefined ? {} : { payerMsisdn: body.payer_msisdn }),
      },
      // The key names the payment attempt itself, not only the request (docs/architecture.md section 9).
      c.req.header(IDEMPOTENCY_KEY_HEADER) ?? null,
    );
    return c.json(paymentView(payment), createdStatus(outcome));
  });

  app.get('/:merchantId/payments', posDocs.listPayments, async (c) => {
    const merchantId = merchant(c);
    const query = parseQuery(c, paymentListQuery);
    const payments = await pos.listPayments(merchantId, {
      status: query.status,
      createdBefore: query.created_before,
      limit: query.limit,
    });
    return c.json({ payments: payments.map(paymentView) });
  });

  app.get('/:merchantId/payments/:paymentId', posDocs.getPayment, async (c) => {
    const { payment, refunds } = await pos.getPayment(merchant(c), parseId(c, 'paymentId'));
    return c.json({ ...paymentView(payment), refunds: refunds.map(refundView) });
  });

  app.post('/:merchantId/payments/:paymentId/confirm-cash', posDocs.confirmCash, async (c) => {
    const merchantId = merchant(c);
    const paymentId = parseId(c, 'paymentId');
    const body = await parseJsonBody(c, confirmCashSchema);
    const { payment, drawer } = await pos.confirmCash(merchantId, paymentId, body.till_id);
    return c.json({ ...paymentView(payment), drawer: drawerView(drawer) });
  });

  app.post('/:merchantId/payments/:paymentId/check', posDocs.check, async (c) => {
    const result = await pos.check(merchant(c), parseId(c, 'paymentId'));
    return c.json({
      ...paymentView(result.payment),
      refunds: result.refunds.map(refundView),
      observed: result.observed,
      amount_mismatch: result.amountMismatch,
    });
  });

  app.get('/:merchantId/payments/:paymentId/refunds', posDocs.listRefunds, async (c) => {
    const { refunds } = await pos.getPayment(merchant(c), parseId(c, 'paymentId'));
    return c.json({ refunds: refunds.map(refundView) });
  });

  app.post('/:merchantId/payments/:paymentId/refunds', posDocs.refund, async (c) => {
    const merchantId = merchant(c);
    const paymentId = parseId(c, 'paymentId');
    const body = await parseJsonBody(c, refundSchema);
    // The key (already validated by the middleware) names the refund movement itself, not only the request.
    const result = await pos.refund(
      merchantId,
      paymentId,
      {
        amountMinor: body.amount_minor,
        reason: body.reason ?? null,
        tillId: body.till_id,
        requestedBy: actorOf(c, body.operator),
      },
      c.req.header(IDEMPOTENCY_KEY_HEADER) ?? null,
    );
    return c.json(
      {
        ...refundView(result.refund),
        payment: paymentView(result.payment),
        drawer: result.drawer ? drawerView(result.drawer) : null,
      },
      createdStatus(result.outcome),
    );
  });

  app.post('/:merchantId/drawer/open', posDocs.openDrawer, async (c) => {
    const merchantId = merchant(c);
    const body = await parseJsonBody(c, openDrawerSchema);
    const drawer = await pos.openDrawer(
      merchantId,
      { amountMinor: body.opening_minor, currency: body.currency },
      actorOf(c, body.operator),
      body.till_id,
    );
    return c.json(drawerView(drawer), 201);
  });

  app.get('/:merchantId/drawer', posDocs.drawer, async (c) => {
    const merchantId = merchant(c);
    const query = parseQuery(c, drawerQuery);
    return c.json(drawerView(await pos.currentDrawer(merchantId, query.till_id)));
  });

  app.post('/:merchantId/drawer/cash', posDocs.drawerCash, async (c) => {
    const merchantId = merchant(c);
    const body = await parseJsonBody(c, drawerCashSchema);
    return c.json(
      drawerView(
        await pos.drawerCash(
          merchantId,
          body.direction,
          body.amount_minor,
          body.currency,
          body.note ?? null,
          body.till_id,
        ),
      ),
    );
  });

  app.post('/:merchantId/drawer/close', posDocs.closeDrawer, async (c) => {
    const merchantId = merchant(c);
    const body = await parseJsonBody(c, closeDrawerSchema);
    return c.json(
      drawerView(
        await pos.closeDrawer(
          merchantId,
          body.counted_minor,
          body.currency,
          actorOf(c, body.operator),
          body.till_id,
          body.note || null,
        ),
      ),
    );
  });

  app.get('/:merchantId/drawer/sessions', posDocs.drawerSessions, async (c) => {
    const merchantId = merchant(c);
    const query = parseQuery(c, drawerListQuery);
    return c.json({ sessions: (await pos.listDrawers(merchantId, query.limit, query.till_id)).map(drawerView) });
  });

  app.get('/:merchantId/drawer/sessions/:sessionId', posDocs.drawerSession, async (c) => {
    const { drawer, movements } = await pos.drawer(merchant(c), parseId(c, 'sessionId'));
    return c.json({ ...drawerView(drawer), movements: movements.map(movementView) });
  });

  return app;
}

function parseProviderCode(c: Context): string {
  const parsed = providerCodeSchema.safeParse(c.req.param('providerCode'));
  if (!parsed.success)
    throw new PaystateError('invalid', 'invalid_id', `providerCode: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  return parsed.data;
}
