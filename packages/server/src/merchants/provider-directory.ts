import type { PaymentProvider } from '@paystate/core';
import type { PaymentMethodStore } from '../pos/store.js';
import type { ProviderAccounts } from './provider-accounts.js';

/**
 * Which provider a payment goes through: the environment's account (the default, by code) or a
 * merchant's own account (by account id). Everything that calls a provider for a recorded
 * payment asks here with the account the payment was started with.
 */
export class ProviderDirectory {
  constructor(
    /** The providers configured from the environment, by code. */
    readonly environment: ReadonlyMap<string, PaymentProvider>,
    readonly accounts: ProviderAccounts,
    private readonly methods: Pick<PaymentMethodStore, 'getMethod'>,
  ) {}

  /** The account a merchant's new payment through this provider uses: its payment method's, else the environment's. */
  async accountFor(merchantId: string, code: string): Promise<string | null> {
    return (await this.methods.getMethod(merchantId, code))?.accountId ?? null;
  }

  async get(code: string, accountId: string | null): Promise<PaymentProvider | undefined> {
    if (accountId === null) return this.environment.get(code);
    const provider = await this.accounts.provider(accountId);
    return provider?.code === code ? provider : undefined;
  }

  /** Codes whose payments the poller may check: the environment's that can be asked, and those accounts use. */
  async pollableCodes(): Promise<string[]> {
    const codes = new Set(
      [...this.environment.values()].filter((provider) => provider.canQueryStatus).map((provider) => provider.code),
    );
    for (const code of await this.accounts.codesInUse()) codes.add(code);
    return [...codes];
  }
}
