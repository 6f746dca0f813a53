import type { Command } from 'commander';
import { openAlerts } from '@paystate/server';
import { cliLogging, existingDatabase, settingsFrom, type GlobalOptions } from '../context.js';
import { printJson } from '../output.js';
import { withTenants } from './merchants.js';

/**
 * `paystate keys rotate`: re-seals every provider account and every alert webhook secret under
 * the first key of PAYSTATE_MASTER_KEY.
 */
export function keysCommand(program: Command): void {
  const keys = program.command('keys').description('the master key that seals provider credentials');
  keys
    .command('rotate')
    .description(
      're-seal every provider account and alert webhook secret under the first PAYSTATE_MASTER_KEY key (keep the old key listed until this ran)',
    )
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      // Re-seals what is there: a mistyped database path fails instead of "re-sealed 0".
      const accounts = await withTenants(program, (service) => service.accounts.rotate(), existingDatabase);
      const settings = settingsFrom(program.opts<GlobalOptions>());
      const opened = await openAlerts(settings, cliLogging(settings).logger, undefined, existingDatabase);
      let channels;
      try {
        channels = await opened.alerts.rotate();
      } finally {
        await opened.close();
      }
      const report = {
        resealed: accounts.resealed + channels.resealed,
        alreadyCurrent: accounts.alreadyCurrent + channels.alreadyCurrent,
        skipped: accounts.skipped + channels.skipped,
      };
      if (options.json)
        return printJson({
          resealed: report.resealed,
          already_current: report.alreadyCurrent,
          skipped: report.skipped,
        });
      process.stdout.write(
        `re-sealed ${report.resealed}; already current ${report.alreadyCurrent}; changed meanwhile (run again) ${report.skipped}\n`,
      );
    });
}
