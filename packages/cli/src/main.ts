import { Command } from 'commander';
import { configCommand } from './commands/config.js';
import { demoCommand } from './commands/demo.js';
import { devicesCommand } from './commands/devices.js';
import { diagramCommand } from './commands/diagram.js';
import { migrateCommand } from './commands/migrate.js';
import { ordersCommand } from './commands/orders.js';
import { pollCommand } from './commands/poll.js';
import { posCommand } from './commands/pos.js';
import { serveCommand } from './commands/serve.js';
import { failureOf } from './failure.js';

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
  const failure = failureOf(error);
  // Commander has printed its own message (usage errors, --help).
  if (failure.message !== undefined) process.stderr.write(`paystate: ${failure.message}\n`);
  process.exit(failure.exitCode);
}
