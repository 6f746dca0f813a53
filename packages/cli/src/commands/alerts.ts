import type { Command } from 'commander';
import { alertView, openAlerts, type AlertService } from '@paystate/server';
import { cliLogging, existingDatabase, settingsFrom, type GlobalOptions } from '../context.js';
import { checkId } from '../ids.js';
import { CliError, printJson, printRows } from '../output.js';

/** Every alerts command reads, or acknowledges an alert that must be there: none creates a database. */
async function withAlerts<T>(program: Command, work: (alerts: AlertService) => Promise<T>): Promise<T> {
  const settings = settingsFrom(program.opts<GlobalOptions>());
  const { logger } = cliLogging(settings);
  const opened = await openAlerts(settings, logger, undefined, existingDatabase);
  try {
    return await work(opened.alerts);
  } finally {
    await opened.close();
  }
}

/** `paystate alerts`: every alert raised, on the database directly (platform rights), and acknowledging them (docs/alerts.md). */
export function alertsCommand(program: Command): void {
  const alerts = program.command('alerts').description('alerts raised, and acknowledging them');

  alerts
    .command('list')
    .option('--merchant <id>', "one merchant's alerts (all by default)")
    .option('--open', 'only the alerts nobody acknowledged yet')
    .option('--kind <kind>', 'one kind, e.g. make_failed')
    .option('--limit <n>', 'at most this many, newest first', '100')
    .option('--json', 'print JSON')
    .action(async (options: { merchant?: string; open?: boolean; kind?: string; limit: string; json?: boolean }) => {
      const limit = Number(options.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 10_000)
        throw new CliError('--limit is a number from 1 to 10000');
      const list = await withAlerts(program, (service) =>
        service.list({
          ...(options.merchant === undefined ? {} : { merchantId: checkId(options.merchant, 'merchant') }),
          ...(options.open ? { state: 'open' as const } : {}),
          ...(options.kind === undefined ? {} : { kind: options.kind }),
          limit,
        }),
      );
      if (options.json) return printJson(list.map(alertView));
      printRows(
        list.map((alert) => ({
          id: alert.id,
          created_at: alert.createdAt,
          kind: alert.kind,
          merchant: alert.merchantId,
          order: alert.orderId,
          payment: alert.paymentId,
          acknowledged_by: alert.acknowledgedBy,
        })),
        false,
      );
    });

  alerts
    .command('ack <id>')
    .description('acknowledge an alert (the first acknowledgement stays)')
    .requiredOption('--by <name>', 'who looked at it')
    .option('--json', 'print JSON')
    .action(async (id: string, options: { by: string; json?: boolean }) => {
      const by = options.by.trim();
      if (by === '' || by.length > 80) throw new CliError('--by names who acknowledges (1-80 characters)');
      const alert = await withAlerts(program, (service) => service.acknowledge(checkId(id, 'alert'), by));
      if (options.json) return printJson(alertView(alert));
      process.stdout.write(`alert ${alert.id} acknowledged by ${alert.acknowledgedBy} at ${alert.acknowledgedAt}\n`);
    });
}
