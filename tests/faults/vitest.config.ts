import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import { sourceConditions } from '../../vitest.config.js';

/**
 * `npm run test:faults`: the proof harness (model-based faults, crash loop, bad input, and the
 * checks of the checker). PAYSTATE_FAULTS=1 turns on the long suites, which plain `npm test`
 * lists as skipped (see gate.ts): CI runs them once, as a step of its own, and their counts can be
 * raised (FAULT_RUNS, FAULT_CRASHES).
 *
 * Two projects: `faults-sqlite` runs everything on SQLite files; `faults-postgres` runs the model
 * suite and the crash loop again on temporary PostgreSQL databases, with smaller default counts
 * (FAULT_RUNS / FAULT_CRASHES, when set, apply to both). `--project faults-postgres` runs one.
 */
export default defineConfig({
  root: fileURLToPath(new URL('../..', import.meta.url)),
  resolve: { conditions: sourceConditions },
  ssr: { resolve: { conditions: sourceConditions } },
  test: {
    testTimeout: 600_000,
    hookTimeout: 60_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'faults-sqlite',
          include: ['tests/faults/**/*.test.ts'],
          env: { PAYSTATE_TEST_BACKEND: 'sqlite', PAYSTATE_FAULTS: '1' },
        },
      },
      {
        extends: true,
        test: {
          name: 'faults-postgres',
          include: ['tests/faults/model.test.ts', 'tests/faults/crash-loop.test.ts'],
          env: {
            PAYSTATE_TEST_BACKEND: 'postgres',
            PAYSTATE_FAULTS: '1',
            FAULT_DEFAULT_RUNS: '25',
            FAULT_DEFAULT_CRASHES: '3',
          },
          globalSetup: ['tests/support/pg-global-setup.ts'],
        },
      },
    ],
  },
});
