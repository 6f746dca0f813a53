import type { Logger } from 'pino';
import { settleUnknownRefunds, type Clock, type Notifier, type PaymentProvider } from '@paystate/core';
import { OutboundHttpError } from '../outbound/client.js';
import { PayerDetailsRequiredError, RefundNotSupportedError } from '../providers/errors.js';
import {
  PosRefusal,
  type PaymentRecord,
  type PosPaymentStore,
  type PosRefundStore,
  type RefundOutcome,
  type RefundRecord,
} from './store.js';

/**
 * POS refunds as money movements (docs/architecture.md section 9).
 *
 * Invariants:
 * - A refund row is written (and counted) before any provider call, and is sent only by the one
 *   caller whose compare-and-set `requested -> sending` succeeded: a callback, a cashier's
 *   check, a retried request or a resume never sends it a second time.
 * - A refund whose outcome is unknown (`sending`) is settled by reading the provider back
 *   (refundGuarantees.readBack); failing that, by re-sending with the same provider key where
 *   the provider absorbs repeats (refundGuarantees.idempotencyKey); failing both, it goes to
 *   review with an alert. An unanswered read-back changes nothing.
 * - "Did not happen" is only concluded after the grace period since it was sent: a refund still
 *   in flight at the provider is not on its books yet.
 */

/** The provider's idempotency key of one refund: a retried refund can never be a second one. */
export const posRefundKey = (refundId: string) => `pos-refund:${refundId}`;

export type RefundCallOutcome = 'started' | 'unknown';

/** What a provider's refusal means: only an answer that says "no" is final. */
export type RefundFailure = 'final' | 'not_supported' | 'unknown';

export function refundFailureOf(error: unknown): RefundFailure {
  if (error instanceof RefundNotSupportedError) return 'not_supported';
  if (error instanceof PayerDetailsRequiredError) return 'final';
  if (error instanceof OutboundHttpError && !error.isTransient) return 'final';
  return 'unknown';
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

export interface RefundMovementOptions {
  store: PosRefundStore & Pick<PosPaymentStore, 'getPayment'>;
  clock: Clock;
  logger: Logger;
  notifier?: Notifier;
  /** How long after sending an absent refund may still be in flight at the provider. */
  graceMs: number;
}

export class RefundMovements {
  constructor(private readonly options: RefundMovementOptions) {}

  /**
   * Sends a `requested` refund if this caller wins its claim; otherwise answers it as it stands.
   * A final refusal is thrown after the refund was settled `failed` (the caller maps it).
   */
  async send(
    provider: PaymentProvider,
    providerPaymentId: string,
    refund: RefundRecord,
  ): Promise<{ payment: PaymentRecord; refund: RefundRecord; outcome: RefundCallOutcome }> {
    const claimed = await this.options.store.claimRefund(refund.merchantId, refund.refundId);
    if (!claimed) return this.current(refund);
    try {
      await provider.refund(providerPaymentId, claimed.amount, posRefundKey(claimed.refundId));
    } catch (error) {
      const failure = refundFailureOf(error);
      if (failure === 'unknown') {
        this.options.logger.warn(
          { err: error, refundId: claimed.refundId },
          'POS refund: provider outcome unknown; settled by reading it back',
        );
        await this.options.store.noteRefundError(claimed.refundId, messageOf(error));
        return this.current(claimed);
      }
      await this.finish(claimed, { status: 'failed', error: messageOf(error) });
      throw error;
    }
    return { ...(await this.finish(claimed, { status: 'succeeded' })), outcome: 'started' };
  }

  /** Settles the payment's `sending` refunds (oldest first) without ever sending one again blind. */
  async settle(provider: PaymentProvider, payment: PaymentRecord, refunds: readonly RefundRecord[]): Promise<void> {
    const unknown = refunds.filter((refund) => refund.status === 'sending');
    if (unknown.length === 0 || payment.providerPaymentId === null) return;
    const guarantees = provider.refundGuarantees;
    if (guarantees.readBack) {
      let report;
      try {
        report = await provider.getPaymentStatus(payment.providerPaymentId);
      } catch (error) {
        // No answer is no evidence: the refunds stay unknown until a later read.
        this.options.logger.warn({ err: error, paymentId: payment.paymentId }, 'POS refund read-back got no answer');
        return;
      }
      if (!report.refunded || report.refunded.currency !== payment.amount.currency) {
        // A provider that reads refunds back did not say this time: still no evidence either way.
        this.options.logger.warn({ paymentId: payment.paymentId }, 'POS refund read-back reported no refunded amount');
        return;
      }
      await this.applyReadBack(payment, refunds, unknown, report.refunded.amountMinor);
      return;
    }
    for (const refund of unknown) {
      if (guarantees.idempotencyKey) await this.resend(provider, payment.providerPaymentId, refund);
      else await this.review(refund, 'the provider takes no idempotency key and cannot be asked what it refunded');
    }
  }

  private async applyReadBack(
    payment: PaymentRecord,
    refunds: readonly RefundRecord[],
    unknown: readonly RefundRecord[],
    providerRefundedMinor: number,
  ) {
    const recordedMinor = refunds
      .filter((refund) => refund.status === 'succeeded')
      .reduce((sum, refund) => sum + refund.amount.amountMinor, 0);
    const { verdicts, unaccountedMinor } = settleUnknownRefunds({
      providerRefundedMinor,
      recordedMinor,
      unknown: unknown.map((refund) => ({
        refundId: refund.refundId,
        amountMinor: refund.amount.amountMinor,
        sentAt: refund.sentAt ?? refund.updatedAt,
      })),
      now: this.options.clock.now(),
      graceMs: this.options.graceMs,
    });
    if (unaccountedMinor > 0) {
      this.options.logger.error(
        { paymentId: payment.paymentId, providerRefundedMinor, recordedMinor },
        'POS payment: the provider refunded more than paystate recorded',
      );
    }
    for (const { refundId, verdict } of verdicts) {
      const refund = unknown.find((each) => each.refundId === refundId)!;
      if (verdict === 'succeeded') await this.finish(refund, { status: 'succeeded' });
      if (verdict === 'failed')
        await this.finish(refund, {
          status: 'failed',
          error: 'the provider shows no such refund (read back after the grace period)',
        });
      if (verdict === 'review')
        await this.review(
          refund,
          `the provider's refunded total (${providerRefundedMinor}) does not match the refunds recorded`,
        );
    }
  }

  /** Only for providers that absorb a repeat with the same key: the same request, never a second refund. */
  private async resend(provider: PaymentProvider, providerPaymentId: string, refund: RefundRecord) {
    try {
      await provider.refund(providerPaymentId, refund.amount, posRefundKey(refund.refundId));
    } catch (error) {
      if (refundFailureOf(error) === 'unknown') return;
      await this.finish(refund, { status: 'failed', error: messageOf(error) });
      return;
    }
    await this.finish(refund, { status: 'succeeded' });
  }

  private async review(refund: RefundRecord, reason: string) {
    await this.finish(refund, { status: 'review', error: reason });
    this.options.logger.error(
      { refundId: refund.refundId, paymentId: refund.paymentId, reason },
      'POS refund needs review',
    );
    await this.options.notifier
      ?.alert('refund_review', {
        merchantId: refund.merchantId,
        paymentId: refund.paymentId,
        refundId: refund.refundId,
        reason,
      })
      .catch((error: unknown) => this.options.logger.error({ err: error }, 'could not raise a refund review alert'));
  }

  /** Settles a refund in flight; one settled meanwhile (a concurrent check) is returned as it stands. */
  async finish(
    refund: RefundRecord,
    outcome: RefundOutcome,
  ): Promise<{ payment: PaymentRecord; refund: RefundRecord }> {
    try {
      return await this.options.store.finishRefund(refund.merchantId, refund.refundId, outcome);
    } catch (error) {
      if (!(error instanceof PosRefusal) || error.code !== 'refund_not_requested') throw error;
      const { outcome: _ignored, ...current } = await this.current(refund);
      return current;
    }
  }

  /** The refund as it stands now: settled, or still unknown. */
  async current(
    refund: RefundRecord,
  ): Promise<{ payment: PaymentRecord; refund: RefundRecord; outcome: RefundCallOutcome }> {
    const payment = await this.options.store.getPayment(refund.merchantId, refund.paymentId);
    const refunds = await this.options.store.listRefunds(refund.merchantId, refund.paymentId);
    const now = refunds.find((each) => each.refundId === refund.refundId) ?? refund;
    return {
      payment: payment!,
      refund: now,
      outcome: now.status === 'succeeded' || now.status === 'failed' ? 'started' : 'unknown',
    };
  }
}
