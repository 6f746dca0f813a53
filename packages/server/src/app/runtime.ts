import type { Context } from 'hono';
import { getConnInfo } from '@hono/node-server/conninfo';
import { clientAddress, networkList } from '../networks.js';
import type { Logger } from 'pino';
import { createLogger, redactorFor } from '../secrets/logging.js';
import type { Redactor } from '../secrets/redaction.js';
import { systemClock, type Clock, type DeviceGateway, type Notifier, type PaymentProvider } from '@paystate/core';
import { EffectDispatcher } from '../orders/dispatcher.js';
import { createApp } from './http-app.js';
import { authenticate } from '../http/auth.js';
import { MerchantService } from '../merchants/service.js';
import { Metrics } from './metrics.js';
import { LogNotifier } from '../notifications/log-notifier.js';
import { OrderService } from '../orders/service.js';
import { PosService } from '../pos/service.js';
import { Poller } from '../orders/poller.js';
import { PosPollStep } from '../pos/poller.js';
import { lifecycleConfigOf, publicUrlOf, type Settings } from './settings.js';
import { EmailNotifier } from '../notifications/email-notifier.js';
import { TicketIssuer } from '../tickets/issuer.js';
import { WebhookService } from '../webhooks/service.js';
import { openDatabase } from '../db/open.js';
import {
  deviceFromSettings,
  mailerFromSettings,
  noFulfilment,
  paymentProvidersFromSettings,
  providerDirectoryFromSettings,
  sumupOAuthFromSettings,
} from './adapters.js';
import { SumUpConnect } from '../merchants/sumup-connect.js';
import { ConsoleSessions } from '../console/sessions.js';
import { Keyring } from '../merchants/sealing.js';
import { AlertService } from '../alerts/service.js';
import { RecordingNotifier } from '../alerts/notifier.js';
import { AlertDeliveryStep } from '../alerts/delivery.js';

export interface RuntimeOptions {
  settings: Settings;
  clock?: Clock;
  logger?: Logger;
  providers?: ReadonlyMap<string, PaymentProvider>;
  device?: DeviceGateway;
  notifier?: Notifier;
  /** Masks secrets in the logs; one from the settings by default (a CLI passes the one of its own logger). */
  redactor?: Redactor;
}

export type Runtime = ReturnType<typeof createRuntime>;

/** Wires settings to adapters: one place decides which provider, device and database are real. */
export function createRuntime(options: RuntimeOptions) {
  const { settings } = options;
  const clock = options.clock ?? systemClock;
  const redactor = options.redactor ?? redactorFor(settings);
  const logger = options.logger ?? createLogger(settings, redactor);
  const timeoutMs = settings.PAYMENT_API_TIMEOUT_S * 1000;
  const publicUrl = publicUrlOf(settings);
  const trustedProxies = settings.TRUSTED_PROXIES
    ? networkList(settings.TRUSTED_PROXIES.split(',').map((entry) => entry.trim()))
    : null;
  const environmentProviders = options.providers ?? paymentProvidersFromSettings(settings, logger, clock);
  const tmetr =
    options.device ?? (settings.FULFILMENT === 'tmetr' ? deviceFromSettings(settings, timeoutMs, logger) : null);
  const mailer = mailerFromSettings(settings, logger);
  const {
    store,
    tickets,
    pos: posStore,
    idempotency,
    merchants: merchantStore,
    alerts: alertStore,
    console: consoleStore,
  } = openDatabase(settings, clock, logger, { busyTimeoutMs: settings.SQLITE_BUSY_TIMEOUT_MS });
  const keyring = Keyring.fromSetting(settings.PAYSTATE_MASTER_KEY);
  const alerts = new AlertService({
    store: alertStore,
    orders: store,
    clock,
    keyring,
    windowMs: settings.ALERT_DIGEST_WINDOW_S * 1000,
    mailConfigured: mailer !== null,
  });
  // Every alert, whoever raises it, is recorded as a row (docs/alerts.md), then logged (and so on).
  const notifier = new RecordingNotifier(
    options.notifier ??
      (mailer
        ? new EmailNotifier(
            new LogNotifier(logger),
            mailer,
            publicUrl,
            settings.FULFILMENT === 'tickets' ? 'tickets' : 'drinks',
          )
        : new LogNotifier(logger)),
    alerts,
  );
  const alertDelivery = new AlertDeliveryStep({
    store: alertStore,
    clock,
    logger,
    mailer,
    keyring,
    attemptsLimit: settings.ALERT_DELIVERY_ATTEMPTS,
    retryBaseMs: settings.ALERT_RETRY_BASE_S * 1000,
    webhookTimeoutMs: settings.ALERT_WEBHOOK_TIMEOUT_S * 1000,
  });
  const providers = providerDirectoryFromSettings(settings, {
    merchants: merchantStore,
    methods: posStore,
    logger,
    clock,
    environment: environmentProviders,
    redactor,
    notifier,
  });
  const merchants = new MerchantService(merchantStore, store, clock, providers.accounts);
  const sumupOAuth = sumupOAuthFromSettings(settings, logger);
  const sumupConnect = sumupOAuth ? new SumUpConnect(sumupOAuth, providers.accounts, merchants, clock) : null;
  const device =
    tmetr ??
    (settings.FULFILMENT === 'tickets' ? new TicketIssuer(store, tickets, mailer!, clock, publicUrl) : noFulfilment);
  const dispatcher = new EffectDispatcher({
    store,
    clock,
    device,
    providers,
    notifier,
    logger,
    makeAttemptsLimit: settings.MAKE_ATTEMPTS_LIMIT,
    sideSteps: [alertDelivery],
  });
  const deps = { clock, config: lifecycleConfigOf(settings) };
  const orders = new OrderService(store, providers, dispatcher, deps, publicUrl, logger, merchants);
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
  const operatorConsole = {
    sessions: new ConsoleSessions(consoleStore, merchants, clock, settings.ADMIN_TOKEN),
    store: consoleStore,
  };
  const app = createApp(
    {
      settings,
      store,
      tickets,
      orders,
      pos,
      idempotency,
      webhooks,
      metrics,
      merchants,
      sumupConnect,
      console: operatorConsole,
      dispatcher,
      alerts,
      authenticate: authenticate({
        adminToken: settings.ADMIN_TOKEN,
        deviceToken: settings.DEVICE_TOKEN,
        keys: merchants,
      }),
      remoteAddress: (c: Context) => {
        let peer = '';
        try {
          peer = getConnInfo(c).remote.address ?? '';
        } catch {
          // No socket (a request handed to app.fetch directly): no address to believe.
        }
        return clientAddress(peer, c.req.header('x-forwarded-for'), trustedProxies);
      },
    },
    logger,
  );
  return {
    settings,
    clock,
    logger,
    redactor,
    store,
    tickets,
    idempotency,
    providers,
    merchants,
    console: operatorConsole,
    dispatcher,
    orders,
    pos,
    webhooks,
    poller,
    metrics,
    app,
    alerts,
    /** Sends the alert digests whose window closed; run on the dispatcher's timer. */
    alertDelivery,
    /** Stops the poller after its running cycle, then lets the dispatcher finish, then closes the database. */
    async close() {
      await poller.stop();
      await dispatcher.stop();
      mailer?.close();
      await store.close();
    },
  };
}
