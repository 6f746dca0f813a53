import type { Command } from 'commander';
import { migrateSqlite, openSqlite } from '@paystate/server';
import { settingsFrom, type GlobalOptions } from '../context.js';

export function migrateCommand(program: Command): void {
  program
    .command('migrate')
    .description('apply the database migrations (serve and demo also do this at start-up)')
    .action(() => {
      const settings = settingsFrom(program.opts<GlobalOptions>());
      const { db, close } = openSqlite(settings.DATABASE_URL);
      try {
        migrateSqlite(db);
      } finally {
        close();
      }
      process.stdout.write(`migrated ${settings.DATABASE_URL}\n`);
    });
}
