import type { Context } from 'hono';
import { getConnInfo } from '@hono/node-server/conninfo';
import { pino, type Logger } from 'pino';
import { systemClock, type Clock, type DeviceGateway, type Notifier, type PaymentProvider } from '@paystate/core';
import { isPostgresUrl, migratePg, openPg } from '../db/connection.pg.js';
import { migrateSqlite, openSqlite } from '../db/connection.sqlite.js';
import { TmetrGateway } from '../devices/tmetr.js';
import { EffectDispatcher } from '../orders/dispatcher.js';
import { createApp } from './http-app.js';
import { bearerAuth } from '../http/auth.js';
import { Metrics } from './metrics.js';
import { LogNotifier } from '../notifications/log-notifier.js';
import { OrderService } from '../orders/service.js';
import { PosService } from '../pos/service.js';
import { Poller } from '../orders/poller.js';
import { PosPollStep } from '../pos/poller.js';
import { configuredProviders } from '../providers/registry.js';
import { lifecycleConfigOf, publicUrlOf, SettingsError, type Settings } from './settings.js';
import { PgPosStore } from '../pos/store.pg.js';
import { PgStore } from '../orders/store.pg.js';
import type { PosStore } from '../pos/store.js';
import { SqlitePosStore } from '../pos/store.sqlite.js';
import { SqliteStore } from '../orders/store.sqlite.js';
import type { Store } from '../orders/store.js';
import { EmailNotifier } from '../notifications/email-notifier.js';
import { TicketIssuer } from '../tickets/issuer.js';
import { Mailer } from '../notifications/mailer.js';
import { PgTicketStore } from '../tickets/store.pg.js';
import { SqliteTicketStore } from '../tickets/store.sqlite.js';
import type { TicketStore } from '../tickets/store.js';
import { WebhookService } from '../webhooks/service.js';

export interface RuntimeOptions {
  settings: Settings;
  clock?: Clock;
  logger?: Logger;
  providers?: ReadonlyMap<string, PaymentProvider>;
  device?: DeviceGateway;
  notifier?: Notifier;
}

export type Runtime = ReturnType<typeof createRuntime>;

export type DatabaseKind = 'sqlite' | 'postgres';

/** `file:` is the embedded SQLite default; `postgres://` or `postgresql://` is PostgreSQL for several instances. */
export function databaseKindOf(databaseUrl: string): DatabaseKind {
  if (databaseUrl.startsWith('file:')) return 'sqlite';
  if (isPostgresUrl(databaseUrl)) return 'postgres';
  throw new SettingsError(
    `DATABASE_URL: expected file:<path> (SQLite) or postgres://user@host:port/database (PostgreSQL), got ${redactUrl(databaseUrl)}`,
  );
}

/**
 * Opens the configured database and brings its schema up to date: SQLite at once, PostgreSQL
 * in the background under an advisory lock (every store call waits for it; `store.ready()`
 * reports a failure early).
 */
export function openStore(settings: Settings, clock: Clock, logger?: Logger): Store {
  return openDatabase(settings, clock, logger).store;
}

/** The order store and, on the same connection, the ticket store and the POS store (closing the order store closes them). */
export function openDatabase(
  settings: Settings,
  clock: Clock,
  logger?: Logger,
): { store: Store; tickets: TicketStore; pos: PosStore } {
  const deps = { clock, config: lifecycleConfigOf(settings) };
  if (databaseKindOf(settings.DATABASE_URL) === 'postgres') {
    const handle = openPg(settings.DATABASE_URL, {
      onError: (error) => logger?.warn({ err: error }, 'PostgreSQL connection lost; the pool reconnects'),
    });
    const store = new PgStore(handle, deps, { prepare: () => migratePg(handle.pool), close: handle.close });
    return {
      store,
      tickets: new PgTicketStore(handle.db, () => store.ready()),
      pos: new PgPosStore(handle.db, clock, { prepare: () => store.ready() }),
    };
  }
  const { db, close } = openSqlite(settings.DATABASE_URL);
  migrateSqlite(db);
  return {
    store: new SqliteStore(db, deps, close),
    tickets: new SqliteTicketStore(db),
    pos: new SqlitePosStore(db, clock),
  };
}

/** Applies pending migrations to the configured database (what `paystate migrate` runs). */
export async function migrateDatabase(databaseUrl: string): Promise<DatabaseKind> {
  const kind = databaseKindOf(databaseUrl);
  if (kind === 'postgres') {
    const { pool, close } = openPg(databaseUrl);
    try {
      await migratePg(pool);
    } finally {
      await close();
    }
    return kind;
  }
  const { db, close } = openSqlite(databaseUrl);
  try {
    migrateSqlite(db);
  } finally {
    close();
  }
  return kind;
}

/** A URL fit for a message or a log line: the password masked. */
export function redactUrl(databaseUrl: string): string {
  return databaseUrl.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@]*:)[^@/]*@/i, '$1****@');
}

/** Wires settings to adapters: one place decides which provider, device and database are real. */
export function createRuntime(options: RuntimeOptions) {
  const { settings } = options;
  const clock = options.clock ?? systemClock;
  const logger =
    options.logger ?? pino({ level: settings.LOG_LEVEL, redact: ['*.secretKey', '*.token', '*.authorization'] });
  const timeoutMs = settings.PAYMENT_API_TIMEOUT_S * 1000;
  const publicUrl = publicUrlOf(settings);
  const providers = options.providers ?? paymentProvidersFromSettings(settings, logger, clock);
  const tmetr =
    options.device ?? (settings.FULFILMENT === 'tmetr' ? deviceFromSettings(settings, timeoutMs, logger) : null);
  const mailer = mailerFromSettings(settings, logger);
  const { store, tickets, pos: posStore } = openDatabase(settings, clock, logger);
  const device =
    tmetr ??
    (settings.FULFILMENT === 'tickets' ? new TicketIssuer(store, tickets, mailer!, clock, publicUrl) : noFulfilment);
  const notifier =
    options.notifier ??
    (mailer ? new EmailNotifier(new LogNotifier(logger), mailer, publicUrl) : new LogNotifier(logger));
  const dispatcher = new EffectDispatcher({
    store,
    clock,
    device,
    providers,
    notifier,
    logger,
    makeAttemptsLimit: settings.MAKE_ATTEMPTS_LIMIT,
  });
  const deps = { clock, config: lifecycleConfigOf(settings) };
  const orders = new OrderService(store, providers, dispatcher, deps, publicUrl, logger);
  const pos = new PosService(posStore, providers, clock, publicUrl, logger, { notifier, lifecycle: deps.config });
  const webhooks = new WebhookService(store, orders, clock, logger, pos);
  const poller = new Poller({
    store,
    orders,
    providers,
    clock,
    logger,
    maxOrdersPerCycle: settings.MAX_ORDERS_PER_CYCLE,
    concurrency: settings.POLL_CONCURRENCY,
    stuckAfterS: settings.STUCK_AFTER_S,
    checkTimeoutMs: timeoutMs,
    posStep: new PosPollStep({
      pos,
      providers,
      clock,
      logger,
      notifier,
      limit: settings.MAX_ORDERS_PER_CYCLE,
      leaseMs: Math.max(30_000, timeoutMs * 4),
    }),
  });
  const metrics = new Metrics(store);
  const app = createApp(
    {
      settings,
      store,
      tickets,
      orders,
      pos,
      webhooks,
      metrics,
      adminAuth: bearerAuth(settings.ADMIN_TOKEN, 'admin API'),
      deviceAuth: bearerAuth(settings.DEVICE_TOKEN, 'device API'),
      remoteAddress: (c: Context) => {
        try {
          return getConnInfo(c).remote.address ?? '';
        } catch {
          return '';
        }
      },
    },
    logger,
  );
  return {
    settings,
    clock,
    logger,
    store,
    tickets,
    providers,
    dispatcher,
    orders,
    pos,
    webhooks,
    poller,
    metrics,
    app,
    /** Stops the poller after its running cycle, then lets the dispatcher finish, then closes the database. */
    async close() {
      await poller.stop();
      await dispatcher.stop();
      mailer?.close();
      await store.close();
    },
  };
}

/** Builds the configured provider and device adapters (no I/O); throws SettingsError on what is missing. */
export function adaptersFromSettings(settings: Settings, logger: Logger) {
  const providers = paymentProvidersFromSettings(settings, logger);
  if (settings.FULFILMENT === 'tmetr') deviceFromSettings(settings, settings.PAYMENT_API_TIMEOUT_S * 1000, logger);
  mailerFromSettings(settings, logger)?.close();
  return { providers, fulfilment: settings.FULFILMENT };
}

/** The configured payment providers alone (no I/O), for commands that call a provider but make nothing (`paystate pos refund`). */
export function paymentProvidersFromSettings(
  settings: Settings,
  logger: Logger,
  clock: Clock = systemClock,
): Map<string, PaymentProvider> {
  return configuredProviders(settings, {
    timeoutMs: settings.PAYMENT_API_TIMEOUT_S * 1000,
    logger,
    clock,
    publicUrl: publicUrlOf(settings),
  });
}

/** Tickets need e-mail; elsewhere SMTP_URL only adds the customer notices. */
function mailerFromSettings(settings: Settings, logger: Logger): Mailer | null {
  if (!settings.SMTP_URL) {
    if (settings.FULFILMENT === 'tickets')
      throw new SettingsError('FULFILMENT=tickets needs SMTP_URL to mail the tickets');
    return null;
  }
  return new Mailer(settings.SMTP_URL, settings.MAIL_FROM, logger);
}

function deviceFromSettings(settings: Settings, timeoutMs: number, logger: Logger): DeviceGateway {
  if (!settings.TMETR_API_URL || !settings.TMETR_TOKEN) {
    throw new SettingsError('TMETR_API_URL and TMETR_TOKEN are required to send make commands');
  }
  return new TmetrGateway({ apiUrl: settings.TMETR_API_URL, token: settings.TMETR_TOKEN, timeoutMs, logger });
}

/** FULFILMENT=none: nothing can be made, so a make command fails at once (make_failed, with an alert). */
const noFulfilment: DeviceGateway = {
  async sendMakeCommand() {
    throw new SettingsError('FULFILMENT=none: this server fulfils no orders');
  },
};
