import { z } from 'zod';
import type { Clock } from '@paystate/core';
import { PaystateError } from '../errors.js';
import { OutboundHttpError } from '../outbound/client.js';
import type { SumUpOAuth } from '../providers/sumup-oauth.js';
import type { ProviderAccounts } from './provider-accounts.js';
import type { MerchantService } from './service.js';
import type { ProviderAccountRecord } from './store.js';

/** How long a merchant has to approve at SumUp before the link is stale. */
const CONNECT_TTL_MS = 15 * 60_000;
const STATE_PURPOSE = 'sumup-connect';

const stateSchema = z.object({
  merchantId: z.string(),
  label: z.string(),
  merchantCode: z.string(),
  expiresAt: z.iso.datetime(),
});

/**
 * Connecting a merchant's own SumUp account by OAuth (docs/merchants.md): a consent link whose
 * `state` is sealed (it names the merchant, so the public callback needs no key), then the code
 * exchanged for tokens that become a provider account; the refresh token is sealed with it.
 */
export class SumUpConnect {
  constructor(
    private readonly oauth: SumUpOAuth,
    private readonly accounts: ProviderAccounts,
    private readonly merchants: Pick<MerchantService, 'requireActive'>,
    private readonly clock: Clock,
  ) {}

  async start(
    merchantId: string,
    label: string,
    merchantCode: string,
  ): Promise<{ authorizeUrl: string; expiresAt: string }> {
    await this.merchants.requireActive(merchantId);
    const expiresAt = new Date(this.clock.now().getTime() + CONNECT_TTL_MS).toISOString();
    const state = this.accounts.sealState({ merchantId, label, merchantCode, expiresAt }, STATE_PURPOSE);
    return { authorizeUrl: this.oauth.authorizeUrl(state), expiresAt };
  }

  async finish(code: string, state: string): Promise<ProviderAccountRecord> {
    const parsed = stateSchema.safeParse(this.accounts.openState(state, STATE_PURPOSE));
    if (!parsed.success) throw new PaystateError('invalid', 'invalid_state', 'the state parameter is not one of ours');
    const { merchantId, label, merchantCode, expiresAt } = parsed.data;
    if (Date.parse(expiresAt) <= this.clock.now().getTime())
      throw new PaystateError('invalid', 'state_expired', 'this SumUp link has expired: start the connection again');
    await this.merchants.requireActive(merchantId);
    let tokens;
    try {
      tokens = await this.oauth.exchange(code);
    } catch (error) {
      if (error instanceof OutboundHttpError && !error.isTransient)
        throw new PaystateError(
          'upstream_refused',
          'oauth_refused',
          'SumUp refused the authorization code: start again',
        );
      throw new PaystateError(
        'upstream_unavailable',
        'provider_unavailable',
        'SumUp did not answer: try the link again',
      );
    }
    return this.accounts.create(
      merchantId,
      'sumup',
      label,
      { SUMUP_API_URL: this.oauth.apiUrl, SUMUP_API_KEY: tokens.accessToken, SUMUP_MERCHANT_CODE: merchantCode },
      {
        refreshToken: tokens.refreshToken,
        expiresAt: new Date(this.clock.now().getTime() + tokens.expiresInS * 1000).toISOString(),
      },
    );
  }
}
