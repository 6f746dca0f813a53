/**
 * The tenant registry on PostgreSQL: the same invariants as store.sqlite.ts (unique merchant ids
 * and key prefixes, revocation for good, re-sealing only from the key the row was read under).
 * Every call waits for the schema (`prepared`).
 */
import { and, asc, eq, isNull, lt, or } from 'drizzle-orm';
import type { PgDb } from '../db/connection.pg.js';
import { preparedPg } from '../db/prepared-pg.js';
import { apiKeys, merchants, providerAccounts } from '../db/schema.pg.js';
import { apiKeyOf, merchantOf } from './rows.js';
import type { ApiKeyRecord, MerchantRecord, MerchantStatus, MerchantStore, ProviderAccountRecord } from './store.js';

export class PgMerchantStore implements MerchantStore {
  private readonly db: () => Promise<PgDb>;

  constructor(pgDb: PgDb, prepared: Promise<void>) {
    this.db = preparedPg(pgDb, prepared);
  }

  async insertMerchant(merchant: MerchantRecord) {
    const inserted = await (
      await this.db()
    )
      .insert(merchants)
      .values(merchant)
      .onConflictDoNothing()
      .returning({ id: merchants.id });
    return inserted.length === 1;
  }

  async getMerchant(id: string) {
    const [row] = await (await this.db()).select().from(merchants).where(eq(merchants.id, id));
    return row ? merchantOf(row) : null;
  }

  async listMerchants() {
    const rows = await (await this.db()).select().from(merchants).orderBy(asc(merchants.createdAt), asc(merchants.id));
    return rows.map(merchantOf);
  }

  async updateMerchant(id: string, patch: { name?: string; status?: MerchantStatus }, now: string) {
    const [row] = await (
      await this.db()
    )
      .update(merchants)
      .set({ ...patch, updatedAt: now })
      .where(eq(merchants.id, id))
      .returning();
    return row ? merchantOf(row) : null;
  }

  async insertApiKey(key: ApiKeyRecord) {
    await (await this.db()).insert(apiKeys).values(key);
  }

  async findApiKeyByPrefix(prefix: string) {
    const [row] = await (await this.db()).select().from(apiKeys).where(eq(apiKeys.prefix, prefix));
    return row ? apiKeyOf(row) : null;
  }

  async listApiKeys(merchantId: string | null) {
    const query = (await this.db()).select().from(apiKeys);
    const rows = await (merchantId === null ? query : query.where(eq(apiKeys.merchantId, merchantId))).orderBy(
      asc(apiKeys.createdAt),
      asc(apiKeys.id),
    );
    return rows.map(apiKeyOf);
  }

  async getApiKey(id: string) {
    const [row] = await (await this.db()).select().from(apiKeys).where(eq(apiKeys.id, id));
    return row ? apiKeyOf(row) : null;
  }

  async revokeApiKey(id: string, now: string) {
    await (
      await this.db()
    )
      .update(apiKeys)
      .set({ revokedAt: now })
      .where(and(eq(apiKeys.id, id), isNull(apiKeys.revokedAt)));
    return this.getApiKey(id);
  }

  async touchApiKey(id: string, now: string, ifUnusedSince: string) {
    await (
      await this.db()
    )
      .update(apiKeys)
      .set({ lastUsedAt: now })
      .where(and(eq(apiKeys.id, id), or(isNull(apiKeys.lastUsedAt), lt(apiKeys.lastUsedAt, ifUnusedSince))));
  }

  async insertProviderAccount(account: ProviderAccountRecord) {
    const inserted = await (
      await this.db()
    )
      .insert(providerAccounts)
      .values(account)
      .onConflictDoNothing()
      .returning({ id: providerAccounts.id });
    return inserted.length === 1;
  }

  async getProviderAccount(id: string) {
    const [row] = await (await this.db()).select().from(providerAccounts).where(eq(providerAccounts.id, id));
    return row ?? null;
  }

  async listProviderAccounts(merchantId: string | null) {
    const query = (await this.db()).select().from(providerAccounts);
    return (merchantId === null ? query : query.where(eq(providerAccounts.merchantId, merchantId))).orderBy(
      asc(providerAccounts.createdAt),
      asc(providerAccounts.id),
    );
  }

  async resealProviderAccount(
    id: string,
    expected: Pick<ProviderAccountRecord, 'keyId' | 'updatedAt'>,
    sealed: { keyId: string; sealed: string },
    now: string,
  ) {
    const updated = await (
      await this.db()
    )
      .update(providerAccounts)
      .set({ ...sealed, updatedAt: now })
      .where(
        and(
          eq(providerAccounts.id, id),
          eq(providerAccounts.keyId, expected.keyId),
          eq(providerAccounts.updatedAt, expected.updatedAt),
        ),
      )
      .returning({ id: providerAccounts.id });
    return updated.length === 1;
  }
}
