import type { Logger } from 'pino';
import { z } from 'zod';
import { JsonClient } from '../outbound/client.js';
import type { IssuedTokens, TokenRefresher } from '../merchants/provider-accounts.js';

const tokenAnswer = z.object({
  access_token: z.string().min(1),
  refresh_token: z.string().min(1),
  expires_in: z.number().int().positive(),
});

export interface SumUpOAuthOptions {
  /** https://api.sumup.com: /authorize, /token and the API share it. */
  baseUrl: string;
  clientId: string;
  clientSecret: string;
  /** paystate's callback, registered with the OAuth app at SumUp. */
  redirectUri: string;
  timeoutMs: number;
  logger: Logger;
}

/** The scopes a till needs: take payments, read them back, refund them. */
const SCOPES = 'payments transactions.history';

/**
 * SumUp's OAuth 2.0 authorization code grant, for merchants who connect their own SumUp account
 * to a platform (docs/merchants.md): the consent URL, the code exchange, and the refresh that
 * keeps the access token (an hour's life) usable. SumUp rotates refresh tokens on each use.
 */
export class SumUpOAuth implements TokenRefresher {
  readonly accessTokenSetting = 'SUMUP_API_KEY';
  private readonly client: JsonClient;

  constructor(private readonly options: SumUpOAuthOptions) {
    this.client = new JsonClient({
      service: 'sumup-oauth',
      baseUrl: options.baseUrl,
      timeoutMs: options.timeoutMs,
      logger: options.logger,
    });
  }

  get apiUrl(): string {
    return this.options.baseUrl;
  }

  authorizeUrl(state: string): string {
    const url = new URL('/authorize', this.options.baseUrl);
    url.search = new URLSearchParams({
      response_type: 'code',
      client_id: this.options.clientId,
      redirect_uri: this.options.redirectUri,
      scope: SCOPES,
      state,
    }).toString();
    return url.toString();
  }

  exchange(code: string): Promise<IssuedTokens> {
    return this.grant({ grant_type: 'authorization_code', code, redirect_uri: this.options.redirectUri });
  }

  refresh(refreshToken: string): Promise<IssuedTokens> {
    return this.grant({ grant_type: 'refresh_token', refresh_token: refreshToken });
  }

  private async grant(form: Record<string, string>): Promise<IssuedTokens> {
    const answer = await this.client.call(
      {
        method: 'POST',
        path: '/token',
        form: { ...form, client_id: this.options.clientId, client_secret: this.options.clientSecret },
        redactParams: ['client_secret', 'code', 'refresh_token'],
      },
      tokenAnswer,
    );
    return { accessToken: answer.access_token, refreshToken: answer.refresh_token, expiresInS: answer.expires_in };
  }
}
