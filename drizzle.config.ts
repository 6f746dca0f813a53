import { defineConfig } from 'drizzle-kit';

export default defineConfig({
  dialect: 'sqlite',
  schema: './packages/server/src/db/schema.sqlite.ts',
  out: './packages/server/drizzle/sqlite',
});
