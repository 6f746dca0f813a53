import { defineConfig } from 'drizzle-kit';

// PostgreSQL migrations: `npx drizzle-kit generate --config drizzle-pg.config.ts`.
export default defineConfig({
  dialect: 'postgresql',
  schema: './packages/server/src/db/schema.pg.ts',
  out: './packages/server/drizzle/pg',
});
