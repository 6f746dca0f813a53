import type { Command } from 'commander';
import { orderStatusSchema } from '@paystate/core';
import { deviceView, sanitizeClientInfo } from '@paystate/server';
import { existingDatabase, withStore, type GlobalOptions } from '../context.js';
import { checkId } from '../ids.js';
import { CliError, printJson, printRows } from '../output.js';

export function devicesCommand(program: Command): void {
  const devices = program.command('devices');

  devices
    .command('add <id>')
    .description('add a device, or update its name and location')
    .requiredOption('--name <name>', 'shown to operators')
    .option('--location <text>', 'shown on the status page', '')
    .option('--logo-url <https-url>', 'logo on the status page')
    .option('--client-info <html>', 'default text on the status page (sanitised)', '')
    .option('--merchant <id>', 'the merchant the device belongs to', 'default')
    .action(
      async (
        id: string,
        options: { name: string; location: string; logoUrl?: string; clientInfo: string; merchant: string },
      ) => {
        checkId(id, 'device');
        checkId(options.merchant, 'merchant');
        if (options.logoUrl !== undefined && !/^https:\/\/\S+$/.test(options.logoUrl))
          throw new CliError('--logo-url must be an https URL');
        const device = await withStore(program.opts<GlobalOptions>(), async (store) => {
          const existing = await store.getDevice(id);
          return store.upsertDevice({
            id,
            merchantId: options.merchant,
            name: options.name,
            location: options.location,
            logoUrl: options.logoUrl ?? existing?.logoUrl ?? null,
            clientInfo: sanitizeClientInfo(options.clientInfo),
            clientInfoByStatus: existing?.clientInfoByStatus ?? {},
          });
        });
        if (!device) throw new CliError(`device ${id} belongs to another merchant; nothing was changed`);
        process.stdout.write(`device ${device.id} saved\n`);
      },
    );

  devices
    .command('list')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      const list = await withStore(program.opts<GlobalOptions>(), (store) => store.listDevices(), existingDatabase);
      if (options.json) return printJson(list.map(deviceView));
      printRows(
        list.map((d) => ({ id: d.id, name: d.name, location: d.location, updated: d.updatedAt })),
        false,
      );
    });

  devices
    .command('set-info <id> <html>')
    .description('set the status page text for every status, or with --status for one (client_info_<status>)')
    .option('--status <status>', 'the order status this text is for')
    .action(async (id: string, html: string, options: { status?: string }) => {
      checkId(id, 'device');
      const status = options.status === undefined ? undefined : orderStatusSchema.safeParse(options.status);
      if (status && !status.success) throw new CliError(`unknown status "${options.status}"`);
      const clean = sanitizeClientInfo(html);
      await withStore(
        program.opts<GlobalOptions>(),
        async (store) => {
          const device = await store.getDevice(id);
          if (!device) throw new CliError(`no device ${id}; add it with \`paystate devices add ${id} --name ...\``);
          await store.upsertDevice(
            status?.data
              ? { ...device, clientInfoByStatus: { ...device.clientInfoByStatus, [status.data]: clean } }
              : { ...device, clientInfo: clean },
          );
        },
        existingDatabase,
      );
      process.stdout.write(
        `device ${id}: ${status?.data ? `client_info_${status.data}` : 'client_info'} set${clean !== html ? ' (unsafe markup removed)' : ''}\n`,
      );
    });
}
