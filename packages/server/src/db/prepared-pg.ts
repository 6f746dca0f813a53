import type { PgDb } from './connection.pg.js';

/**
 * A PostgreSQL database whose schema may still be migrating: every use waits for it. A failed
 * migration is reported by the order store's ready(), so it is not reported again here.
 */
export function preparedPg(db: PgDb, prepared: Promise<void>): () => Promise<PgDb> {
  prepared.catch(() => undefined);
  return async () => {
    await prepared;
    return db;
  };
}
