import { randomUUID } from 'node:crypto';
import type { Notifier, PaymentProvider } from '@paystate/core';
import { SettingsError } from '../app/env.js';
import { PaystateError } from '../errors.js';
import { failureReasonOf } from '../outbound/failures.js';
import type { ProviderDeps } from '../providers/descriptor.js';
import { providerFromCredentials } from '../providers/registry.js';
import type { Redactor } from '../secrets/redaction.js';
import type { Keyring } from './sealing.js';
import type { MerchantStore, ProviderAccountRecord } from './store.js';

/** An OAuth connection's renewal: a refresh token, and when the access token in the settings expires. */
export interface OAuthGrant {
  refreshToken: string;
  expiresAt: string;
}

/** What a provider's OAuth server answers to a code or a refresh token. */
export interface IssuedTokens {
  accessToken: string;
  refreshToken: string;
  expiresInS: number;
}

/** Renews an access token of one provider (SumUp): the settings name the token goes in. */
export interface TokenRefresher {
  readonly accessTokenSetting: string;
  refresh(refreshToken: string): Promise<IssuedTokens>;
}

export interface ProviderAccountDeps extends Omit<ProviderDeps, 'webhookUrl'> {
  publicUrl: string;
  /** Learns each account's credentials once opened, so no log line shows them. */
  redactor?: Redactor;
  /** OAuth-connected accounts are renewed through these, by provider code. */
  refreshers?: ReadonlyMap<string, TokenRefresher>;
  /** Hears of a renewal that failed: the account stops working when its token expires. */
  notifier?: Notifier;
}

/** What is sealed per row: the provider's settings, and for an OAuth connection its grant. */
interface Sealed {
  settings: Record<string, string>;
  oauth?: OAuthGrant;
}

/** Renew a token this long before it expires (SumUp's live an hour): several poll cycles to try. */
const RENEW_BEFORE_MS = 10 * 60_000;

/** The row's identity, authenticated with its sealed credentials: a value copied to another row does not open. */
const sealingContext = (account: Pick<ProviderAccountRecord, 'id' | 'merchantId' | 'providerCode'>) =>
  `provider-account:${account.id}:${account.merchantId}:${account.providerCode}`;

/**
 * Merchants' own provider accounts (docs/merchants.md): credentials sealed at rest, opened only
 * to build the provider that pays through them. Built providers are kept per row version, so a
 * re-sealed or renewed row is built again.
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
    settings: Record<string, string>,
    oauth?: OAuthGrant,
  ): Promise<ProviderAccountRecord> {
    const keyring = this.requireKeyring();
    const identity = { id: randomUUID(), merchantId, providerCode };
    this.learn(settings, oauth);
    this.build(identity, settings);
    const now = this.deps.clock.now().toISOString();
    const record: ProviderAccountRecord = {
      ...identity,
      label,
      ...keyring.seal(
        JSON.stringify({ settings, ...(oauth ? { oauth } : {}) } satisfies Sealed),
        sealingContext(identity),
      ),
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

  /**
   * The provider paying through this account, or null when there is no such account. An OAuth
   * token about to expire is renewed first; if that fails the account's calls fail (503) and
   * an alert says why.
   */
  async provider(id: string): Promise<PaymentProvider | null> {
    let account = await this.store.getProviderAccount(id);
    if (!account) return null;
    let sealed = this.open(account);
    const cached = this.built.get(id);
    if (cached?.version === versionOf(account) && !this.renewalDue(sealed)) return cached.provider;
    if (this.renewalDue(sealed)) {
      account = await this.renew(account, sealed);
      sealed = this.open(account);
    }
    const provider = this.build(account, sealed.settings);
    this.built.set(id, { version: versionOf(account), provider });
    return provider;
  }

  /** Renews every OAuth token that expires within RENEW_BEFORE_MS (each poll cycle runs this). */
  async renewDue(): Promise<{ renewed: number; failed: number }> {
    const report = { renewed: 0, failed: 0 };
    for (const account of await this.store.listProviderAccounts(null)) {
      if (!this.deps.refreshers?.has(account.providerCode)) continue;
      let sealed: Sealed;
      try {
        sealed = this.open(account);
      } catch {
        continue;
      }
      if (!this.renewalDue(sealed)) continue;
      try {
        await this.renew(account, sealed);
        report.renewed += 1;
      } catch {
        report.failed += 1;
      }
    }
    return report;
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
      if (await this.store.resealProviderAccount(account.id, account, resealed, now)) report.resealed += 1;
      else report.skipped += 1;
    }
    return report;
  }

  /** Seals a short-lived value handed to a browser and back (an OAuth `state`): nobody else can forge or read it. */
  sealState(value: unknown, purpose: string): string {
    const { keyId, sealed } = this.requireKeyring().seal(JSON.stringify(value), `state:${purpose}`);
    return `${keyId}.${sealed}`;
  }

  openState(state: string, purpose: string): unknown {
    const [keyId, sealed] = state.split('.', 2);
    if (!keyId || !sealed)
      throw new PaystateError('invalid', 'invalid_state', 'the state parameter is not one of ours');
    try {
      return JSON.parse(this.requireKeyring().open(keyId, sealed, `state:${purpose}`)) as unknown;
    } catch {
      throw new PaystateError('invalid', 'invalid_state', 'the state parameter is not one of ours');
    }
  }

  private renewalDue(sealed: Sealed): boolean {
    return (
      sealed.oauth !== undefined &&
      Date.parse(sealed.oauth.expiresAt) - this.deps.clock.now().getTime() < RENEW_BEFORE_MS
    );
  }

  /**
   * One renewal per token: the row is claimed by a compare-and-set before the provider is asked
   * (providers rotate refresh tokens, so two instances renewing at once would lose one), then
   * re-sealed with the new tokens. Another instance's claim wins: its result is read back.
   */
  private async renew(account: ProviderAccountRecord, sealed: Sealed): Promise<ProviderAccountRecord> {
    const refresher = this.deps.refreshers?.get(account.providerCode);
    if (!refresher || !sealed.oauth) return account;
    const keyring = this.requireKeyring();
    const context = sealingContext(account);
    // Strictly later than the row's own time, so two claims never compare equal.
    const claimedAt = new Date(
      Math.max(this.deps.clock.now().getTime(), Date.parse(account.updatedAt) + 1),
    ).toISOString();
    const claim = { keyId: account.keyId, sealed: account.sealed };
    if (!(await this.store.resealProviderAccount(account.id, account, claim, claimedAt)))
      return (await this.store.getProviderAccount(account.id)) ?? account;
    const claimed = { ...account, updatedAt: claimedAt };
    let tokens: IssuedTokens;
    try {
      tokens = await refresher.refresh(sealed.oauth.refreshToken);
    } catch (error) {
      const reason = failureReasonOf(error);
      this.deps.logger.error({ account: account.id, provider: account.providerCode, reason }, 'OAuth renewal failed');
      await this.deps.notifier?.alert('provider_account_renewal_failed', {
        accountId: account.id,
        merchantId: account.merchantId,
        provider: account.providerCode,
        expiresAt: sealed.oauth.expiresAt,
        reason,
      });
      throw new PaystateError(
        'upstream_unavailable',
        'account_renewal_failed',
        `the ${account.providerCode} connection of account ${account.id} could not be renewed; reconnect it if this lasts`,
      );
    }
    const renewed: Sealed = {
      settings: { ...sealed.settings, [refresher.accessTokenSetting]: tokens.accessToken },
      oauth: {
        refreshToken: tokens.refreshToken,
        expiresAt: new Date(this.deps.clock.now().getTime() + tokens.expiresInS * 1000).toISOString(),
      },
    };
    this.learn(renewed.settings, renewed.oauth);
    const now = this.deps.clock.now().toISOString();
    await this.store.resealProviderAccount(account.id, claimed, keyring.seal(JSON.stringify(renewed), context), now);
    this.deps.logger.info({ account: account.id, provider: account.providerCode }, 'OAuth token renewed');
    return (await this.store.getProviderAccount(account.id)) ?? claimed;
  }

  private open(account: ProviderAccountRecord): Sealed {
    return JSON.parse(this.requireKeyring().open(account.keyId, account.sealed, sealingContext(account))) as Sealed;
  }

  private learn(settings: Record<string, string>, oauth?: OAuthGrant): void {
    for (const value of Object.values(settings)) this.deps.redactor?.register(value);
    this.deps.redactor?.register(oauth?.refreshToken);
  }

  private build(
    account: Pick<ProviderAccountRecord, 'id' | 'providerCode'>,
    settings: Record<string, string>,
  ): PaymentProvider {
    const {
      publicUrl: _publicUrl,
      redactor: _redactor,
      refreshers: _refreshers,
      notifier: _notifier,
      ...deps
    } = this.deps;
    try {
      return providerFromCredentials(account.providerCode, settings, { ...deps, webhookUrl: this.webhookUrl(account) });
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

const versionOf = (account: ProviderAccountRecord) => `${account.keyId}:${account.updatedAt}`;
