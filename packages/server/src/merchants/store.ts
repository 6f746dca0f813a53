import type { Scope } from './scopes.js';

/** The tenant registry's port: merchants, their API keys and their sealed provider accounts. */

export type MerchantStatus = 'active' | 'disabled';

export interface MerchantRecord {
  id: string;
  name: string;
  status: MerchantStatus;
  createdAt: string;
  updatedAt: string;
}

export interface ApiKeyRecord {
  id: string;
  prefix: string;
  secretHash: string;
  scope: Scope;
  merchantId: string | null;
  deviceId: string | null;
  label: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

export interface ProviderAccountRecord {
  id: string;
  merchantId: string;
  providerCode: string;
  label: string;
  keyId: string;
  sealed: string;
  createdAt: string;
  updatedAt: string;
}

export interface MerchantStore {
  /** False when the id is taken. */
  insertMerchant(merchant: MerchantRecord): Promise<boolean>;
  getMerchant(id: string): Promise<MerchantRecord | null>;
  listMerchants(): Promise<MerchantRecord[]>;
  updateMerchant(
    id: string,
    patch: { name?: string; status?: MerchantStatus },
    now: string,
  ): Promise<MerchantRecord | null>;

  insertApiKey(key: ApiKeyRecord): Promise<void>;
  findApiKeyByPrefix(prefix: string): Promise<ApiKeyRecord | null>;
  /** Every key, or one merchant's (platform keys belong to none). */
  listApiKeys(merchantId: string | null): Promise<ApiKeyRecord[]>;
  getApiKey(id: string): Promise<ApiKeyRecord | null>;
  revokeApiKey(id: string, now: string): Promise<ApiKeyRecord | null>;
  /** Records a use, at most once a minute per key: not a write per request. */
  touchApiKey(id: string, now: string, ifUnusedSince: string): Promise<void>;

  /** False when the merchant already has an account with this label. */
  insertProviderAccount(account: ProviderAccountRecord): Promise<boolean>;
  getProviderAccount(id: string): Promise<ProviderAccountRecord | null>;
  /** Every account, or one merchant's. */
  listProviderAccounts(merchantId: string | null): Promise<ProviderAccountRecord[]>;
  /** Re-sealed (another master key, renewed tokens): only if the row is still as `expected` (compare-and-set). */
  resealProviderAccount(
    id: string,
    expected: Pick<ProviderAccountRecord, 'keyId' | 'updatedAt'>,
    sealed: { keyId: string; sealed: string },
    now: string,
  ): Promise<boolean>;
}
