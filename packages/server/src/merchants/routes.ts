import { Hono, type Context } from 'hono';
import { z } from 'zod';
import type { Services } from '../app/services.js';
import { notFound, PaystateError } from '../errors.js';
import { principalOf, requireMerchant, requireScope } from '../http/auth.js';
import { idSchema, parseId, parseJsonBody, parseQuery } from '../http/validate.js';
import { actsFor, scopes } from './scopes.js';
import { apiKeyView, merchantView, providerAccountView } from './views.js';
import { merchantDocs, providerAccountDocs } from './openapi.js';

const nameSchema = z.string().trim().min(1).max(120);
const labelSchema = z.string().trim().min(1).max(80);

export const newMerchantSchema = z.strictObject({ id: idSchema, name: nameSchema });
export const merchantPatchSchema = z
  .strictObject({ name: nameSchema.optional(), status: z.enum(['active', 'disabled']).optional() })
  .refine((patch) => Object.keys(patch).length > 0, 'nothing to change');

export const newKeySchema = z.strictObject({
  scope: z.enum(scopes),
  label: labelSchema,
  /** Platform keys only: the merchant of the new key. A merchant admin's keys are for their own merchant. */
  merchant_id: idSchema.nullable().optional(),
  device_id: idSchema.nullable().default(null),
});
export const keyListQuery = z.strictObject({ merchant_id: idSchema.optional() });

export const newAccountSchema = z.strictObject({
  provider_code: z.string().regex(/^[a-z][a-z0-9_]{0,31}$/),
  label: labelSchema,
  /** The provider's settings by their names (e.g. WAVE_API_KEY): sealed at once, never answered. */
  credentials: z
    .record(z.string().regex(/^[A-Z][A-Z0-9_]{0,63}$/), z.string().min(1).max(4096))
    .refine((credentials) => Object.keys(credentials).length <= 20, 'at most 20 settings'),
});

export const sumupConnectSchema = z.strictObject({
  label: labelSchema,
  /** The merchant's SumUp merchant code (on their SumUp profile): checkouts are created for it. */
  merchant_code: z.string().regex(/^[A-Z0-9]{4,16}$/, 'SumUp merchant codes are upper-case letters and digits'),
});

export const oauthCallbackQuery = z.object({ code: z.string().min(1).max(2048), state: z.string().min(1).max(4096) });

function requireSumUpConnect(services: Services) {
  if (!services.sumupConnect)
    throw new PaystateError(
      'unavailable',
      'oauth_not_configured',
      'SumUp OAuth is not configured on this server (SUMUP_OAUTH_CLIENT_ID, SUMUP_OAUTH_CLIENT_SECRET)',
    );
  return services.sumupConnect;
}

/**
 * Where SumUp sends the merchant's browser after consent: public, because the sealed `state`
 * names the merchant and nobody else can make one. The account is created here.
 */
export function oauthCallbackRoutes(services: Services) {
  const app = new Hono();
  app.get('/v1/oauth/sumup/callback', providerAccountDocs.oauthCallback, async (c) => {
    const query = oauthCallbackQuery.safeParse(c.req.query());
    if (!query.success)
      throw new PaystateError('invalid', 'validation_failed', 'code and state are required (SumUp sends both)');
    const account = await requireSumUpConnect(services).finish(query.data.code, query.data.state);
    c.header('Cache-Control', 'no-store');
    return c.json(providerAccountView(account, services.merchants.accounts.webhookUrl(account)), 201);
  });
  return app;
}

/** The merchant registry and API keys under /v1/admin (docs/merchants.md). */
export function merchantAdminRoutes(services: Services) {
  const { merchants } = services;
  const app = new Hono();
  /** A merchant the key may see: its own, or any for a platform key; another's answers 404. */
  const visibleMerchant = (c: Context, id: string) => {
    requireMerchant(c, id);
    return merchants.get(id);
  };

  app.get('/merchants', merchantDocs.list, requireScope('read_only'), async (c) => {
    const own = principalOf(c).merchantId;
    const list = own === null ? await merchants.list() : [await merchants.get(own)];
    return c.json({ merchants: list.map(merchantView) });
  });

  app.post('/merchants', merchantDocs.create, requireScope('platform_admin'), async (c) => {
    const body = await parseJsonBody(c, newMerchantSchema);
    return c.json(merchantView(await merchants.create(body.id, body.name)), 201);
  });

  app.get('/merchants/:merchantId', merchantDocs.get, requireScope('read_only'), async (c) =>
    c.json(merchantView(await visibleMerchant(c, parseId(c, 'merchantId')))),
  );

  // A merchant admin may rename their merchant; only the platform disables or re-enables one.
  app.patch('/merchants/:merchantId', merchantDocs.update, requireScope('merchant_admin'), async (c) => {
    const id = parseId(c, 'merchantId');
    const body = await parseJsonBody(c, merchantPatchSchema);
    await visibleMerchant(c, id);
    if (body.status !== undefined && principalOf(c).scope !== 'platform_admin')
      throw new PaystateError('forbidden', 'forbidden', 'only a platform_admin key disables or enables a merchant');
    return c.json(merchantView(await merchants.update(id, body)));
  });

  app.get('/api-keys', merchantDocs.listKeys, requireScope('merchant_admin'), async (c) => {
    const query = parseQuery(c, keyListQuery);
    const own = principalOf(c).merchantId;
    const keys = await merchants.listKeys(own ?? query.merchant_id ?? null);
    return c.json({ api_keys: keys.map(apiKeyView) });
  });

  app.post('/api-keys', merchantDocs.issueKey, requireScope('merchant_admin'), async (c) => {
    const body = await parseJsonBody(c, newKeySchema);
    const principal = principalOf(c);
    if (body.scope === 'platform_admin' && principal.scope !== 'platform_admin')
      throw new PaystateError('forbidden', 'forbidden', 'only a platform_admin key issues platform_admin keys');
    if (body.merchant_id != null) requireMerchant(c, body.merchant_id);
    const merchantId = principal.merchantId ?? body.merchant_id ?? null;
    const { record, key } = await merchants.issueKey({
      scope: body.scope,
      label: body.label,
      merchantId,
      deviceId: body.device_id,
    });
    return c.json({ ...apiKeyView(record), key }, 201);
  });

  app.delete('/api-keys/:keyId', merchantDocs.revokeKey, requireScope('merchant_admin'), async (c) => {
    const id = parseId(c, 'keyId');
    const key = await merchants.getKey(id);
    const principal = principalOf(c);
    const mine = key.merchantId === null ? principal.scope === 'platform_admin' : actsFor(principal, key.merchantId);
    if (!mine) throw notFound('api_key', id);
    return c.json(apiKeyView(await merchants.revokeKey(id)));
  });

  return app;
}

/** A merchant's own provider accounts, under /v1/merchants/:merchantId (merchant admins). */
export function providerAccountRoutes(services: Services) {
  const { merchants } = services;
  const { accounts } = merchants;
  const app = new Hono();
  const merchantOf = async (c: Context) => {
    const id = parseId(c, 'merchantId');
    requireMerchant(c, id);
    return merchants.get(id);
  };

  app.get('/:merchantId/provider-accounts', providerAccountDocs.list, requireScope('merchant_admin'), async (c) => {
    const merchant = await merchantOf(c);
    const list = await accounts.list(merchant.id);
    return c.json({ provider_accounts: list.map((a) => providerAccountView(a, accounts.webhookUrl(a))) });
  });

  app.post('/:merchantId/provider-accounts', providerAccountDocs.create, requireScope('merchant_admin'), async (c) => {
    const merchant = await merchantOf(c);
    const body = await parseJsonBody(c, newAccountSchema);
    const account = await accounts.create(merchant.id, body.provider_code, body.label, body.credentials);
    return c.json(providerAccountView(account, accounts.webhookUrl(account)), 201);
  });

  // SumUp by OAuth: the answer is the consent link for the merchant's owner; SumUp sends them back to the callback.
  app.post(
    '/:merchantId/provider-accounts/sumup/connect',
    providerAccountDocs.sumupConnect,
    requireScope('merchant_admin'),
    async (c) => {
      const merchant = await merchantOf(c);
      const body = await parseJsonBody(c, sumupConnectSchema);
      const { authorizeUrl, expiresAt } = await requireSumUpConnect(services).start(
        merchant.id,
        body.label,
        body.merchant_code,
      );
      return c.json({ authorize_url: authorizeUrl, expires_at: expiresAt });
    },
  );

  app.get(
    '/:merchantId/provider-accounts/:accountId',
    providerAccountDocs.get,
    requireScope('merchant_admin'),
    async (c) => {
      const merchant = await merchantOf(c);
      const id = parseId(c, 'accountId');
      const account = await accounts.get(id);
      if (!account || account.merchantId !== merchant.id) throw notFound('provider_account', id);
      return c.json(providerAccountView(account, accounts.webhookUrl(account)));
    },
  );

  return app;
}
