import type { ApiKeyRecord, MerchantRecord, ProviderAccountRecord } from './store.js';

// The JSON the tenant routes answer (and `paystate merchants|keys|accounts --json` prints):
// never a key's digest, never a sealed credential.

export function merchantView(merchant: MerchantRecord) {
  return {
    id: merchant.id,
    name: merchant.name,
    status: merchant.status,
    created_at: merchant.createdAt,
    updated_at: merchant.updatedAt,
  };
}

export function apiKeyView(key: ApiKeyRecord) {
  return {
    id: key.id,
    prefix: key.prefix,
    scope: key.scope,
    merchant_id: key.merchantId,
    device_id: key.deviceId,
    label: key.label,
    created_at: key.createdAt,
    last_used_at: key.lastUsedAt,
    revoked_at: key.revokedAt,
  };
}

export function providerAccountView(account: ProviderAccountRecord, webhookUrl: string) {
  return {
    id: account.id,
    merchant_id: account.merchantId,
    provider_code: account.providerCode,
    label: account.label,
    master_key_id: account.keyId,
    /** Configure this URL at the provider: its notifications are verified with this account's secret. */
    webhook_url: webhookUrl,
    created_at: account.createdAt,
    updated_at: account.updatedAt,
  };
}
