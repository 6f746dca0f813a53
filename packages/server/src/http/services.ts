import type { Context, MiddlewareHandler } from 'hono';
import type { Metrics } from '../metrics.js';
import type { OrderService } from '../order-service.js';
import type { PosService } from '../pos-service.js';
import type { Settings } from '../settings.js';
import type { Store } from '../store/types.js';
import type { TicketStore } from '../tickets/ticket-store.js';
import type { WebhookService } from '../webhook-service.js';

/** What the routes need, assembled once by the runtime. */
export interface Services {
  settings: Settings;
  store: Store;
  tickets: TicketStore;
  orders: OrderService;
  /** The restaurant POS (payment methods, payments, refunds, cash drawer) and its idempotency keys. */
  pos: PosService;
  webhooks: WebhookService;
  metrics: Metrics;
  adminAuth: MiddlewareHandler;
  deviceAuth: MiddlewareHandler;
  remoteAddress(c: Context): string;
}
