import { randomUUID } from 'node:crypto';
import type { Clock } from '@paystate/core';
import { notFound, PaystateError } from '../errors.js';
import type { DeviceStore } from '../orders/store.js';
import { issueSecret, prefixOf, secretMatches } from './api-key-secret.js';
import type { ProviderAccounts } from './provider-accounts.js';
import type { Principal, Scope } from './scopes.js';
import type { ApiKeyRecord, MerchantRecord, MerchantStatus, MerchantStore } from './store.js';

/** A key's last use is written at most this often, so authenticating is not a write per request. */
const TOUCH_EVERY_MS = 60_000;

export interface NewApiKey {
  scope: Scope;
  /** Required for every scope but platform_admin, which has none. */
  merchantId: string | null;
  /** Required for device keys: the one machine the key reports for. */
  deviceId: string | null;
  label: string;
}

/** The tenant registry (docs/merchants.md): merchants, their API keys, and which key a request carries. */
export class MerchantService {
  constructor(
    private readonly store: MerchantStore,
    private readonly devices: Pick<DeviceStore, 'getDevice'>,
    private readonly clock: Clock,
    readonly accounts: ProviderAccounts,
  ) {}

  async create(id: string, name: string): Promise<MerchantRecord> {
    const now = this.clock.now().toISOString();
    const merchant: MerchantRecord = { id, name, status: 'active', createdAt: now, updatedAt: now };
    if (!(await this.store.insertMerchant(merchant)))
      throw new PaystateError('conflict', 'merchant_exists', `a merchant with id ${id} exists`);
    return merchant;
  }

  list(): Promise<MerchantRecord[]> {
    return this.store.listMerchants();
  }

  async get(id: string): Promise<MerchantRecord> {
    const merchant = await this.store.getMerchant(id);
    if (!merchant) throw notFound('merchant', id);
    return merchant;
  }

  async update(id: string, patch: { name?: string; status?: MerchantStatus }): Promise<MerchantRecord> {
    const merchant = await this.store.updateMerchant(id, patch, this.clock.now().toISOString());
    if (!merchant) throw notFound('merchant', id);
    return merchant;
  }

  /** New orders and payments need an active merchant; what is already under way goes on. */
  async requireActive(id: string): Promise<MerchantRecord> {
    const merchant = await this.get(id);
    if (merchant.status !== 'active')
      throw new PaystateError('conflict', 'merchant_disabled', `merchant ${id} is disabled`);
    return merchant;
  }

  /** The key itself is in the answer and nowhere else: only its digest is stored. */
  async issueKey(request: NewApiKey): Promise<{ record: ApiKeyRecord; key: string }> {
    if ((request.scope === 'platform_admin') !== (request.merchantId === null))
      throw new PaystateError(
        'invalid',
        'invalid_key_request',
        'platform_admin keys belong to no merchant; every other key belongs to one',
      );
    if (request.merchantId !== null) await this.requireActive(request.merchantId);
    if ((request.scope === 'device') !== (request.deviceId !== null))
      throw new PaystateError(
        'invalid',
        'invalid_key_request',
        'a device key names its device, and only a device key does',
      );
    if (request.deviceId !== null) {
      const device = await this.devices.getDevice(request.deviceId);
      if (!device || device.merchantId !== request.merchantId) throw notFound('device', request.deviceId);
    }
    const { key, prefix, secretHash } = issueSecret();
    const record: ApiKeyRecord = {
      id: randomUUID(),
      prefix,
      secretHash,
      ...request,
      createdAt: this.clock.now().toISOString(),
      lastUsedAt: null,
      revokedAt: null,
    };
    await this.store.insertApiKey(record);
    return { record, key };
  }

  listKeys(merchantId: string | null): Promise<ApiKeyRecord[]> {
    return this.store.listApiKeys(merchantId);
  }

  async getKey(id: string): Promise<ApiKeyRecord> {
    const key = await this.store.getApiKey(id);
    if (!key) throw notFound('api_key', id);
    return key;
  }

  async revokeKey(id: string): Promise<ApiKeyRecord> {
    const key = await this.store.revokeApiKey(id, this.clock.now().toISOString());
    if (!key) throw notFound('api_key', id);
    return key;
  }

  /** The principal a presented key stands for; null for anything that is not a live key of an active merchant. */
  async authenticate(presented: string): Promise<Principal | null> {
    const prefix = prefixOf(presented);
    if (!prefix) return null;
    const key = await this.store.findApiKeyByPrefix(prefix);
    if (!key || key.revokedAt !== null || !secretMatches(presented, key.secretHash)) return null;
    if (key.merchantId !== null && (await this.store.getMerchant(key.merchantId))?.status !== 'active') return null;
    const now = this.clock.now();
    await this.store.touchApiKey(key.id, now.toISOString(), new Date(now.getTime() - TOUCH_EVERY_MS).toISOString());
    return {
      keyId: key.id,
      scope: key.scope,
      merchantId: key.merchantId,
      deviceId: key.deviceId,
      label: key.label,
      credential: `key:${key.id}`,
    };
  }
}
