import { z } from 'zod';
import { documented, err, json } from '../http/openapi.js';
import { idSchema } from '../http/validate.js';
import {
  keyListQuery,
  merchantPatchSchema,
  newAccountSchema,
  newKeySchema,
  newMerchantSchema,
  oauthCallbackQuery,
  sumupConnectSchema,
} from './routes.js';
import { scopes } from './scopes.js';

// The answers of the tenant routes (merchants/views.ts): never a key's digest, never a sealed credential.

const timestamp = z.iso.datetime();

export const merchantSchema = z
  .strictObject({
    id: idSchema,
    name: z.string(),
    status: z.enum(['active', 'disabled']).describe('A disabled merchant takes no new orders or payments.'),
    created_at: timestamp,
    updated_at: timestamp,
  })
  .meta({ id: 'Merchant' });

export const apiKeySchema = z
  .strictObject({
    id: z.string(),
    prefix: z
      .string()
      .describe('The first characters of the key, to recognise it; the key itself is never shown again.'),
    scope: z.enum(scopes),
    merchant_id: idSchema.nullable().describe('Null for platform_admin keys.'),
    device_id: idSchema.nullable().describe('The machine a device key reports for.'),
    label: z.string().describe('Who holds it: the name in audit rows, drawer sessions and refunds.'),
    created_at: timestamp,
    last_used_at: timestamp.nullable(),
    revoked_at: timestamp.nullable(),
  })
  .meta({ id: 'ApiKey' });

export const issuedKeySchema = apiKeySchema
  .extend({ key: z.string().describe('The bearer key: shown in this answer only, stored as a digest.') })
  .meta({ id: 'IssuedApiKey' });

export const providerAccountSchema = z
  .strictObject({
    id: z.string(),
    merchant_id: idSchema,
    provider_code: z.string(),
    label: z.string(),
    master_key_id: z.string().describe('The id of the master key that sealed its credentials.'),
    webhook_url: z
      .string()
      .describe("Configure this URL at the provider: its notifications are verified with this account's secret."),
    created_at: timestamp,
    updated_at: timestamp,
  })
  .meta({ id: 'ProviderAccount' });

export const sumupConnectAnswerSchema = z
  .strictObject({
    authorize_url: z.url().describe("SumUp's consent page, for the merchant's owner to open."),
    expires_at: timestamp.describe('The link is good until then.'),
  })
  .meta({ id: 'SumUpConnectLink' });

const at = '2026-03-02T09:15:00.000Z';
const lome: z.input<typeof merchantSchema> = {
  id: 'lome-1',
  name: 'Chez Awa',
  status: 'active',
  created_at: at,
  updated_at: at,
};
const cashierKey: z.input<typeof apiKeySchema> = {
  id: '0b8f3c2e-5a1d-4c8e-9f7a-2d6b1e4c9a30',
  prefix: 'ps_live_7Hq2',
  scope: 'cashier',
  merchant_id: 'lome-1',
  device_id: null,
  label: 'Awa',
  created_at: at,
  last_used_at: null,
  revoked_at: null,
};
const waveAccount: z.input<typeof providerAccountSchema> = {
  id: '5d1c7e9a-3b2f-4a6d-8e0c-1f9b2a7d4c61',
  merchant_id: 'lome-1',
  provider_code: 'wave',
  label: 'Wave main',
  master_key_id: 'k1',
  webhook_url: 'https://pay.example.com/v1/webhooks/wave/5d1c7e9a-3b2f-4a6d-8e0c-1f9b2a7d4c61',
  created_at: at,
  updated_at: at,
};

const merchantId = 'The merchant (its `id`).';
const merchantNotFound = err(404, 'merchant_not_found', 'no merchant with id lome-9');
const noMasterKey = err(
  503,
  'master_key_missing',
  'PAYSTATE_MASTER_KEY is unset: provider accounts are sealed with it (docs/merchants.md)',
);
const noOauth = err(
  503,
  'oauth_not_configured',
  'SumUp OAuth is not configured on this server (SUMUP_OAUTH_CLIENT_ID, SUMUP_OAUTH_CLIENT_SECRET)',
);

/** The merchant registry and API keys under /v1/admin (merchants/routes.ts). */
export const merchantDocs = {
  list: documented('/merchants', () => ({
    operationId: 'listMerchants',
    summary: 'List the merchants',
    description: "A platform key lists every merchant; a merchant's key its own merchant only.",
    tags: ['Merchants'],
    access: 'read_only',
    responses: {
      200: {
        description: 'The merchants.',
        content: json(z.strictObject({ merchants: z.array(merchantSchema) }), { one: { merchants: [lome] } }),
      },
    },
  })),
  create: documented('/merchants', () => ({
    operationId: 'createMerchant',
    summary: 'Register a merchant',
    tags: ['Merchants'],
    access: 'platform_admin',
    body: json(newMerchantSchema, { lome: { id: 'lome-1', name: 'Chez Awa' } }),
    responses: { 201: { description: 'The new merchant.', content: json(merchantSchema, { lome }) } },
    errors: [err(409, 'merchant_exists', 'a merchant with id lome-1 exists')],
  })),
  get: documented('/merchants/:merchantId', () => ({
    operationId: 'getMerchant',
    summary: 'One merchant',
    tags: ['Merchants'],
    access: 'read_only',
    params: { merchantId },
    responses: { 200: { description: 'The merchant.', content: json(merchantSchema, { lome }) } },
    errors: [merchantNotFound],
  })),
  update: documented('/merchants/:merchantId', () => ({
    operationId: 'updateMerchant',
    summary: 'Rename, disable or re-enable a merchant',
    description:
      'A merchant admin may rename their merchant; only a platform key disables or re-enables one. A disabled merchant takes no new orders or payments; what is under way goes on.',
    tags: ['Merchants'],
    access: 'merchant_admin',
    params: { merchantId },
    body: json(merchantPatchSchema, { rename: { name: 'Chez Awa, Lomé' }, disable: { status: 'disabled' } }),
    responses: {
      200: {
        description: 'The merchant as it is now.',
        content: json(merchantSchema, { renamed: { ...lome, name: 'Chez Awa, Lomé' } }),
      },
    },
    errors: [
      err(400, 'validation_failed', '(body): nothing to change'),
      err(403, 'forbidden', 'only a platform_admin key disables or enables a merchant'),
      merchantNotFound,
    ],
  })),
  listKeys: documented('/api-keys', () => ({
    operationId: 'listApiKeys',
    summary: 'List API keys (never the keys themselves)',
    description: "A merchant admin lists their merchant's keys; a platform key every key, or one merchant's.",
    tags: ['API keys'],
    access: 'merchant_admin',
    query: { schema: keyListQuery, descriptions: { merchant_id: "Platform keys: one merchant's keys." } },
    responses: {
      200: {
        description: 'The keys, revoked ones included.',
        content: json(z.strictObject({ api_keys: z.array(apiKeySchema) }), { one: { api_keys: [cashierKey] } }),
      },
    },
  })),
  issueKey: documented('/api-keys', () => ({
    operationId: 'issueApiKey',
    summary: 'Issue an API key',
    description:
      'The key is in this answer only; store it now. A merchant admin issues keys for their own merchant; only a platform key issues platform_admin keys or names another merchant. A device key names its device.',
    tags: ['API keys'],
    access: 'merchant_admin',
    body: json(newKeySchema, {
      cashier: { scope: 'cashier', label: 'Awa', merchant_id: 'lome-1' },
      device: { scope: 'device', label: 'Lobby machine', merchant_id: 'lome-1', device_id: 'lobby' },
    }),
    responses: {
      201: {
        description: 'The new key, with its secret.',
        content: json(issuedKeySchema, {
          cashier: { ...cashierKey, key: 'ps_live_7Hq2xY9v0cR3mK8pL1sT6wB4nD5fG2hJ' },
        }),
      },
    },
    errors: [
      err(400, 'invalid_key_request', 'a device key names its device, and only a device key does'),
      err(403, 'forbidden', 'only a platform_admin key issues platform_admin keys'),
      merchantNotFound,
    ],
  })),
  revokeKey: documented('/api-keys/:keyId', () => ({
    operationId: 'revokeApiKey',
    summary: 'Revoke an API key',
    description: 'Takes effect at once; the key stays listed with `revoked_at`.',
    tags: ['API keys'],
    access: 'merchant_admin',
    params: { keyId: 'The key (its `id`, not the secret).' },
    responses: {
      200: {
        description: 'The revoked key.',
        content: json(apiKeySchema, { revoked: { ...cashierKey, revoked_at: '2026-03-05T18:00:00.000Z' } }),
      },
    },
    errors: [err(404, 'api_key_not_found', 'no api_key with id 0b8f3c2e-5a1d-4c8e-9f7a-2d6b1e4c9a30')],
  })),
};

/** A merchant's own provider accounts under /v1/merchants/:merchantId, and SumUp's OAuth callback. */
export const providerAccountDocs = {
  list: documented('/:merchantId/provider-accounts', () => ({
    operationId: 'listProviderAccounts',
    summary: "List a merchant's provider accounts",
    tags: ['Provider accounts'],
    access: 'merchant_admin',
    params: { merchantId },
    responses: {
      200: {
        description: 'The accounts, without their credentials.',
        content: json(z.strictObject({ provider_accounts: z.array(providerAccountSchema) }), {
          one: { provider_accounts: [waveAccount] },
        }),
      },
    },
    errors: [merchantNotFound],
  })),
  create: documented('/:merchantId/provider-accounts', () => ({
    operationId: 'createProviderAccount',
    summary: 'Add a provider account with its credentials',
    description:
      "The credentials are the provider's settings by their names (docs/providers/); they are checked, sealed with the master key at once and never answered. Configure the answer's `webhook_url` at the provider.",
    tags: ['Provider accounts'],
    access: 'merchant_admin',
    params: { merchantId },
    body: json(newAccountSchema, {
      wave: {
        provider_code: 'wave',
        label: 'Wave main',
        credentials: { WAVE_API_KEY: 'wave_sn_prod_xxxxxxxx', WAVE_WEBHOOK_SECRET: 'wave_sn_WHS_xxxxxxxx' },
      },
    }),
    responses: {
      201: { description: 'The new account.', content: json(providerAccountSchema, { wave: waveAccount }) },
    },
    errors: [
      err(400, 'unknown_provider', 'no payment provider "paypal" is configured'),
      err(400, 'invalid_credentials', 'WAVE_API_KEY is required'),
      merchantNotFound,
      err(409, 'account_exists', 'merchant lome-1 already has an account "Wave main"'),
      noMasterKey,
    ],
  })),
  sumupConnect: documented('/:merchantId/provider-accounts/sumup/connect', () => ({
    operationId: 'connectSumUpAccount',
    summary: 'Start connecting a SumUp account by OAuth',
    description:
      "Answers SumUp's consent link for the merchant's owner; SumUp sends them back to GET /v1/oauth/sumup/callback, which creates the account.",
    tags: ['Provider accounts'],
    access: 'merchant_admin',
    params: { merchantId },
    body: json(sumupConnectSchema, { shop: { label: 'SumUp shop', merchant_code: 'MH4H92C7' } }),
    responses: {
      200: {
        description: 'The consent link.',
        content: json(sumupConnectAnswerSchema, {
          link: {
            authorize_url:
              'https://api.sumup.com/authorize?response_type=code&client_id=cc_abc&redirect_uri=https%3A%2F%2Fpay.example.com%2Fv1%2Foauth%2Fsumup%2Fcallback&state=v1.k1.Zm9v',
            expires_at: '2026-03-02T09:45:00.000Z',
          },
        }),
      },
    },
    errors: [merchantNotFound, noMasterKey, noOauth],
  })),
  get: documented('/:merchantId/provider-accounts/:accountId', () => ({
    operationId: 'getProviderAccount',
    summary: 'One provider account',
    tags: ['Provider accounts'],
    access: 'merchant_admin',
    params: { merchantId, accountId: 'The account.' },
    responses: { 200: { description: 'The account.', content: json(providerAccountSchema, { wave: waveAccount }) } },
    errors: [merchantNotFound, err(404, 'provider_account_not_found', 'no provider_account with id acct-9')],
  })),
  oauthCallback: documented('/v1/oauth/sumup/callback', () => ({
    operationId: 'finishSumUpConnection',
    summary: "SumUp sends the merchant's owner back here after consent",
    description:
      'Public: the sealed `state` names the merchant and nobody else can make one. Exchanges the code with SumUp and creates the provider account.',
    tags: ['Provider accounts'],
    access: 'public',
    query: {
      schema: oauthCallbackQuery,
      descriptions: { code: "SumUp's authorization code.", state: 'The sealed state of the connect link.' },
      invalidQuery: false,
    },
    responses: {
      201: {
        description: 'The account was created.',
        content: json(providerAccountSchema, {
          sumup: {
            ...waveAccount,
            provider_code: 'sumup',
            label: 'SumUp shop',
            webhook_url: 'https://pay.example.com/v1/webhooks/sumup/5d1c7e9a-3b2f-4a6d-8e0c-1f9b2a7d4c61',
          },
        }),
      },
    },
    errors: [
      err(400, 'validation_failed', 'code and state are required (SumUp sends both)'),
      err(400, 'invalid_state', 'the state parameter is not one of ours'),
      err(400, 'state_expired', 'this SumUp link has expired: start the connection again'),
      err(409, 'merchant_disabled', 'merchant lome-1 is disabled'),
      err(502, 'oauth_refused', 'SumUp refused the authorization code: start again'),
      err(502, 'provider_unavailable', 'SumUp did not answer: try the link again'),
      noOauth,
    ],
  })),
};
