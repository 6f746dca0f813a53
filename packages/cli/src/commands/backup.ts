import { resolve } from 'node:path';
import type { Command } from 'commander';
import { backupDatabase, redactUrl } from '@paystate/server';
import { settingsFrom, type GlobalOptions } from '../context.js';

export function backupCommand(program: Command): void {
  program
    .command('backup')
    .description('copy the SQLite database into a new file while the server runs (PostgreSQL: pg_dump)')
    .argument('<file>', 'the backup file to create (never overwritten)')
    .action(async (file: string) => {
      const settings = settingsFrom(program.opts<GlobalOptions>());
      const report = await backupDatabase(settings.DATABASE_URL, resolve(file));
      process.stdout.write(
        `backed up ${redactUrl(settings.DATABASE_URL)} to ${report.destination} (${report.pages} pages, integrity ok)\n`,
      );
    });
}
