export * from './settings.js';
export * from './runtime.js';
export * from './serve.js';
export * from './store/types.js';
export { SqliteStore } from './store/sqlite-store.js';
export { openSqlite, migrateSqlite, type SqliteDb } from './db/sqlite.js';
export { PgStore } from './store/pg-store.js';
export { openPg, migratePg, isPostgresUrl, MIGRATION_LOCK_KEY, type PgDb, type PgHandle } from './db/pg.js';
export * as sqliteSchema from './db/schema.js';
export * as pgSchema from './db/pg-schema.js';
export { orderColumnsOf, auditRowOf } from './store/rows.js';
export { EffectDispatcher } from './dispatcher.js';
export { OrderService } from './order-service.js';
export { LogNotifier } from './notifier.js';
export { YooKassaProvider, yookassaStatusMap, YOOKASSA_NOTIFICATION_NETWORKS } from './providers/yookassa.js';
export {
  WaveProvider,
  waveStatusMap,
  waveStatusOf,
  signWave,
  WAVE_SIGNATURE_HEADER,
  WAVE_REPLAY_WINDOW_S,
  WAVE_FUTURE_SKEW_S,
} from './providers/wave.js';
export {
  MtnMomoProvider,
  mtnMomoStatusMap,
  mtnMomoStatusOf,
  momoReferenceId,
  uuidV5,
  MomoPayerRequiredError,
  type MtnMomoPaymentInput,
} from './providers/mtn-momo.js';
export {
  OrangeMoneyProvider,
  orangeMoneyStatusMap,
  orangeMoneyStatusOf,
  encodePaymentRef,
  decodePaymentRef,
  ORANGE_MONEY_DEV_CURRENCY,
} from './providers/orange-money.js';
export {
  TBankProvider,
  tbankStatusMap,
  tbankToken,
  tbankTokenMatches,
  TBankRefusedError,
  TBANK_WEBHOOK_ACKNOWLEDGEMENT,
  TBANK_CURRENCY,
} from './providers/tbank.js';
export { SumUpProvider, sumupStatusMap, exactAmount } from './providers/sumup.js';
export { TmetrGateway } from './devices/tmetr.js';
export * from './http/outbound.js';
export * from './providers/errors.js';
export { Poller, type CycleReport } from './poller.js';
export { sanitizeClientInfo } from './client-info.js';
export { idSchema } from './http/validate.js';
export { selectDueOrders, selectDueRechecks } from './store/sqlite-store.js';
export { claimDueOrdersPg, claimDueRechecksPg, selectDueOrderIdsPg } from './store/pg-store.js';
export { TicketIssuer } from './tickets/issuer.js';
export { Mailer } from './tickets/mailer.js';
export { EmailNotifier } from './tickets/email-notifier.js';
export type { Ticket, TicketStore } from './tickets/ticket-store.js';
export * from './store/pos-types.js';
export { SqlitePosStore } from './store/sqlite-pos-store.js';
export { PgPosStore } from './store/pg-pos-store.js';
export {
  PosService,
  posPaymentKey,
  posRefundKey,
  type NewPosPayment,
  type CallOutcome,
  type CheckResult,
  type PaymentResult,
  type RefundResult,
} from './pos-service.js';
export {
  methodView,
  paymentView,
  refundView,
  drawerView,
  movementView,
  type PaymentView,
  type DrawerView,
} from './http/pos-views.js';
export {
  idempotency,
  hashRequest,
  IDEMPOTENCY_KEY_HEADER,
  IDEMPOTENT_REPLAYED_HEADER,
  IDEMPOTENCY_TTL_S,
  IDEMPOTENCY_LOCK_S,
  DEFAULT_IDEMPOTENCY_SCOPE,
} from './http/idempotency.js';
export { AppError } from './http/errors.js';
