import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { Clock } from '@paystate/core';
import { PaystateError } from '../errors.js';
import type { MerchantService } from '../merchants/service.js';
import type { Principal, Scope } from '../merchants/scopes.js';
import { DUMMY_HASH, hashPassword, verifyPassword } from './passwords.js';
import type { ConsoleStore, ConsoleUserRecord } from './store.js';

/** How long a console session lasts from login (then the operator logs in again). */
export const SESSION_TTL_MS = 8 * 60 * 60_000;

export interface ConsoleSession {
  principal: Principal;
  csrfToken: string;
  expiresAt: string;
}

const digest = (token: string) => createHash('sha256').update(token).digest('hex');

/**
 * Who is logged in to the console (docs/console.md): an operator's API key, a console user
 * (scrypt password), or ADMIN_TOKEN. The cookie holds a random token; the row its digest. Every
 * request re-checks the subject, so a revoked key, a disabled user or merchant ends the session.
 */
export class ConsoleSessions {
  constructor(
    private readonly store: ConsoleStore,
    private readonly merchants: MerchantService,
    private readonly clock: Clock,
    private readonly adminToken: string | undefined,
  ) {}

  async loginWithKey(presented: string): Promise<{ token: string; session: ConsoleSession }> {
    if (this.adminToken !== undefined && sameText(presented, this.adminToken))
      return this.open('env', `env:${digest(presented).slice(0, 16)}`);
    const principal = await this.merchants.authenticate(presented);
    if (!principal || principal.scope === 'device') throw refused();
    return this.open('key', principal.keyId);
  }

  async loginWithPassword(username: string, password: string): Promise<{ token: string; session: ConsoleSession }> {
    const user = await this.store.findUserByName(username);
    const valid = await verifyPassword(password, user?.passwordHash ?? DUMMY_HASH);
    if (!user || !valid || user.disabledAt !== null) throw refused();
    return this.open('user', user.id);
  }

  /** The session behind a cookie's token, or null (unknown, expired, or its subject no longer valid). */
  async resolve(token: string | undefined): Promise<ConsoleSession | null> {
    if (!token) return null;
    const row = await this.store.getSession(digest(token));
    if (!row || row.expiresAt <= this.clock.now().toISOString()) return null;
    const principal = await this.principalOf(row.subjectKind, row.subject);
    return principal ? { principal, csrfToken: row.csrfToken, expiresAt: row.expiresAt } : null;
  }

  async logout(token: string | undefined): Promise<void> {
    if (token) await this.store.deleteSession(digest(token));
  }

  async createUser(request: { username: string; password: string; scope: Scope; merchantId: string | null }) {
    if ((request.scope === 'platform_admin') !== (request.merchantId === null) || request.scope === 'device')
      throw new PaystateError(
        'invalid',
        'invalid_user',
        'platform_admin users belong to no merchant; others to one; no device users',
      );
    if (request.merchantId !== null) await this.merchants.requireActive(request.merchantId);
    if (request.password.length < 12)
      throw new PaystateError('invalid', 'weak_password', 'a console password has at least 12 characters');
    const user: ConsoleUserRecord = {
      id: randomUUID(),
      username: request.username,
      passwordHash: await hashPassword(request.password),
      scope: request.scope,
      merchantId: request.merchantId,
      createdAt: this.clock.now().toISOString(),
      disabledAt: null,
    };
    if (!(await this.store.insertUser(user)))
      throw new PaystateError('conflict', 'user_exists', `a console user named ${request.username} exists`);
    return user;
  }

  private async open(subjectKind: 'key' | 'user' | 'env', subject: string) {
    const token = randomBytes(32).toString('base64url');
    const now = this.clock.now();
    const record = {
      id: digest(token),
      subject,
      subjectKind,
      csrfToken: randomBytes(24).toString('base64url'),
      createdAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + SESSION_TTL_MS).toISOString(),
    };
    await this.store.purgeSessions(now.toISOString());
    await this.store.insertSession(record);
    const principal = (await this.principalOf(subjectKind, subject))!;
    return { token, session: { principal, csrfToken: record.csrfToken, expiresAt: record.expiresAt } };
  }

  private async principalOf(kind: string, subject: string): Promise<Principal | null> {
    if (kind === 'env') {
      // The token's digest is the subject: a rotated ADMIN_TOKEN ends the sessions it opened.
      if (this.adminToken === undefined || subject !== `env:${digest(this.adminToken).slice(0, 16)}`) return null;
      return {
        keyId: 'env:ADMIN_TOKEN',
        scope: 'platform_admin',
        merchantId: null,
        deviceId: null,
        label: 'ADMIN_TOKEN',
        credential: subject,
      };
    }
    if (kind === 'key') {
      const key = await this.merchants.getKey(subject).catch(() => null);
      if (!key || key.revokedAt !== null || key.scope === 'device') return null;
      if (key.merchantId !== null && (await this.merchants.get(key.merchantId).catch(() => null))?.status !== 'active')
        return null;
      return {
        keyId: key.id,
        scope: key.scope,
        merchantId: key.merchantId,
        deviceId: null,
        label: key.label,
        credential: `key:${key.id}`,
      };
    }
    const user = await this.store.getUser(subject);
    if (!user || user.disabledAt !== null) return null;
    if (user.merchantId !== null && (await this.merchants.get(user.merchantId).catch(() => null))?.status !== 'active')
      return null;
    return {
      keyId: `user:${user.id}`,
      scope: user.scope,
      merchantId: user.merchantId,
      deviceId: null,
      label: user.username,
      credential: `user:${user.id}`,
    };
  }
}

function sameText(a: string, b: string): boolean {
  const hash = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(hash(a), hash(b));
}

function refused(): PaystateError {
  return new PaystateError('unauthorized', 'login_failed', 'that key, or that user name and password, is not valid');
}
