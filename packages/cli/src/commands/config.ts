import type { Command } from 'commander';
import { pino } from 'pino';
import { adaptersFromSettings, databaseKindOf, publicUrlOf, redactedSettings } from '@paystate/server';
import { settingsFrom, type GlobalOptions } from '../context.js';
import { printJson } from '../output.js';

export function configCommand(program: Command): void {
  const config = program.command('config');
  config
    .command('check')
    .description('validate every setting and the adapters they configure; secrets are masked')
    .option('--json', 'print the effective settings as JSON')
    .action((options: { json?: boolean }) => {
      const settings = settingsFrom(program.opts<GlobalOptions>());
      const { providers, fulfilment } = adaptersFromSettings(settings, pino({ level: 'silent' }));
      const database = databaseKindOf(settings.DATABASE_URL);
      const shown = redactedSettings(settings);
      if (options.json) {
        printJson(shown);
        return;
      }
      for (const [name, value] of Object.entries(shown)) process.stdout.write(`${name}=${value ?? ''}\n`);
      process.stdout.write(
        `\nok: providers ${[...providers.keys()].join(', ')}; fulfilment ${fulfilment}; database ${database === 'postgres' ? 'PostgreSQL' : 'SQLite'}; public URL ${publicUrlOf(settings)}\n`,
      );
      if (!settings.ADMIN_TOKEN)
        process.stdout.write('note: ADMIN_TOKEN is unset, so the admin API refuses every request\n');
    });
}
