import type { Command } from 'commander';
import { createRuntime, PaystateError, redactUrl, startServer, type RunningServer } from '@paystate/server';
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
      let server: RunningServer;
      try {
        server = await startServer(runtime, settings.PORT, options.host, { poller: options.poller });
      } catch (error) {
        await runtime.close();
        throw namingTheSetting(error, options.port ? '--port' : 'PORT');
      }
      logger.info(
        { url: server.url, poller: options.poller, database: redactUrl(settings.DATABASE_URL) },
        'paystate serving',
      );
      await untilSignal();
      logger.info('shutting down: finishing the running poll cycle and dispatch pass');
      await server.close();
    });
}

/** A port in use, told with the option or setting that chose it (`port 8080 (PORT) is already in use ...`). */
export function namingTheSetting(error: unknown, setting: string): unknown {
  if (!(error instanceof PaystateError) || error.code !== 'port_in_use') return error;
  return new PaystateError(error.kind, error.code, error.message.replace(/^port (\d+)/, `port $1 (${setting})`));
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
