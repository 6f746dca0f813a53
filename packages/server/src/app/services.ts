import type { Context, MiddlewareHandler } from 'hono';
import type { Metrics } from './metrics.js';
import type { OrderService } from '../orders/service.js';
import type { PosService } from '../pos/service.js';
import type { Settings } from './settings.js';
import type { Store } from '../orders/store.js';
import type { TicketStore } from '../tickets/store.js';
import type { WebhookService } from '../webhooks/service.js';
import type { IdempotencyStore } from '../idempotency/store.js';
import type { MerchantService } from '../merchants/service.js';
import type { ConsoleSessions } from '../console/sessions.js';
import type { ConsoleStore } from '../console/store.js';
import type { SumUpConnect } from '../merchants/sumup-connect.js';
import type { AlertService } from '../alerts/service.js';

/** What the routes need, assembled once by the runtime. */
export interface Services {
  settings: Settings;
  store: Store;
  tickets: TicketStore;
  orders: OrderService;
  /** The restaurant POS (payment methods, payments, refunds, cash drawer). */
  pos: PosService;
  /** The Idempotency-Keys of the order API and the POS routes. */
  idempotency: IdempotencyStore;
  webhooks: WebhookService;
  metrics: Metrics;
  /** Merchants, their API keys and provider accounts. */
  merchants: MerchantService;
  /** Connecting merchants' own SumUp accounts by OAuth; null without SUMUP_OAUTH_CLIENT_ID. */
  sumupConnect: SumUpConnect | null;
  /** Alerts as data and each merchant's alert channels (docs/alerts.md). */
  alerts: AlertService;
  /** The operator console's sessions and read models. */
  console: { sessions: ConsoleSessions; store: ConsoleStore };
  /** Woken when an operator retries an effect from the console. */
  dispatcher: { kick(): Promise<unknown> };
  /** Reads the bearer token of the protected routes; each route then names the scope it needs. */
  authenticate: MiddlewareHandler;
  remoteAddress(c: Context): string;
}
