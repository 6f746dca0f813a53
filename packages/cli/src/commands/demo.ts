import type { Command } from 'commander';
import { createRuntime, loadSettings, redactUrl, startServer, type RunningServer } from '@paystate/server';
import { freePort, type LoopbackServer } from '@paystate/sandbox';
import { cliLogging, type GlobalOptions } from '../context.js';
import { coffeeScenario } from '../demo/coffee.js';
import { ADMIN_TOKEN, apiClient, DEVICE_TOKEN } from '../demo/http.js';
import type { Scenario } from '../demo/scenario.js';
import { posScenario } from '../demo/pos.js';
import { ticketsScenario } from '../demo/tickets.js';
import { CliError } from '../output.js';
import { namingTheSetting, untilSignal } from './serve.js';

const scenarios: Record<string, () => Scenario> = {
  coffee: coffeeScenario,
  tickets: ticketsScenario,
  pos: posScenario,
};

interface DemoOptions {
  scenario: string;
  port?: string;
  serve?: boolean;
  timeout: string;
}

export function demoCommand(program: Command): void {
  program
    .command('demo')
    .option('--scenario <name>', `which seed system: ${Object.keys(scenarios).join(', ')}`, 'coffee')
    .option('--port <port>', 'server port (default: a free one)')
    .option('--serve', 'keep serving after the order completes, so the status page stays open (Ctrl-C stops)')
    .option('--timeout <seconds>', 'give up if the order is not done by then', '30')
    .action((options: DemoOptions) => runDemo(program.opts<GlobalOptions>(), options));
}

async function runDemo(global: GlobalOptions, options: DemoOptions): Promise<void> {
  const make = scenarios[options.scenario];
  if (!make) throw new CliError(`unknown scenario "${options.scenario}" (choose ${Object.keys(scenarios).join(', ')})`);
  const scenario = make();
  const say = (line: string) => process.stdout.write(`${line}\n`);
  const sandboxes: LoopbackServer[] = [];
  let server: RunningServer | null = null;
  try {
    const started = await scenario.start();
    sandboxes.push(...started.servers);
    const port = options.port ?? String(await freePort());
    const settings = loadSettings({
      ...process.env,
      ...(global.database ? { DATABASE_URL: global.database } : {}),
      PORT: port,
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      PAYMENT_CHECK_INTERVAL_S: '1',
      ADMIN_TOKEN,
      DEVICE_TOKEN,
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
      ...started.env,
    });
    const runtime = createRuntime({ settings, ...cliLogging(settings) });
    try {
      server = await startServer(runtime, settings.PORT, '127.0.0.1', { poller: true });
    } catch (error) {
      await runtime.close();
      throw namingTheSetting(error, '--port');
    }
    scenario.connect(server.url);
    say(`paystate demo (${options.scenario}): server ${server.url}, database ${redactUrl(settings.DATABASE_URL)}`);
    say(`  ${started.describe}`);
    await scenario.run(apiClient(server.url), say, Number(options.timeout) * 1000, server.url);
    if (options.serve) {
      say('\nserving until Ctrl-C ...');
      await untilSignal();
    }
  } finally {
    await server?.close();
    await Promise.all(sandboxes.map((sandbox) => sandbox.close()));
  }
}
