import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { z } from 'zod';
import {
  merchantView,
  openTenants,
  providerAccountView,
  type MerchantService,
  type OpenDatabaseOptions,
} from '@paystate/server';
import { cliLogging, existingDatabase, settingsFrom, type GlobalOptions } from '../context.js';
import { checkId } from '../ids.js';
import { CliError, printJson, printRows } from '../output.js';

/**
 * Runs one use case on the tenant registry, on the database directly (platform rights: this is
 * the operator's shell); `existingDatabase` for a use case that only reads or changes what is there.
 */
export async function withTenants<T>(
  program: Command,
  work: (merchants: MerchantService) => Promise<T>,
  open: OpenDatabaseOptions = {},
): Promise<T> {
  const settings = settingsFrom(program.opts<GlobalOptions>());
  const { logger, redactor } = cliLogging(settings);
  const tenants = await openTenants(settings, logger, redactor, undefined, open);
  try {
    return await work(tenants.merchants);
  } finally {
    await tenants.close();
  }
}

const credentialsSchema = z.record(z.string().regex(/^[A-Z][A-Z0-9_]{0,63}$/), z.string().min(1));

/** `paystate merchants`: the tenant registry and each merchant's own provider accounts (docs/merchants.md). */
export function merchantsCommand(program: Command): void {
  const merchants = program.command('merchants').description('merchants (tenants) and their provider accounts');

  merchants
    .command('create <id>')
    .requiredOption('--name <name>', 'shown to operators')
    .option('--json', 'print JSON')
    .action(async (id: string, options: { name: string; json?: boolean }) => {
      const merchant = await withTenants(program, (service) => service.create(checkId(id, 'merchant'), options.name));
      if (options.json) return printJson(merchantView(merchant));
      process.stdout.write(`merchant ${merchant.id} created\n`);
    });

  merchants
    .command('list')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      const list = await withTenants(program, (service) => service.list(), existingDatabase);
      printRows(list.map(merchantView), options.json === true);
    });

  merchants.command('rename <id> <name>').action(async (id: string, name: string) => {
    await withTenants(program, (service) => service.update(checkId(id, 'merchant'), { name }), existingDatabase);
    process.stdout.write(`merchant ${id} renamed\n`);
  });

  for (const [verb, status] of [
    ['disable', 'disabled'],
    ['enable', 'active'],
  ] as const) {
    merchants
      .command(`${verb} <id>`)
      .description(
        verb === 'disable' ? 'refuse its keys and new orders and payments; what is under way goes on' : 'undo disable',
      )
      .action(async (id: string) => {
        await withTenants(program, (service) => service.update(checkId(id, 'merchant'), { status }), existingDatabase);
        process.stdout.write(`merchant ${id} ${status}\n`);
      });
  }

  const accounts = merchants
    .command('accounts')
    .description("a merchant's own provider accounts (sealed with PAYSTATE_MASTER_KEY)");

  accounts
    .command('add <merchant> <provider>')
    .requiredOption('--label <label>', 'tells the accounts of one merchant apart')
    .requiredOption(
      '--credentials <file>',
      'a JSON file of the provider\'s settings by name, e.g. {"WAVE_API_KEY": "...", "WAVE_WEBHOOK_SECRET": "..."}',
    )
    .option('--json', 'print JSON')
    .action(
      async (merchant: string, provider: string, options: { label: string; credentials: string; json?: boolean }) => {
        let parsed;
        try {
          parsed = credentialsSchema.safeParse(JSON.parse(await readFile(options.credentials, 'utf8')));
        } catch {
          throw new CliError(`${options.credentials}: not a readable JSON file`);
        }
        if (!parsed.success) throw new CliError(`${options.credentials}: an object of SETTING_NAME: "value" strings`);
        const credentials = parsed.data;
        const view = await withTenants(program, async (service) => {
          await service.get(checkId(merchant, 'merchant'));
          const account = await service.accounts.create(merchant, provider, options.label, credentials);
          return providerAccountView(account, service.accounts.webhookUrl(account));
        });
        if (options.json) return printJson(view);
        process.stdout.write(
          `account ${view.id} (${provider}, ${view.label}) added to ${merchant}\nset its webhook URL at ${provider}: ${view.webhook_url}\n`,
        );
      },
    );

  accounts
    .command('list [merchant]')
    .option('--json', 'print JSON')
    .action(async (merchant: string | undefined, options: { json?: boolean }) => {
      const views = await withTenants(
        program,
        async (service) =>
          (await service.accounts.list(merchant === undefined ? null : checkId(merchant, 'merchant'))).map((account) =>
            providerAccountView(account, service.accounts.webhookUrl(account)),
          ),
        existingDatabase,
      );
      printRows(views, options.json === true);
    });
}
