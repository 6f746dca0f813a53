export * from './app/settings.js';
export * from './app/runtime.js';
export * from './app/adapters.js';
export * from './db/open.js';
export * from './app/serve.js';
export * from './orders/store.js';
export { SqliteStore } from './orders/store.sqlite.js';
export { openSqlite, migrateSqlite, type SqliteDb } from './db/connection.sqlite.js';
export { PgStore } from './orders/store.pg.js';
export { openPg, migratePg, isPostgresUrl, type PgDb, type PgHandle } from './db/connection.pg.js';
export { backupDatabase, type BackupReport } from './db/backup.js';
export { EffectDispatcher } from './orders/dispatcher.js';
export { OrderService } from './orders/service.js';
export { LogNotifier } from './notifications/log-notifier.js';
export { YooKassaProvider } from './providers/yookassa.js';
export { WaveProvider } from './providers/wave.js';
export { MtnMomoProvider, MomoPayerRequiredError, type MtnMomoPaymentInput } from './providers/mtn-momo.js';
export { OrangeMoneyProvider } from './providers/orange-money.js';
export { TBankProvider, TBankRefusedError } from './providers/tbank.js';
export { SumUpProvider } from './providers/sumup.js';
export { TmetrGateway } from './devices/tmetr.js';
export * from './outbound/client.js';
export * from './providers/errors.js';
export { Poller, type CycleReport } from './orders/poller.js';
export {
  orderFieldsView,
  orderListView,
  orderDetailView,
  auditEventView,
  ticketView,
  type OrderListView,
  type OrderDetailView,
} from './orders/views.js';
export { snakeCase, snakeCaseKeys } from './snake-case.js';
export { sanitizeClientInfo } from './devices/client-info.js';
export { deviceView, type DeviceView } from './devices/views.js';
export { idSchema } from './http/validate.js';
export { TicketIssuer } from './tickets/issuer.js';
export { Mailer } from './notifications/mailer.js';
export { EmailNotifier } from './notifications/email-notifier.js';
export * from './pos/store.js';
export * from './idempotency/store.js';
export { SqliteIdempotencyStore } from './idempotency/store.sqlite.js';
export { PgIdempotencyStore } from './idempotency/store.pg.js';
export { SqlitePosStore } from './pos/store.sqlite.js';
export { PgPosStore } from './pos/store.pg.js';
export {
  PosService,
  type NewPosPayment,
  type CallOutcome,
  type CheckResult,
  type PaymentResult,
  type RefundResult,
} from './pos/service.js';
export {
  methodView,
  paymentView,
  refundView,
  drawerView,
  movementView,
  type PaymentView,
  type DrawerView,
} from './pos/views.js';
export {
  idempotency,
  IDEMPOTENCY_KEY_HEADER,
  IDEMPOTENT_REPLAYED_HEADER,
  IDEMPOTENCY_TTL_S,
  IDEMPOTENCY_LOCK_S,
} from './idempotency/middleware.js';
export { PaystateError, errorKinds, type ErrorKind } from './errors.js';
export { MerchantService, type NewApiKey } from './merchants/service.js';
export { ProviderDirectory } from './merchants/provider-directory.js';
export { scopes, merchantScopes, type Scope, type Principal } from './merchants/scopes.js';
export type { MerchantRecord, ApiKeyRecord, ProviderAccountRecord } from './merchants/store.js';
export { apiKeyView, merchantView, providerAccountView } from './merchants/views.js';
export * from './app/tenants.js';
export * from './secrets/redaction.js';
export { createLogger, redactorFor } from './secrets/logging.js';
export { AlertService } from './alerts/service.js';
export { AlertDeliveryStep } from './alerts/delivery.js';
export { alertView, channelView, deliveryView } from './alerts/views.js';
export { signWebhook, verifyWebhook, webhookHeaders, newWebhookSecret } from './alerts/signature.js';
export type { AlertRecord, AlertChannelRecord, AlertDeliveryRecord, AlertFilter, AlertStore } from './alerts/store.js';
export { openAlerts } from './alerts/open.js';
