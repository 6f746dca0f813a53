import { mkdirSync, writeFileSync } from 'node:fs';
import { benchApiKeyAuth } from './api-key-auth.js';
import { benchCliHelpStartup, benchCliOrdersListStartup } from './cli-startup.js';
import { benchCoreDecide } from './core-decide.js';
import { benchDueQuery } from './due-query.js';
import { benchPollCycle } from './poll-cycle.js';
import { benchStoreApply } from './store-apply.js';
import { benchWebhook } from './webhook.js';

interface BenchResult {
  name: string;
  unit: string;
  measured: number;
  baseline: number;
  baselineName: string;
  lowerIsBetter?: boolean;
  detail?: Record<string, unknown>;
}

/**
 * `npm run bench`: each figure beside a baseline measured in the same run, reported as a ratio
 * (measured / baseline) so that numbers from different machines compare. `npm run bench -- cli`
 * runs only the benches whose function name contains `cli` (case-insensitive).
 * Results: bench/results/latest.json.
 */
const benches: Array<() => Promise<BenchResult>> = [
  benchCoreDecide,
  benchStoreApply,
  benchWebhook,
  benchPollCycle,
  benchDueQuery,
  benchCliHelpStartup,
  benchCliOrdersListStartup,
  benchApiKeyAuth,
];
const only = process.argv[2]?.toLowerCase();
const results = [];
for (const bench of benches.filter((b) => only === undefined || b.name.toLowerCase().includes(only))) {
  const result = await bench();
  results.push({ ...result, ratio: result.measured / result.baseline });
  process.stderr.write(`done: ${result.name}\n`);
}

const figure = (value: number) => (value >= 100 ? Math.round(value).toLocaleString('en') : value.toFixed(2));
console.table(
  results.map((r) => ({
    benchmark: r.name,
    measured: `${figure(r.measured)} ${r.unit}`,
    baseline: `${figure(r.baseline)} (${r.baselineName})`,
    ratio: `${r.ratio.toFixed(3)}${r.lowerIsBetter ? ' (lower is better)' : ''}`,
  })),
);
for (const r of results) if (r.detail) process.stdout.write(`${r.name}: ${JSON.stringify(r.detail)}\n`);
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
const file = new URL('./results/latest.json', import.meta.url);
writeFileSync(file, `${JSON.stringify({ at: new Date().toISOString(), node: process.version, results }, null, 2)}\n`);
process.stdout.write(`saved ${file.pathname}\n`);
