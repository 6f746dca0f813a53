import type { Command } from 'commander';
import { migrateDatabase, redactUrl } from '@paystate/server';
import { settingsFrom, type GlobalOptions } from '../context.js';

export function migrateCommand(program: Command): void {
  program.command('migrate').action(async () => {
    const settings = settingsFrom(program.opts<GlobalOptions>());
    const kind = await migrateDatabase(settings.DATABASE_URL);
    process.stdout.write(
      `migrated ${redactUrl(settings.DATABASE_URL)} (${kind === 'postgres' ? 'PostgreSQL, drizzle/pg' : 'SQLite, drizzle/sqlite'})\n`,
    );
  });
}
