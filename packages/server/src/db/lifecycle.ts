/** What every database-backed store does besides its own concern: wait for the schema, and let go. */
export interface StoreLifecycle {
  /**
   * Resolves once the database is open and migrated; rejects with the reason it is not.
   * Every other method waits for it too, so calling it is only needed to fail early.
   */
  ready(): Promise<void>;
  close(): Promise<void>;
}
