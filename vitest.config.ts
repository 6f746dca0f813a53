import { configDefaults, defineConfig } from 'vitest/config';

/**
 * The naming convention for suites that talk to a database through the stores: `*.db.test.ts`
 * runs once per backend (the `sqlite` and the `postgres` project); everything else runs once.
 */
const perBackend = 'tests/**/*.db.test.ts';

/**
 * Tests run the TypeScript sources: the `paystate-source` export condition points each
 * @paystate package at src/ (published consumers get dist/). Vite's server defaults follow it.
 */
export const sourceConditions = ['paystate-source', 'module', 'node', 'development|production'];

export default defineConfig({
  resolve: { conditions: sourceConditions },
  ssr: { resolve: { conditions: sourceConditions } },
  test: {
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // The backend is a dimension of the run: `npm test` runs both projects; `--project sqlite` or
    // `--project postgres` runs one.
    projects: [
      {
        extends: true,
        test: {
          name: 'sqlite',
          include: ['tests/**/*.test.ts'],
          // Several processes on one database need PostgreSQL.
          exclude: [...configDefaults.exclude, 'tests/multi/**'],
          env: { PAYSTATE_TEST_BACKEND: 'sqlite' },
        },
      },
      {
        extends: true,
        test: {
          name: 'postgres',
          include: [perBackend, 'tests/multi/**/*.test.ts'],
          env: { PAYSTATE_TEST_BACKEND: 'postgres' },
          globalSetup: ['tests/support/pg-global-setup.ts'],
        },
      },
    ],
  },
});
