import type { LifecycleConfig } from '../config.js';
import { MAX_JITTER, unansweredBackoffS } from '../order/schedule.js';

/**
 * When a POS provider payment is checked next: the orders' schedule rules (docs/architecture.md section 2,
 * rules 2, 3 and 5) for a payment that has no order around it.
 *
 * Invariants:
 * - Answered: FAST_TRACK_INTERVAL_S while within FAST_TRACK_LIMIT_S of its creation, then
 *   SLOW_TRACK_INTERVAL_S; never later than its expiry, so the last check is the "once more".
 * - Unanswered (failedChecks > 0): the orders' backoff tiers (`unansweredBackoffS` from the fast
 *   interval) with up to MAX_JITTER jitter; never a failure, and it keeps being asked after its
 *   expiry until the provider answers.
 */
export interface PaymentCheckState {
  createdAt: string;
  expiresAt: string;
  /** Unanswered checks in a row (0 after an answer). */
  failedChecks: number;
}

/**
 * Returns the ISO instant of the next check; a pure function (`jitter` in [0, 1) comes from the caller).
 * @example nextPaymentCheckAt({ createdAt, expiresAt, failedChecks: 0 }, now, config, 0) // now + FAST_TRACK_INTERVAL_S
 */
export function nextPaymentCheckAt(
  state: PaymentCheckState,
  now: Date,
  config: LifecycleConfig,
  jitter: number,
): string {
  const ageS = (now.getTime() - Date.parse(state.createdAt)) / 1000;
  let intervalS: number;
  if (state.failedChecks === 0) {
    intervalS = ageS <= config.FAST_TRACK_LIMIT_S ? config.FAST_TRACK_INTERVAL_S : config.SLOW_TRACK_INTERVAL_S;
  } else {
    const tier = unansweredBackoffS(config, config.FAST_TRACK_INTERVAL_S, state.failedChecks);
    intervalS = tier * (1 + MAX_JITTER * Math.min(Math.max(jitter, 0), 0.999));
  }
  const next = now.getTime() + Math.round(intervalS * 1000);
  const expiry = Date.parse(state.expiresAt);
  // An answered payment is asked at its expiry at the latest; an unanswered one past it keeps its tier.
  const at = state.failedChecks === 0 && now.getTime() < expiry ? Math.min(next, expiry) : next;
  return new Date(at).toISOString();
}

/** Past its lifetime: the next answer that still shows no money ends it (EXPIRE). */
export function paymentLifetimeOver(state: Pick<PaymentCheckState, 'expiresAt'>, now: Date): boolean {
  return now.getTime() >= Date.parse(state.expiresAt);
}
