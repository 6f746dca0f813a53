import type { Logger } from 'pino';
import { nextPaymentCheckAt, paymentLifetimeOver, type Clock, type Notifier } from '@paystate/core';
import { PaystateError } from '../errors.js';
import type { ProviderDirectory } from '../merchants/provider-directory.js';
import type { PosService } from './service.js';
import type { PaymentRecord } from './store.js';

/**
 * The poller's POS step (issue 11 path 7): provider payments still open are checked on the
 * orders' schedule rules, through PosService.check, the path webhooks and cashiers use.
 *
 * Invariants:
 * - A check that gets no answer never fails a payment: it is asked again on backoff tiers, and
 *   after PAYMENT_ATTEMPTS_LIMIT unanswered checks in a row one `stuck` alert is raised.
 * - Past its lifetime, a payment whose provider still answers "no money" (asked once more, at
 *   its expiry at the latest) gets EXPIRE; without an answer it keeps being asked.
 * - Settled payments leave the schedule (the store clears next_check_at on every other status).
 * - A refund left unsettled (its sender crashed or lost the answer) is resumed by the same check:
 *   read back, never sent again; one never claimed is sent once (docs/architecture.md section 9).
 */

export interface PosPollReport {
  due: number;
  answered: number;
  unanswered: number;
  expired: number;
  stuckAlerts: number;
  /** Payments whose unsettled refunds were resumed. */
  refundsResumed: number;
}

export interface PosPollOptions {
  pos: PosService;
  providers: ProviderDirectory;
  clock: Clock;
  logger: Logger;
  notifier?: Notifier;
  limit: number;
  leaseMs: number;
  /** How long a refund's own sender has before the poller resumes it (its answer may still come). */
  refundResumeAfterMs?: number;
  /** Jitter for the backoff tiers; Math.random by default (the core takes it as an input). */
  random?: () => number;
}

/** Provider outcomes PosService.check reports as errors: no answer, so no evidence. */
const UNANSWERED = new Set(['provider_timeout', 'provider_error', 'provider_unavailable']);

export class PosPollStep {
  constructor(private readonly options: PosPollOptions) {}

  async run(): Promise<PosPollReport> {
    const { pos, providers, clock, limit } = this.options;
    const report: PosPollReport = { due: 0, answered: 0, unanswered: 0, expired: 0, stuckAlerts: 0, refundsResumed: 0 };
    const now = clock.now();
    const pollable = await providers.pollableCodes();
    const due = await pos.store.claimDuePayments(
      now.toISOString(),
      new Date(now.getTime() + this.options.leaseMs).toISOString(),
      pollable,
      limit,
    );
    report.due = due.length;
    for (const payment of due) {
      try {
        await this.poll(payment, report);
      } catch (error) {
        this.options.logger.error(
          { err: error, paymentId: payment.paymentId },
          'POS payment check failed unexpectedly',
        );
      }
    }
    const before = new Date(now.getTime() - (this.options.refundResumeAfterMs ?? 30_000)).toISOString();
    for (const { merchantId, paymentId } of await pos.store.paymentsWithUnsettledRefunds(before, limit)) {
      try {
        await pos.check(merchantId, paymentId);
        report.refundsResumed += 1;
      } catch (error) {
        // An unanswered read-back leaves the refund unknown: the next cycle asks again.
        this.options.logger.warn({ err: error, paymentId }, 'POS refund resume got no answer');
      }
    }
    return report;
  }

  private async poll(payment: PaymentRecord, report: PosPollReport): Promise<void> {
    const { pos, clock } = this.options;
    let answered = false;
    let current = payment;
    try {
      const result = await pos.check(payment.merchantId, payment.paymentId);
      current = result.payment;
      answered = result.observed !== null || current.status !== payment.status;
      const now = clock.now();
      if (
        result.observed === 'pending' &&
        paymentLifetimeOver({ expiresAt: payment.expiresAt ?? now.toISOString() }, now)
      ) {
        const expired = await pos.store.applyPaymentEvents(payment.merchantId, payment.paymentId, [{ type: 'EXPIRE' }]);
        if (expired?.changed) report.expired += 1;
        return;
      }
    } catch (error) {
      if (!(error instanceof PaystateError) || !UNANSWERED.has(error.code)) throw error;
      this.options.logger.warn(
        { paymentId: payment.paymentId, reason: error.message },
        'POS payment check got no answer',
      );
    }
    if (answered) report.answered += 1;
    else report.unanswered += 1;
    if (current.status !== 'pending' && current.status !== 'processing') return;
    await this.schedule(current, answered, report);
  }

  private async schedule(payment: PaymentRecord, answered: boolean, report: PosPollReport): Promise<void> {
    const { pos, clock } = this.options;
    const now = clock.now();
    const failedChecks = answered ? 0 : payment.failedChecks + 1;
    const state = { createdAt: payment.createdAt, expiresAt: payment.expiresAt ?? now.toISOString(), failedChecks };
    const nextCheckAt = nextPaymentCheckAt(state, now, pos.lifecycle, (this.options.random ?? Math.random)());
    await pos.store.schedulePaymentCheck(payment.merchantId, payment.paymentId, { nextCheckAt, failedChecks });
    // Exactly once per unanswered streak: the check that reaches the limit raises it.
    if (failedChecks === pos.lifecycle.PAYMENT_ATTEMPTS_LIMIT) {
      report.stuckAlerts += 1;
      await this.options.notifier
        ?.alert('stuck', { merchantId: payment.merchantId, paymentId: payment.paymentId, failedChecks })
        .catch((error: unknown) => this.options.logger.error({ err: error }, 'could not raise a stuck alert'));
    }
  }
}
