import type { Command } from 'commander';
import { createRuntime, redactUrl, startServer } from '@paystate/server';
import { cliLogging, settingsFrom, type GlobalOptions } from '../context.js';

export function serveCommand(program: Command): void {
  program
    .command('serve')
    .option('--port <port>', 'listen port (default: PORT, 8787)')
    .option('--host <host>', 'listen address', '127.0.0.1')
    .option('--no-poller', 'do not poll payments here (run `paystate poll` as its own process)')
    .action(async (options: { port?: string; host: string; poller: boolean }) => {
      const settings = settingsFrom(program.opts<GlobalOptions>(), options.port ? { PORT: options.port } : {});
      const { logger, redactor } = cliLogging(settings);
      const runtime = createRuntime({ settings, logger, redactor });
      const server = await startServer(runtime, settings.PORT, options.host, { poller: options.poller });
      logger.info(
        { url: server.url, poller: options.poller, database: redactUrl(settings.DATABASE_URL) },
        'paystate serving',
      );
      await untilSignal();
      logger.info('shutting down: finishing the running poll cycle and dispatch pass');
      await server.close();
    });
}

/** Resolves on the first SIGTERM or SIGINT, so shutdown runs the same graceful path for both. */
export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
      resolve(signal);
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
}
