import { mkdirSync, writeFileSync } from 'node:fs';
import { benchCoreDecide } from './core-decide.js';
import { benchStoreApply } from './store-apply.js';

/**
 * `npm run bench`: each figure beside a baseline measured in the same run, reported as a ratio
 * so that numbers from different machines compare. Results: bench/results/latest.json.
 */
const results = [];
for (const bench of [benchCoreDecide, benchStoreApply]) {
  const result = await bench();
  results.push({ ...result, ratio: result.measured / result.baseline });
  process.stderr.write(`done: ${result.name}\n`);
}

const rows = results.map((r) => ({
  benchmark: r.name,
  measured: `${Math.round(r.measured).toLocaleString('en')} ${r.unit}`,
  baseline: `${Math.round(r.baseline).toLocaleString('en')} (${r.baselineName})`,
  ratio: r.ratio.toFixed(3),
}));
console.table(rows);
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
const file = new URL('./results/latest.json', import.meta.url);
writeFileSync(file, `${JSON.stringify({ at: new Date().toISOString(), node: process.version, results }, null, 2)}\n`);
process.stdout.write(`saved ${file.pathname}\n`);
