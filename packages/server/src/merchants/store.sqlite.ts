/**
 * The tenant registry on SQLite. Invariants: a merchant id and a key prefix are unique (the
 * primary key and a unique index decide); a revoked key stays revoked; an account is re-sealed
 * only from the master key it was read under.
 */
import { and, asc, eq, isNull, lt, or } from 'drizzle-orm';
import type { SqliteDb } from '../db/connection.sqlite.js';
import { apiKeys, merchants, providerAccounts } from '../db/schema.sqlite.js';
import { apiKeyOf, merchantOf } from './rows.js';
import type { ApiKeyRecord, MerchantRecord, MerchantStatus, MerchantStore, ProviderAccountRecord } from './store.js';

export class SqliteMerchantStore implements MerchantStore {
  constructor(private readonly db: SqliteDb) {}

  async insertMerchant(merchant: MerchantRecord) {
    return this.db.insert(merchants).values(merchant).onConflictDoNothing().run().changes === 1;
  }

  async getMerchant(id: string) {
    const row = this.db.select().from(merchants).where(eq(merchants.id, id)).get();
    return row ? merchantOf(row) : null;
  }

  async listMerchants() {
    return this.db.select().from(merchants).orderBy(asc(merchants.createdAt), asc(merchants.id)).all().map(merchantOf);
  }

  async updateMerchant(id: string, patch: { name?: string; status?: MerchantStatus }, now: string) {
    const row = this.db
      .update(merchants)
      .set({ ...patch, updatedAt: now })
      .where(eq(merchants.id, id))
      .returning()
      .get();
    return row ? merchantOf(row) : null;
  }

  async insertApiKey(key: ApiKeyRecord) {
    this.db.insert(apiKeys).values(key).run();
  }

  async findApiKeyByPrefix(prefix: string) {
    const row = this.db.select().from(apiKeys).where(eq(apiKeys.prefix, prefix)).get();
    return row ? apiKeyOf(row) : null;
  }

  async listApiKeys(merchantId: string | null) {
    const query = this.db.select().from(apiKeys);
    const rows = (merchantId === null ? query : query.where(eq(apiKeys.merchantId, merchantId)))
      .orderBy(asc(apiKeys.createdAt), asc(apiKeys.id))
      .all();
    return rows.map(apiKeyOf);
  }

  async getApiKey(id: string) {
    const row = this.db.select().from(apiKeys).where(eq(apiKeys.id, id)).get();
    return row ? apiKeyOf(row) : null;
  }

  async revokeApiKey(id: string, now: string) {
    this.db
      .update(apiKeys)
      .set({ revokedAt: now })
      .where(and(eq(apiKeys.id, id), isNull(apiKeys.revokedAt)))
      .run();
    return this.getApiKey(id);
  }

  async touchApiKey(id: string, now: string, ifUnusedSince: string) {
    this.db
      .update(apiKeys)
      .set({ lastUsedAt: now })
      .where(and(eq(apiKeys.id, id), or(isNull(apiKeys.lastUsedAt), lt(apiKeys.lastUsedAt, ifUnusedSince))))
      .run();
  }

  async insertProviderAccount(account: ProviderAccountRecord) {
    return this.db.insert(providerAccounts).values(account).onConflictDoNothing().run().changes === 1;
  }

  async getProviderAccount(id: string) {
    return this.db.select().from(providerAccounts).where(eq(providerAccounts.id, id)).get() ?? null;
  }

  async listProviderAccounts(merchantId: string | null) {
    const query = this.db.select().from(providerAccounts);
    return (merchantId === null ? query : query.where(eq(providerAccounts.merchantId, merchantId)))
      .orderBy(asc(providerAccounts.createdAt), asc(providerAccounts.id))
      .all();
  }

  async resealProviderAccount(
    id: string,
    expected: Pick<ProviderAccountRecord, 'keyId' | 'updatedAt'>,
    sealed: { keyId: string; sealed: string },
    now: string,
  ) {
    const result = this.db
      .update(providerAccounts)
      .set({ ...sealed, updatedAt: now })
      .where(
        and(
          eq(providerAccounts.id, id),
          eq(providerAccounts.keyId, expected.keyId),
          eq(providerAccounts.updatedAt, expected.updatedAt),
        ),
      )
      .run();
    return result.changes === 1;
  }
}
