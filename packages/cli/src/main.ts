import { Command, CommanderError } from 'commander';
import { SettingsError } from '@paystate/server';
import { configCommand } from './commands/config.js';
import { demoCommand } from './commands/demo.js';
import { devicesCommand } from './commands/devices.js';
import { diagramCommand } from './commands/diagram.js';
import { migrateCommand } from './commands/migrate.js';
import { ordersCommand } from './commands/orders.js';
import { pollCommand } from './commands/poll.js';
import { posCommand } from './commands/pos.js';
import { serveCommand } from './commands/serve.js';
import { CliError } from './output.js';

const program = new Command('paystate')
  .description('paid orders from "customer pressed Pay" to "the machine made the drink"')
  .option('--database <url>', 'database URL (default: DATABASE_URL, file:./paystate.db)')
  .exitOverride()
  .showHelpAfterError();

for (const register of [
  serveCommand,
  pollCommand,
  migrateCommand,
  demoCommand,
  ordersCommand,
  devicesCommand,
  posCommand,
  diagramCommand,
  configCommand,
]) {
  register(program);
}

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) process.exit(error.exitCode);
  const expected = error instanceof CliError || error instanceof SettingsError;
  process.stderr.write(
    `paystate: ${expected || !(error instanceof Error) ? String(error instanceof Error ? error.message : error) : `${error.name}: ${error.message}`}\n`,
  );
  process.exit(1);
}
