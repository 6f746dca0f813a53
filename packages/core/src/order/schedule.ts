import { addSeconds } from '../clock.js';
import type { LifecycleConfig } from '../config.js';

/**
 * When the next status check of an order is due. Pure: time comes in as `now`, jitter is
 * derived from the order id and the attempt number (no Math.random in the core), so a replay
 * of the same history gives the same schedule.
 *
 * Invariants: a due time is never earlier than `now`; an unanswered check never shortens the
 * wait (backoff tiers only grow until the slowest tier); jitter only adds, at most 20%.
 */

/** Share of a wait added as jitter at most, so that orders hit by one outage do not retry in step. */
export const MAX_JITTER = 0.2;

/**
 * Seconds to wait after the `failedChecks`-th unanswered check in a row (rule 3): the track's
 * interval doubled per failure up to the slowest tier (SLOW_TRACK_INTERVAL_S), and the slowest
 * tier itself once PAYMENT_ATTEMPTS_LIMIT is reached.
 */
export function unansweredBackoffS(config: LifecycleConfig, trackIntervalS: number, failedChecks: number): number {
  const slowest = Math.max(trackIntervalS, config.SLOW_TRACK_INTERVAL_S);
  if (failedChecks >= config.PAYMENT_ATTEMPTS_LIMIT) return slowest;
  return Math.min(trackIntervalS * 2 ** Math.max(0, failedChecks - 1), slowest);
}

/** A fraction in [0, MAX_JITTER) from FNV-1a over `orderId:attempt`: spread, yet reproducible. */
export function jitterFraction(orderId: string, attempt: number): number {
  let hash = 0x811c9dc5;
  for (const char of `${orderId}:${attempt}`) {
    hash ^= char.charCodeAt(0);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return (hash / 0x1_0000_0000) * MAX_JITTER;
}

/**
 * Where the wait before the next check counts from. A check made on schedule counts from its
 * due time, not from when its answer came back: the poller claims an order only at a cycle, so
 * counting from the answer (due + check duration + interval) would skip a cycle and double the
 * spacing. A late check (the poller was down or busy), or an answer before the due time (a
 * webhook), counts from now, so the next check is never earlier than now.
 *
 * @example scheduleBase('…09:00:05Z', '…09:00:05.300Z', 5) // '…09:00:05Z': next at 09:00:10
 */
export function scheduleBase(due: string | null, now: string, waitS: number): string {
  if (due === null || Date.parse(due) > Date.parse(now)) return now;
  return Date.parse(addSeconds(due, waitS)) > Date.parse(now) ? due : now;
}

/** `waitS` plus its jitter, in whole milliseconds, counted from `from`. */
export function withJitter(from: string, waitS: number, orderId: string, attempt: number): string {
  const jitterMs = Math.floor(waitS * 1000 * jitterFraction(orderId, attempt));
  return addSeconds(from, waitS + jitterMs / 1000);
}

/** Waits between re-checks of an order that ended without money (rule 5); the last one repeats. */
export const LATE_MONEY_RECHECKS_S = [300, 3600, 21_600, 86_400] as const;

/**
 * The next late-money re-check after `done` re-checks, or null once LATE_MONEY_WINDOW_S since
 * the order ended (`since`) is over. The last re-check falls on the window's end at the latest.
 */
export function nextRecheckAt(
  config: LifecycleConfig,
  orderId: string,
  since: string,
  done: number,
  now: string,
): string | null {
  const end = addSeconds(since, config.LATE_MONEY_WINDOW_S);
  if (Date.parse(now) >= Date.parse(end)) return null;
  const waitS = LATE_MONEY_RECHECKS_S[Math.min(done, LATE_MONEY_RECHECKS_S.length - 1)]!;
  const next = withJitter(now, waitS, orderId, done);
  return Date.parse(next) < Date.parse(end) ? next : end;
}
