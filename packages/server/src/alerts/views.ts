import { snakeCaseKeys } from '../snake-case.js';
import type { AlertChannelRecord, AlertDeliveryRecord, AlertRecord } from './store.js';

/**
 * An alert as the API, the CLI and the webhook digests show it. `details` is what the raiser said,
 * stored as it was given; its keys are answered in snake_case like every other field.
 */
export function alertView(alert: AlertRecord) {
  return {
    id: alert.id,
    kind: alert.kind,
    merchant_id: alert.merchantId,
    order_id: alert.orderId,
    payment_id: alert.paymentId,
    details: snakeCaseKeys(alert.details) as Record<string, unknown>,
    created_at: alert.createdAt,
    acknowledged_at: alert.acknowledgedAt,
    acknowledged_by: alert.acknowledgedBy,
  };
}

/** A channel without its secret: only the id of the master key that sealed it. */
export function channelView(channel: AlertChannelRecord) {
  return {
    id: channel.id,
    merchant_id: channel.merchantId,
    kind: channel.kind,
    target: channel.target,
    master_key_id: channel.keyId,
    active: channel.active,
    created_at: channel.createdAt,
  };
}

export function deliveryView(delivery: AlertDeliveryRecord) {
  return {
    id: delivery.id,
    channel_id: delivery.channelId,
    window_start: delivery.windowStart,
    window_end: delivery.windowEnd,
    status: delivery.status,
    attempts: delivery.attempts,
    next_attempt_at: delivery.nextAttemptAt,
    last_error: delivery.lastError,
  };
}
