import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const compiled = [join(root, 'packages/cli/bin/paystate.js')];
const throughTsx = ['--conditions=paystate-source', '--import', 'tsx', join(root, 'packages/cli/src/main.ts')];
const RUNS = 9;

function wallMs(args: string[], env: NodeJS.ProcessEnv): number {
  const started = performance.now();
  execFileSync(process.execPath, args, { env, stdio: 'ignore', cwd: root });
  return performance.now() - started;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;

/**
 * Start-up of one `paystate` command, compiled (`npm run build`, what `npm ci` installs) against
 * the same sources through the tsx loader, alternated run by run so both see the same machine
 * load. Wall time of the whole process, median of RUNS. Needs a current build.
 */
async function startup(name: string, command: string[]) {
  const dir = mkdtempSync(join(tmpdir(), 'paystate-cli-bench-'));
  const env = { PATH: process.env.PATH ?? '', LOG_LEVEL: 'silent', DATABASE_URL: `file:${join(dir, 'bench.db')}` };
  try {
    execFileSync(process.execPath, [...compiled, 'migrate'], { env, stdio: 'ignore' });
    const compiledMs: number[] = [];
    const tsxMs: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      compiledMs.push(wallMs([...compiled, ...command], env));
      tsxMs.push(wallMs([...throughTsx, ...command], env));
    }
    return {
      name,
      unit: 'ms',
      measured: median(compiledMs),
      baseline: median(tsxMs),
      baselineName: 'the same command through tsx',
      lowerIsBetter: true,
      detail: { runs: RUNS, compiledMs: compiledMs.map(Math.round), tsxMs: tsxMs.map(Math.round) },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const benchCliHelpStartup = () => startup('paystate --help start-up (compiled)', ['--help']);
export const benchCliOrdersListStartup = () => startup('paystate orders list start-up (compiled)', ['orders', 'list']);
