import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/**
 * `npm run test:faults`: the proof harness (model-based faults, crash loop, bad input, and the
 * checks of the checker). PAYSTATE_FAULTS=1 turns on the long suites, which plain `npm test`
 * lists as skipped (see gate.ts): CI runs them once, as a step of its own, and their counts can be
 * raised (FAULT_RUNS, FAULT_CRASHES). Always SQLite: the invariants also read the database file
 * behind the server's back, read-only.
 */
export default defineConfig({
  root: fileURLToPath(new URL('../..', import.meta.url)),
  test: {
    include: ['tests/faults/**/*.test.ts'],
    testTimeout: 600_000,
    hookTimeout: 60_000,
    env: { PAYSTATE_TEST_BACKEND: 'sqlite', PAYSTATE_FAULTS: '1' },
  },
});
