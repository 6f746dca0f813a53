import type { Command } from 'commander';
import { formatMoney, orderStatusSchema } from '@paystate/core';
import { auditEventView, idSchema, orderFieldsView, orderListView } from '@paystate/server';
import { existingDatabase, withStore, type GlobalOptions } from '../context.js';
import { CliError, printJson, printRows } from '../output.js';

export function ordersCommand(program: Command): void {
  const orders = program.command('orders');

  orders
    .command('list')
    .description('newest orders first')
    .option('--status <status>', 'only orders in this status')
    .option('--device <id>', 'only orders of this device')
    .option('--limit <n>', 'at most this many', '20')
    .option('--json', 'print JSON')
    .action(async (options: { status?: string; device?: string; limit: string; json?: boolean }) => {
      const status = options.status === undefined ? undefined : orderStatusSchema.safeParse(options.status);
      if (status && !status.success) throw new CliError(`unknown status "${options.status}"`);
      const limit = Number(options.limit);
      if (!Number.isInteger(limit) || limit < 1) throw new CliError('--limit must be a positive whole number');
      const records = await withStore(
        program.opts<GlobalOptions>(),
        (store) => store.listOrders({ status: status?.data, deviceId: options.device, limit }),
        existingDatabase,
      );
      if (options.json) return printJson(records.map(orderListView));
      printRows(
        records.map(({ status: current, order }) => ({
          id: order.orderId,
          status: current,
          device: order.deviceId,
          product: `${order.productName} ${order.size}`,
          price: formatMoney(order.price),
          created: order.createdAt,
        })),
        false,
      );
    });

  orders
    .command('show <id>')
    .description('one order with its audit trail')
    .option('--json', 'print JSON')
    .action(async (id: string, options: { json?: boolean }) => {
      if (!idSchema.safeParse(id).success) throw new CliError(`"${id}" is not an order id`);
      const found = await withStore(
        program.opts<GlobalOptions>(),
        async (store) => {
          const record = await store.getOrder(id);
          return record ? { record, events: await store.orderEvents(id) } : null;
        },
        existingDatabase,
      );
      if (!found) throw new CliError(`no order ${id}`);
      const { record, events } = found;
      if (options.json)
        return printJson({
          status: record.status,
          version: record.version,
          merchant_id: record.merchantId,
          order: orderFieldsView(record.order),
          events: events.map(auditEventView),
        });
      const o = record.order;
      process.stdout.write(
        `order ${o.orderId}: ${record.status}\n  ${o.productName} ${o.size}, ${formatMoney(o.price)} via ${o.provider}` +
          `${o.providerPaymentId ? ` (payment ${o.providerPaymentId})` : ''}\n  device ${o.deviceId}, created ${o.createdAt}, expires ${o.expiresAt}\n\n`,
      );
      printRows(
        events.map((event) => ({
          at: event.at,
          event: event.event,
          source: event.source,
          from: event.from,
          to: event.to,
          applied: event.applied ? 'yes' : 'no',
        })),
        false,
      );
    });
}
