/**
 * The long proof suites (model, crash loop, bad input) run under `npm run test:faults`, whose
 * config (tests/faults/vitest.config.ts) sets PAYSTATE_FAULTS=1; under plain `npm test` they are
 * listed as skipped, so CI runs them once, in their own step, with counts that FAULT_RUNS and
 * FAULT_CRASHES can raise.
 */
export const FAULTS = process.env.PAYSTATE_FAULTS === '1';
