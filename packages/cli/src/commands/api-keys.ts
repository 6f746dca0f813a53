import type { Command } from 'commander';
import { apiKeyView, scopes, type Scope } from '@paystate/server';
import { CliError, printJson, printRows } from '../output.js';
import { checkId } from '../ids.js';
import { existingDatabase } from '../context.js';
import { withTenants } from './merchants.js';

/** `paystate api-keys`: keys for the HTTP API, each with one scope and (but platform_admin) one merchant. */
export function apiKeysCommand(program: Command): void {
  const keys = program.command('api-keys').description('API keys with scopes (docs/merchants.md)');

  keys
    .command('create')
    .requiredOption('--scope <scope>', scopes.join(' | '))
    .requiredOption('--label <label>', "who holds it: a cashier's name, a machine, a system")
    .option('--merchant <id>', 'the merchant it acts for (every scope but platform_admin)')
    .option('--device <id>', 'device keys: the one machine it reports for')
    .option('--json', 'print JSON')
    .action(async (options: { scope: string; label: string; merchant?: string; device?: string; json?: boolean }) => {
      if (!(scopes as readonly string[]).includes(options.scope))
        throw new CliError(`--scope must be one of ${scopes.join(', ')}`);
      const { record, key } = await withTenants(program, (service) =>
        service.issueKey({
          scope: options.scope as Scope,
          label: options.label,
          merchantId: options.merchant === undefined ? null : checkId(options.merchant, 'merchant'),
          deviceId: options.device === undefined ? null : checkId(options.device, 'device'),
        }),
      );
      if (options.json) return printJson({ ...apiKeyView(record), key });
      process.stdout.write(`${key}\n`);
      process.stderr.write(`key ${record.id} (${record.scope}, ${record.label}): shown once, store it now\n`);
    });

  keys
    .command('list')
    .option('--merchant <id>', "only this merchant's keys")
    .option('--json', 'print JSON')
    .action(async (options: { merchant?: string; json?: boolean }) => {
      const list = await withTenants(
        program,
        (service) => service.listKeys(options.merchant === undefined ? null : checkId(options.merchant, 'merchant')),
        existingDatabase,
      );
      printRows(list.map(apiKeyView), options.json === true);
    });

  keys.command('revoke <id>').action(async (id: string) => {
    const key = await withTenants(program, (service) => service.revokeKey(checkId(id, 'key')), existingDatabase);
    process.stdout.write(`key ${key.id} revoked at ${key.revokedAt}\n`);
  });
}
