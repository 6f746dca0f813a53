import type { Command } from 'commander';
import {
  formatMoney,
  fromDecimalString,
  MoneyFormatError,
  systemClock,
  type Money,
  type PaymentProvider,
} from '@paystate/core';
import {
  CASH_METHOD,
  drawerView,
  methodView,
  movementView,
  openDatabase,
  paymentProvidersFromSettings,
  providerDirectoryFromSettings,
  paymentView,
  PosService,
  publicUrlOf,
  refundView,
  type DrawerRecord,
  type OpenDatabaseOptions,
  type PaymentRecord,
} from '@paystate/server';
import { cliLogging, existingDatabase, settingsFrom, type GlobalOptions } from '../context.js';
import { checkId } from '../ids.js';
import { CliError, printJson, printRows } from '../output.js';

const PROVIDER_CODE = /^[a-z][a-z0-9_]{0,31}$/;
/** The till a drawer command is about when none is named (docs/pos.md, several tills). */
const MAIN_TILL = 'main';

/**
 * The restaurant POS from a terminal, on the database directly (like `orders` and `devices`):
 * payment methods, cash payments, refunds and the cash drawer. Amounts are written as people
 * write them ("1500" XOF, "12.50" EUR) and converted exactly to minor units.
 */
export function posCommand(program: Command): void {
  const pos = program.command('pos');

  /**
   * Runs one use case on a PosService; it gets the provider adapters only when `withProviders` is
   * called (a refund of a provider payment). `existingDatabase` for a use case that only reads or
   * changes what is there.
   */
  async function withPos<T>(
    work: (service: PosService, withProviders: () => void) => Promise<T>,
    open: OpenDatabaseOptions = {},
  ): Promise<T> {
    const settings = settingsFrom(program.opts<GlobalOptions>());
    const { logger, redactor } = cliLogging(settings);
    const { store, pos: posStore, merchants } = openDatabase(settings, systemClock, logger, open);
    const environment = new Map<string, PaymentProvider>();
    const providers = providerDirectoryFromSettings(settings, {
      merchants,
      methods: posStore,
      logger,
      clock: systemClock,
      environment,
      redactor,
    });
    const service = new PosService(posStore, providers, systemClock, publicUrlOf(settings), logger);
    const withProviders = () => {
      for (const [code, provider] of paymentProvidersFromSettings(settings, logger)) environment.set(code, provider);
    };
    try {
      await posStore.ready();
      return await work(service, withProviders);
    } finally {
      await store.close();
    }
  }

  const methods = pos.command('methods').description("a merchant's payment methods (one per provider)");

  methods
    .command('list <merchant>')
    .description('payment methods in the merchant order')
    .option('--offered', 'only what a customer is offered (active, and configured on this server)')
    .option('--json', 'print JSON')
    .action(async (merchant: string, options: { offered?: boolean; json?: boolean }) => {
      checkId(merchant, 'merchant');
      const views = await withPos(async (service) => {
        const list = options.offered ? await service.offeredMethods(merchant) : await service.listMethods(merchant);
        return list.map((method) => methodView(method, service.available(method)));
      }, existingDatabase);
      if (options.json) return printJson(views);
      printRows(
        views.map((m) => ({
          order: m.sort_order,
          provider: m.provider_code,
          name: m.display_name,
          active: m.active ? 'yes' : 'no',
          available: m.available ? 'yes' : 'no',
        })),
        false,
      );
    });

  methods
    .command('set <merchant> <provider>')
    .description('add a payment method, or change the one of this provider')
    .option('--name <display name>', 'what the customer sees (required for a new method)')
    .option('--order <n>', 'position in the list (lower first)')
    .option('--active', 'offer it')
    .option('--inactive', 'stop offering it')
    .option('--config <key=value...>', 'public configuration shown to payers (merchant number, QR hint); never secrets')
    .option(
      '--account <id>',
      "the merchant's own provider account (`paystate merchants accounts list`); `default` for the environment's",
    )
    .option('--json', 'print JSON')
    .action(
      async (
        merchant: string,
        provider: string,
        options: {
          account?: string;
          name?: string;
          order?: string;
          active?: boolean;
          inactive?: boolean;
          config?: string[];
          json?: boolean;
        },
      ) => {
        checkId(merchant, 'merchant');
        if (!PROVIDER_CODE.test(provider))
          throw new CliError(`"${provider}" is not a provider code (lower-case, such as wave, orange_money or cash)`);
        if (options.active && options.inactive) throw new CliError('--active and --inactive contradict each other');
        const sortOrder = options.order === undefined ? undefined : Number(options.order);
        if (sortOrder !== undefined && !Number.isSafeInteger(sortOrder))
          throw new CliError('--order must be a whole number');
        if (options.name !== undefined && (options.name.trim() === '' || options.name.length > 80))
          throw new CliError('--name must be 1-80 characters');
        const publicConfig = options.config === undefined ? undefined : parseConfig(options.config);
        const active = options.active ? true : options.inactive ? false : undefined;
        const accountId =
          options.account === undefined
            ? undefined
            : options.account === 'default'
              ? null
              : checkId(options.account, 'account');
        const { view, created } = await withPos(async (service) => {
          const existing = (await service.listMethods(merchant)).find((m) => m.providerCode === provider);
          const method = existing
            ? await service.updateMethod(merchant, provider, {
                ...(options.name === undefined ? {} : { displayName: options.name.trim() }),
                ...(active === undefined ? {} : { active }),
                ...(sortOrder === undefined ? {} : { sortOrder }),
                ...(publicConfig === undefined ? {} : { publicConfig }),
                ...(accountId === undefined ? {} : { accountId }),
              })
            : await service.createMethod({
                merchantId: merchant,
                providerCode: provider,
                accountId: accountId ?? null,
                displayName: requireName(options.name),
                active: active ?? true,
                sortOrder: sortOrder ?? 0,
                publicConfig: publicConfig ?? {},
              });
          return { view: methodView(method, service.available(method)), created: !existing };
        });
        if (options.json) return printJson(view);
        process.stdout.write(
          `${merchant}: ${provider} "${view.display_name}" ${created ? 'added' : 'updated'} (${view.active ? 'active' : 'inactive'}, order ${view.sort_order}` +
            `${view.available ? '' : '; no credentials for it on this server, so not offered'})\n`,
        );
      },
    );

  pos
    .command('pay <merchant> <amount>')
    .description("a cash payment the cashier has taken: recorded and put into the till's open session")
    .requiredOption('--currency <code>', 'ISO 4217 currency, e.g. XOF')
    .option('--description <text>', 'what was sold', '')
    .option('--till <id>', "which of the merchant's tills", MAIN_TILL)
    .option('--json', 'print JSON')
    .action(
      async (
        merchant: string,
        amount: string,
        options: { currency: string; description: string; till: string; json?: boolean },
      ) => {
        checkId(merchant, 'merchant');
        const till = checkId(options.till, 'till');
        const money = parseAmount(amount, options.currency);
        if (money.amountMinor === 0) throw new CliError('the amount must be more than zero');
        const { payment, drawer } = await withPos(async (service) => {
          // Refused before anything is written: the cash has nowhere to go without an open session.
          await service.currentDrawer(merchant, till);
          const created = await service.createPayment(merchant, {
            method: CASH_METHOD,
            amount: money,
            description: options.description.trim(),
          });
          return service.confirmCash(merchant, created.payment.paymentId, till);
        });
        if (options.json) return printJson({ ...paymentView(payment), drawer: drawerView(drawer) });
        process.stdout.write(
          `payment ${payment.paymentId}: ${formatMoney(payment.amount)} cash, ${payment.status}\n${drawerLine(drawer)}\n`,
        );
      },
    );

  pos
    .command('refund <merchant> <payment> <amount>')
    .description("refund part or all of a payment (never more than is left); cash comes out of the till's open session")
    .option('--reason <text>', 'why')
    .option('--till <id>', "which of the merchant's tills", MAIN_TILL)
    .option('--operator <name>', 'who refunds (recorded as requested_by)')
    .option('--json', 'print JSON')
    .action(
      async (
        merchant: string,
        paymentId: string,
        amount: string,
        options: { reason?: string; till: string; operator?: string; json?: boolean },
      ) => {
        checkId(merchant, 'merchant');
        checkId(paymentId, 'payment');
        const till = checkId(options.till, 'till');
        const result = await withPos(async (service, withProviders) => {
          const { payment } = await service.getPayment(merchant, paymentId);
          const money = parseAmount(amount, payment.amount.currency);
          if (money.amountMinor === 0) throw new CliError('the amount must be more than zero');
          // Only a provider payment through the environment's account needs the environment's
          // credentials; a merchant's own account is opened from the database.
          if (payment.methodCode !== CASH_METHOD && payment.providerAccountId === null) withProviders();
          return service.refund(merchant, paymentId, {
            amountMinor: money.amountMinor,
            reason: options.reason?.trim() || null,
            tillId: till,
            requestedBy: options.operator?.trim() || null,
          });
        }, existingDatabase);
        if (options.json) {
          return printJson({
            ...refundView(result.refund),
            payment: paymentView(result.payment),
            drawer: result.drawer ? drawerView(result.drawer) : null,
          });
        }
        process.stdout.write(
          `refund ${result.refund.refundId}: ${formatMoney(result.refund.amount)} ${refundView(result.refund).status}` +
            `${result.outcome === 'unknown' ? ' (the provider did not answer; the payment check or the poller reads it back later)' : ''}\n` +
            `${paymentLine(result.payment)}\n${result.drawer ? `${drawerLine(result.drawer)}\n` : ''}`,
        );
      },
    );

  const drawer = pos
    .command('drawer')
    .description("the merchant's cash drawer sessions, one open per till (--till, main by default)");

  drawer
    .command('open <merchant> <opening>')
    .description('open a session of a till with the cash already in the drawer')
    .requiredOption('--currency <code>', 'ISO 4217 currency, e.g. XOF')
    .option('--till <id>', "which of the merchant's tills", MAIN_TILL)
    .option('--operator <name>', 'who opens it')
    .option('--json', 'print JSON')
    .action(
      async (
        merchant: string,
        opening: string,
        options: { currency: string; till: string; operator?: string; json?: boolean },
      ) => {
        checkId(merchant, 'merchant');
        const till = checkId(options.till, 'till');
        const money = parseAmount(opening, options.currency);
        const opened = await withPos((service) =>
          service.openDrawer(merchant, money, options.operator?.trim() || null, till),
        );
        if (options.json) return printJson(drawerView(opened));
        process.stdout.write(`drawer session ${opened.sessionId}${tillOf(opened)} opened\n${drawerLine(opened)}\n`);
      },
    );

  drawer
    .command('close <merchant> <counted>')
    .description("close a till's open session with the cash counted; prints expected and variance")
    .option('--till <id>', "which of the merchant's tills", MAIN_TILL)
    .option('--operator <name>', 'who counted')
    .option('--json', 'print JSON')
    .action(async (merchant: string, counted: string, options: { till: string; operator?: string; json?: boolean }) => {
      checkId(merchant, 'merchant');
      const till = checkId(options.till, 'till');
      const closed = await withPos(async (service) => {
        const current = await service.currentDrawer(merchant, till);
        const money = parseAmount(counted, current.currency);
        return service.closeDrawer(merchant, money.amountMinor, money.currency, options.operator?.trim() || null, till);
      }, existingDatabase);
      if (options.json) return printJson(drawerView(closed));
      const view = drawerView(closed);
      const money = (amountMinor: number) => formatMoney({ amountMinor, currency: closed.currency });
      process.stdout.write(
        `drawer session ${closed.sessionId}${tillOf(closed)} closed\n${drawerLine(closed)}\n` +
          `  counted ${money(view.counted_minor!)}, variance ${view.variance_minor! > 0 ? '+' : view.variance_minor! < 0 ? '-' : ''}${money(Math.abs(view.variance_minor!))}\n`,
      );
    });

  drawer
    .command('show <merchant>')
    .description("a till's open session (or --session <id>) with its cash movements")
    .option('--till <id>', "which of the merchant's tills", MAIN_TILL)
    .option('--session <id>', 'a past session')
    .option('--json', 'print JSON')
    .action(async (merchant: string, options: { till: string; session?: string; json?: boolean }) => {
      checkId(merchant, 'merchant');
      const till = checkId(options.till, 'till');
      if (options.session !== undefined) checkId(options.session, 'session');
      const { drawer: shown, movements } = await withPos(async (service) => {
        const sessionId = options.session ?? (await service.currentDrawer(merchant, till)).sessionId;
        return service.drawer(merchant, sessionId);
      }, existingDatabase);
      if (options.json) return printJson({ ...drawerView(shown), movements: movements.map(movementView) });
      process.stdout.write(
        `drawer session ${shown.sessionId}${tillOf(shown)} (${shown.closedAt === null ? 'open' : `closed ${shown.closedAt}`})\n${drawerLine(shown)}\n\n`,
      );
      printRows(
        movements.map((m) => ({
          at: m.at,
          direction: m.direction,
          amount: formatMoney({ amountMinor: m.amountMinor, currency: shown.currency }),
          payment: m.paymentId,
          refund: m.refundId,
          note: m.note,
        })),
        false,
      );
    });
}

/** " of till bar"; nothing for the main till, which a single-till set-up never names. */
function tillOf(drawer: DrawerRecord): string {
  return drawer.tillId === MAIN_TILL ? '' : ` of till ${drawer.tillId}`;
}

function drawerLine(drawer: DrawerRecord): string {
  const view = drawerView(drawer);
  const money = (amountMinor: number) => formatMoney({ amountMinor, currency: drawer.currency });
  return `  opening ${money(view.opening_minor)} + in ${money(view.cash_in_minor)} - out ${money(view.cash_out_minor)} = expected ${money(view.expected_minor)}`;
}

function paymentLine(payment: PaymentRecord): string {
  const view = paymentView(payment);
  const money = (amountMinor: number) => formatMoney({ amountMinor, currency: payment.amount.currency });
  return `payment ${payment.paymentId}: ${payment.status}, ${money(view.refunded_minor)} of ${money(view.amount_minor)} refunded, ${money(view.refundable_minor)} refundable`;
}

function parseAmount(amount: string, currency: string): Money {
  if (!/^[A-Z]{3}$/.test(currency)) throw new CliError(`"${currency}" is not an ISO 4217 currency code such as XOF`);
  try {
    return fromDecimalString(amount, currency);
  } catch (error) {
    if (error instanceof MoneyFormatError)
      throw new CliError(`"${amount}" is not an amount in ${currency}: ${error.message}`);
    throw error;
  }
}

function parseConfig(entries: string[]): Record<string, string> {
  return Object.fromEntries(
    entries.map((entry) => {
      const at = entry.indexOf('=');
      if (at <= 0) throw new CliError(`--config takes key=value, not "${entry}"`);
      return [entry.slice(0, at), entry.slice(at + 1)];
    }),
  );
}

function requireName(name: string | undefined): string {
  if (name === undefined) throw new CliError('a new payment method needs --name');
  return name.trim();
}
