import type { Command } from 'commander';
import { createRuntime, snakeCaseKeys, type CycleReport } from '@paystate/server';
import { cliLogging, settingsFrom, type GlobalOptions } from '../context.js';
import { printJson } from '../output.js';
import { untilSignal } from './serve.js';

export function pollCommand(program: Command): void {
  program
    .command('poll')
    .option('--once', 'run a single cycle, print what it did and exit')
    .option('--json', 'print the cycle report as JSON (with --once)')
    .action(async (options: { once?: boolean; json?: boolean }) => {
      const settings = settingsFrom(program.opts<GlobalOptions>());
      const runtime = createRuntime({ settings, ...cliLogging(settings) });
      try {
        // A database that cannot be reached or opened fails here, as one line, before any cycle.
        await runtime.store.ready();
        if (options.once) {
          const report = await runtime.poller.runCycle();
          await runtime.dispatcher.kick();
          // snake_case like every JSON paystate prints (failed_checks, stuck_alerts, duration_ms, pos: {…}).
          if (options.json) printJson(snakeCaseKeys(report));
          else process.stdout.write(describeCycle(report));
          return;
        }
        runtime.dispatcher.start();
        runtime.poller.start(settings.PAYMENT_CHECK_INTERVAL_S);
        runtime.logger.info({ everySeconds: settings.PAYMENT_CHECK_INTERVAL_S }, 'poller running');
        await untilSignal();
      } finally {
        await runtime.close();
      }
    });
}

function describeCycle(report: CycleReport): string {
  const moved = Object.entries(report.moved).map(([status, n]) => `${n} -> ${status}`);
  return [
    `due orders:    ${report.due}`,
    `answered:      ${report.answered}`,
    `failed checks: ${report.failedChecks}`,
    `moved:         ${moved.length > 0 ? moved.join(', ') : 'none'}`,
    `expired:       ${report.expired}`,
    `stuck alerts:  ${report.stuckAlerts}`,
    `errors:        ${report.errors}`,
    `took:          ${report.durationMs} ms`,
    '',
  ].join('\n');
}
