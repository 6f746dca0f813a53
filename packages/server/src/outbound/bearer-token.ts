import type { Clock } from '@paystate/core';
import { OutboundHttpError } from './client.js';

export interface IssuedToken {
  accessToken: string;
  expiresInS: number;
}

/**
 * An OAuth-style access token, fetched once and shared: reused until shortly before it expires,
 * one fetch at a time however many calls wait for it, and renewed once when the API answers 401
 * (the token went stale early).
 */
export class BearerTokenCache {
  private token: { value: string; renewAt: number } | null = null;
  private pending: Promise<string> | null = null;

  constructor(
    private readonly fetch: () => Promise<IssuedToken>,
    private readonly clock: Clock,
    /** Renew this many seconds before expiry (at most half the token's life). */
    private readonly renewBeforeS = 60,
  ) {}

  async withToken<T>(call: (token: string) => Promise<T>): Promise<T> {
    const token = await this.current();
    try {
      return await call(token);
    } catch (error) {
      if (!(error instanceof OutboundHttpError && error.status === 401)) throw error;
      if (this.token?.value === token) this.token = null;
      return call(await this.current());
    }
  }

  private current(): Promise<string> {
    if (this.token && this.clock.now().getTime() < this.token.renewAt) return Promise.resolve(this.token.value);
    this.pending ??= this.renew().finally(() => {
      this.pending = null;
    });
    return this.pending;
  }

  private async renew(): Promise<string> {
    const { accessToken, expiresInS } = await this.fetch();
    const renewBeforeS = Math.min(this.renewBeforeS, expiresInS / 2);
    this.token = { value: accessToken, renewAt: this.clock.now().getTime() + (expiresInS - renewBeforeS) * 1000 };
    return accessToken;
  }
}
