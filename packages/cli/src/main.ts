import { createRequire } from 'node:module';
import { Command, CommanderError } from 'commander';

/** Read from the package itself, so src/ and dist/ (one level below it) report the same version. */
function cliVersion(): string {
  return (createRequire(import.meta.url)('../package.json') as { version: string }).version;
}

interface CommandEntry {
  name: string;
  summary: string;
  load: () => Promise<(program: Command) => void>;
}

/**
 * Each command's module (and with it the server, the database drivers and the providers) is
 * loaded only when that command runs: `paystate --help` and `--version` load none of them.
 */
const commands: CommandEntry[] = [
  {
    name: 'serve',
    summary: 'run the HTTP server, the effects dispatcher and the payment poller in one process',
    load: async () => (await import('./commands/serve.js')).serveCommand,
  },
  {
    name: 'poll',
    summary: 'check pending payments with the providers (and dispatch the effects that follow)',
    load: async () => (await import('./commands/poll.js')).pollCommand,
  },
  {
    name: 'migrate',
    summary: 'apply the database migrations (serve and demo also do this at start-up)',
    load: async () => (await import('./commands/migrate.js')).migrateCommand,
  },
  {
    name: 'backup',
    summary: 'copy the SQLite database into a new file while the server runs',
    load: async () => (await import('./commands/backup.js')).backupCommand,
  },
  {
    name: 'demo',
    summary: 'sell end to end on this machine: provider and device sandboxes on loopback, the real server, SQLite',
    load: async () => (await import('./commands/demo.js')).demoCommand,
  },
  {
    name: 'orders',
    summary: 'look at orders and their audit trail',
    load: async () => (await import('./commands/orders.js')).ordersCommand,
  },
  {
    name: 'devices',
    summary: 'coffee machines and the text their customers see',
    load: async () => (await import('./commands/devices.js')).devicesCommand,
  },
  {
    name: 'pos',
    summary: 'restaurant POS: payment methods, cash payments, refunds, the cash drawer',
    load: async () => (await import('./commands/pos.js')).posCommand,
  },
  {
    name: 'merchants',
    summary: 'merchants (tenants) and their own provider accounts',
    load: async () => (await import('./commands/merchants.js')).merchantsCommand,
  },
  {
    name: 'api-keys',
    summary: 'API keys with scopes: platform_admin, merchant_admin, cashier, read_only, device',
    load: async () => (await import('./commands/api-keys.js')).apiKeysCommand,
  },
  {
    name: 'keys',
    summary: 'rotate the master key that seals provider credentials',
    load: async () => (await import('./commands/keys.js')).keysCommand,
  },
  {
    name: 'console-users',
    summary: 'people who log in to the operator console with a user name and a password',
    load: async () => (await import('./commands/console-users.js')).consoleUsersCommand,
  },
  {
    name: 'diagram',
    summary: 'print the order lifecycle as a Mermaid state diagram, generated from the machine',
    load: async () => (await import('./commands/diagram.js')).diagramCommand,
  },
  {
    name: 'alerts',
    summary: 'alerts raised, and acknowledging them',
    load: async () => (await import('./commands/alerts.js')).alertsCommand,
  },
  {
    name: 'config',
    summary: 'inspect the configuration',
    load: async () => (await import('./commands/config.js')).configCommand,
  },
];

/** The command this run names: the first argument that is neither an option nor --database's value (`help <name>` names <name>). */
function invokedCommand(args: string[]): string | undefined {
  const words = args.filter((arg, i) => !arg.startsWith('-') && args[i - 1] !== '--database');
  return words[0] === 'help' ? words[1] : words[0];
}

const program = new Command('paystate')
  .description('paid orders from "customer pressed Pay" to "the machine made the drink"')
  .version(cliVersion(), '-V, --version', 'print the paystate version')
  .option('--database <url>', 'database URL (default: DATABASE_URL, file:./paystate.db)')
  .exitOverride()
  .showHelpAfterError();

const invoked = invokedCommand(process.argv.slice(2));
for (const entry of commands) {
  if (entry.name === invoked) (await entry.load())(program);
  else program.command(entry.name);
  program.commands.at(-1)?.description(entry.summary);
}

try {
  await program.parseAsync(process.argv);
} catch (error) {
  // Commander has printed its own message (usage errors, --help, --version).
  if (error instanceof CommanderError) process.exit(error.exitCode);
  const { failureOf } = await import('./failure.js');
  const failure = failureOf(error);
  process.stderr.write(`paystate: ${failure.message}\n`);
  process.exit(failure.exitCode);
}
