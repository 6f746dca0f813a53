import type { Command } from 'commander';
import { pino } from 'pino';
import {
  adaptersFromSettings,
  probeDatabase,
  publicUrlOf,
  redactedSettings,
  redactorFor,
  type Settings,
} from '@paystate/server';
import { settingsFrom, type GlobalOptions } from '../context.js';
import { failureOf } from '../failure.js';
import { CliError } from '../output.js';

export interface ConfigFindings {
  errors: string[];
  warnings: string[];
}

export function configCommand(program: Command): void {
  const config = program.command('config');
  config
    .command('check')
    .description(
      'validate every setting and the adapters they configure, and connect to the database (changing nothing); secrets are masked',
    )
    .option('--json', 'print the effective settings as JSON')
    .action(async (options: { json?: boolean }) => {
      const settings = settingsFrom(program.opts<GlobalOptions>());
      // Every line printed passes the redactor too: a secret's value is masked wherever it shows.
      const redactor = redactorFor(settings);
      const out = (text: string) => process.stdout.write(`${redactor.scrub(text)}\n`);
      const err = (text: string) => process.stderr.write(`${redactor.scrub(text)}\n`);
      const { providers, fulfilment } = adaptersFromSettings(settings, pino({ level: 'silent' }));
      const shown = redactedSettings(settings);
      if (options.json) out(JSON.stringify(shown, null, 2));
      else for (const [name, value] of Object.entries(shown)) out(`${name}=${String(value ?? '')}`);

      const findings = settingsFindings(settings);
      let database: string;
      try {
        database = (await probeDatabase(settings.DATABASE_URL)) === 'postgres' ? 'PostgreSQL' : 'SQLite';
      } catch (error) {
        findings.errors.push(failureOf(error).message);
        database = 'not usable';
      }
      for (const warning of findings.warnings) err(`paystate: warning: ${warning}`);
      for (const error of findings.errors) err(`paystate: error: ${error}`);
      if (findings.errors.length > 0) {
        const count = findings.errors.length;
        throw new CliError(`config check failed (${count} error${count === 1 ? '' : 's'})`);
      }
      if (options.json) return;
      out(
        `\nok: providers ${[...providers.keys()].join(', ')}; fulfilment ${fulfilment}; database ${database} (connected); public URL ${publicUrlOf(settings)}`,
      );
      if (!settings.ADMIN_TOKEN) out('note: ADMIN_TOKEN is unset, so the admin API refuses every request');
    });
}

/** What the settings alone say is wrong (errors) or likely a mistake (warnings); the database is tried apart. */
export function settingsFindings(settings: Settings): ConfigFindings {
  const findings: ConfigFindings = { errors: [], warnings: [] };
  if (settings.FULFILMENT === 'tmetr' && !settings.DEVICE_TOKEN)
    findings.errors.push(
      'DEVICE_TOKEN is unset: with FULFILMENT=tmetr each machine reports the drink it made with this token, ' +
        'and every report would be refused (paid orders would stay make_pending until the stuck alert)',
    );
  const publicUrl = publicUrlOf(settings);
  if (isLoopbackUrl(publicUrl))
    findings.warnings.push(
      `${settings.PUBLIC_URL ? 'PUBLIC_URL' : 'PUBLIC_URL is unset, so it defaults to'} ${publicUrl}, a loopback address: ` +
        "providers' notifications, their return redirects and customers' phones cannot reach it",
    );
  return findings;
}

/** 127.0.0.0/8, localhost (and *.localhost) and ::1: only this machine can open such a URL. */
export function isLoopbackUrl(url: string): boolean {
  let hostname: string;
  try {
    hostname = new URL(url).hostname.toLowerCase();
  } catch {
    return false;
  }
  return (
    hostname === 'localhost' ||
    hostname.endsWith('.localhost') ||
    hostname === '[::1]' ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname)
  );
}
