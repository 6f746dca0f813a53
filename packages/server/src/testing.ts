/**
 * `@paystate/server/testing`: internals the tests, the benchmarks and the sandboxes' checks reach
 * for (schemas, row mapping, due-order queries, provider status tables and signing helpers). Not
 * part of the API an embedder builds on; they may change with any release.
 */
export { MIGRATION_LOCK_KEY } from './db/connection.pg.js';
export * as sqliteSchema from './db/schema.sqlite.js';
export * as pgSchema from './db/schema.pg.js';
export { orderColumnsOf, auditRowOf } from './orders/rows.js';
export { yookassaStatusMap, YOOKASSA_NOTIFICATION_NETWORKS } from './providers/yookassa.js';
export {
  waveStatusMap,
  waveStatusOf,
  signWave,
  WAVE_SIGNATURE_HEADER,
  WAVE_REPLAY_WINDOW_S,
  WAVE_FUTURE_SKEW_S,
} from './providers/wave.js';
export { mtnMomoStatusMap, mtnMomoStatusOf, momoReferenceId, uuidV5 } from './providers/mtn-momo.js';
export {
  orangeMoneyStatusMap,
  orangeMoneyStatusOf,
  encodePaymentRef,
  decodePaymentRef,
  ORANGE_MONEY_DEV_CURRENCY,
} from './providers/orange-money.js';
export {
  tbankStatusMap,
  tbankToken,
  tbankTokenMatches,
  TBANK_WEBHOOK_ACKNOWLEDGEMENT,
  TBANK_CURRENCY,
} from './providers/tbank.js';
export { sumupStatusMap, exactAmount } from './providers/sumup.js';
export { selectDueOrders, selectDueRechecks } from './orders/store.sqlite.js';
export { claimDueOrdersPg, claimDueRechecksPg, selectDueOrderIdsPg } from './orders/store.pg.js';
export { posPaymentKey, posRefundKey } from './pos/service.js';
export { hashRequest } from './idempotency/middleware.js';
export { answerSchema, documentedOperations, errorBodySchema, type DocumentedOperation } from './http/openapi.js';
export { openApiDocument, type OpenApiDocument } from './app/openapi.js';
