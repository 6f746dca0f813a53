import type { apiKeys, merchants } from '../db/schema.sqlite.js';
import type { Scope } from './scopes.js';
import type { ApiKeyRecord, MerchantRecord, MerchantStatus } from './store.js';

// Both dialects infer the same row types (tests/server/db/schema-parity.test.ts), so one mapping serves both.

export function merchantOf(row: typeof merchants.$inferSelect): MerchantRecord {
  return { ...row, status: row.status as MerchantStatus };
}

export function apiKeyOf(row: typeof apiKeys.$inferSelect): ApiKeyRecord {
  return { ...row, scope: row.scope as Scope };
}
