import type { Command } from 'commander';
import { printJson } from '../output.js';
import { withTenants } from './merchants.js';

/** `paystate keys rotate`: re-seals every provider account under the first key of PAYSTATE_MASTER_KEY. */
export function keysCommand(program: Command): void {
  const keys = program.command('keys').description('the master key that seals provider credentials');
  keys
    .command('rotate')
    .description(
      're-seal every provider account under the first PAYSTATE_MASTER_KEY key (keep the old key listed until this ran)',
    )
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      const report = await withTenants(program, (service) => service.accounts.rotate());
      if (options.json) return printJson(report);
      process.stdout.write(
        `re-sealed ${report.resealed}; already current ${report.alreadyCurrent}; changed meanwhile (run again) ${report.skipped}\n`,
      );
    });
}
