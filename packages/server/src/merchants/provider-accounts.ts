import { randomUUID } from 'node:crypto';
import type { PaymentProvider } from '@paystate/core';
import { SettingsError } from '../app/env.js';
import { PaystateError } from '../errors.js';
import type { ProviderDeps } from '../providers/descriptor.js';
import { providerFromCredentials } from '../providers/registry.js';
import type { Redactor } from '../secrets/redaction.js';
import type { Keyring } from './sealing.js';
import type { MerchantStore, ProviderAccountRecord } from './store.js';

export interface ProviderAccountDeps extends Omit<ProviderDeps, 'webhookUrl'> {
  publicUrl: string;
  /** Learns each account's credentials once opened, so no log line shows them. */
  redactor?: Redactor;
}

/** The row's identity, authenticated with its sealed credentials: a value copied to another row does not open. */
const sealingContext = (account: Pick<ProviderAccountRecord, 'id' | 'merchantId' | 'providerCode'>) =>
  `provider-account:${account.id}:${account.merchantId}:${account.providerCode}`;

/**
 * Merchants' own provider accounts (docs/merchants.md): credentials sealed at rest, opened only
 * to build the provider that pays through them. Built providers are kept per row version, so a
 * re-sealed or replaced row is built again.
 */
export class ProviderAccounts {
  private readonly built = new Map<string, { version: string; provider: PaymentProvider }>();

  constructor(
    private readonly store: MerchantStore,
    private readonly keyring: Keyring | null,
    private readonly deps: ProviderAccountDeps,
  ) {}

  /** Where the provider must send this account's notifications: verified with this account's secret. */
  webhookUrl(account: Pick<ProviderAccountRecord, 'id' | 'providerCode'>): string {
    return `${this.deps.publicUrl}/v1/webhooks/${account.providerCode}/${account.id}`;
  }

  async create(
    merchantId: string,
    providerCode: string,
    label: string,
    credentials: Record<string, string>,
  ): Promise<ProviderAccountRecord> {
    const keyring = this.requireKeyring();
    const identity = { id: randomUUID(), merchantId, providerCode };
    for (const value of Object.values(credentials)) this.deps.redactor?.register(value);
    this.build(identity, credentials);
    const now = this.deps.clock.now().toISOString();
    const record: ProviderAccountRecord = {
      ...identity,
      label,
      ...keyring.seal(JSON.stringify(credentials), sealingContext(identity)),
      createdAt: now,
      updatedAt: now,
    };
    if (!(await this.store.insertProviderAccount(record)))
      throw new PaystateError('conflict', 'account_exists', `merchant ${merchantId} already has an account "${label}"`);
    return record;
  }

  get(id: string): Promise<ProviderAccountRecord | null> {
    return this.store.getProviderAccount(id);
  }

  list(merchantId: string | null): Promise<ProviderAccountRecord[]> {
    return this.store.listProviderAccounts(merchantId);
  }

  /** The codes some account pays through: the poller checks their payments too. */
  async codesInUse(): Promise<string[]> {
    return [...new Set((await this.store.listProviderAccounts(null)).map((account) => account.providerCode))];
  }

  /** The provider paying through this account, or null when there is no such account. */
  async provider(id: string): Promise<PaymentProvider | null> {
    const account = await this.store.getProviderAccount(id);
    if (!account) return null;
    const version = `${account.keyId}:${account.updatedAt}`;
    const cached = this.built.get(id);
    if (cached?.version === version) return cached.provider;
    const credentials = JSON.parse(
      this.requireKeyring().open(account.keyId, account.sealed, sealingContext(account)),
    ) as Record<string, string>;
    for (const value of Object.values(credentials)) this.deps.redactor?.register(value);
    const provider = this.build(account, credentials);
    this.built.set(id, { version, provider });
    return provider;
  }

  /**
   * Re-seals every account not yet under the current master key (`paystate keys rotate`). A row
   * changed meanwhile is skipped, not overwritten: run it again.
   */
  async rotate(): Promise<{ resealed: number; alreadyCurrent: number; skipped: number }> {
    const keyring = this.requireKeyring();
    const report = { resealed: 0, alreadyCurrent: 0, skipped: 0 };
    for (const account of await this.store.listProviderAccounts(null)) {
      if (account.keyId === keyring.currentKeyId) {
        report.alreadyCurrent += 1;
        continue;
      }
      const context = sealingContext(account);
      const resealed = keyring.seal(keyring.open(account.keyId, account.sealed, context), context);
      const now = this.deps.clock.now().toISOString();
      if (await this.store.resealProviderAccount(account.id, account.keyId, resealed, now)) report.resealed += 1;
      else report.skipped += 1;
    }
    return report;
  }

  private build(
    account: Pick<ProviderAccountRecord, 'id' | 'providerCode'>,
    credentials: Record<string, string>,
  ): PaymentProvider {
    const { publicUrl: _publicUrl, redactor: _redactor, ...deps } = this.deps;
    try {
      return providerFromCredentials(account.providerCode, credentials, {
        ...deps,
        webhookUrl: this.webhookUrl(account),
      });
    } catch (error) {
      // The message names settings, never their values.
      if (error instanceof SettingsError) throw new PaystateError('invalid', 'invalid_credentials', error.message);
      throw error;
    }
  }

  private requireKeyring(): Keyring {
    if (!this.keyring)
      throw new PaystateError(
        'unavailable',
        'master_key_missing',
        'PAYSTATE_MASTER_KEY is unset: provider accounts are sealed with it (docs/merchants.md)',
      );
    return this.keyring;
  }
}
