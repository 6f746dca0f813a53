import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Clock, DeviceGateway, Effect, Money, Notifier, OrderInput, PaymentProvider } from '@paystate/core';
import { failureReasonOf, isTransientFailure, RefundReadBackError } from '../outbound/failures.js';
import type { OrderStore, OutboxStore, StoredEffect } from './store.js';
import type { ProviderDirectory } from '../merchants/provider-directory.js';

export interface DispatcherOptions {
  /** The outbox it drains, and the orders its outcomes go back to as events. */
  store: OutboxStore & Pick<OrderStore, 'getOrder' | 'applyEvent'>;
  clock: Clock;
  device: DeviceGateway;
  providers: ProviderDirectory;
  notifier: Notifier;
  logger: Logger;
  /** Make commands give up sooner than other effects: a customer is standing at the machine. */
  makeAttemptsLimit: number;
  otherAttemptsLimit?: number;
  retryBaseMs?: number;
  leaseMs?: number;
  batchSize?: number;
  /**
   * Work run on the dispatcher's timer beside the outbox passes, never inside one (the alert
   * digests, alerts/delivery.ts): a slow receiver does not hold back a make command.
   */
  sideSteps?: ReadonlyArray<{ kick(): Promise<unknown>; settled(): Promise<void> }>;
}

type Outcome =
  | { ok: true; feedback?: OrderInput[] }
  | { ok: false; error: unknown; feedbackOnGiveUp?: (reason: string) => OrderInput }
  /** The effect no longer applies: it ends without being performed. */
  | { ok: 'cancelled'; reason: string };

/**
 * Performs outbox effects after their transition committed, at least once: a crash after the
 * call but before `completeEffect` resends it, which the device absorbs by de-duplicating on
 * the order id and providers by the idempotency key. The outcome goes back in as an event.
 */
export class EffectDispatcher {
  readonly workerId = `dispatcher-${randomUUID()}`;
  private running: Promise<number> | null = null;
  private again = false;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly options: DispatcherOptions) {}

  /** Runs a pass now, or right after the current one: coalesces bursts of commits. */
  kick(): Promise<number> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this.drain().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  start(intervalMs = 1000): void {
    this.timer ??= setInterval(() => {
      this.kickLogged(this);
      for (const step of this.options.sideSteps ?? []) this.kickLogged(step);
    }, intervalMs);
    this.kickLogged(this);
  }

  /** A timer's pass that fails (a database held busy by another process) is logged, and the next tick tries again. */
  private kickLogged(step: { kick(): Promise<unknown> }): void {
    step
      .kick()
      .catch((error: unknown) =>
        this.options.logger.warn({ err: error }, 'dispatch pass failed; retried on the next tick'),
      );
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
    await Promise.all((this.options.sideSteps ?? []).map((step) => step.settled()));
  }

  private async drain(): Promise<number> {
    let performed = 0;
    do {
      this.again = false;
      const batch = await this.claim();
      for (const effect of batch) await this.perform(effect);
      performed += batch.length;
      if (batch.length === (this.options.batchSize ?? 20)) this.again = true;
    } while (this.again);
    return performed;
  }

  private claim(): Promise<StoredEffect[]> {
    const now = this.options.clock.now();
    const leaseUntil = new Date(now.getTime() + (this.options.leaseMs ?? 30_000)).toISOString();
    return this.options.store.claimDueEffects(
      this.workerId,
      now.toISOString(),
      leaseUntil,
      this.options.batchSize ?? 20,
    );
  }

  private async perform(stored: StoredEffect): Promise<void> {
    const { store, clock, logger } = this.options;
    const outcome = await this.attempt(stored).catch((error: unknown): Outcome => ({ ok: false, error }));
    const now = clock.now().toISOString();
    if (outcome.ok === 'cancelled') {
      await store.cancelEffect(stored.id, outcome.reason, now);
      logger.info({ effect: stored.key, reason: outcome.reason }, 'effect cancelled');
      return;
    }
    if (outcome.ok) {
      // Feedback before completion: a crash between them resends (harmless), never loses the outcome.
      for (const input of outcome.feedback ?? []) await this.feedBack(stored.orderId, input);
      await store.completeEffect(stored.id, now);
      logger.info({ effect: stored.key, attempts: stored.attempts }, 'effect done');
      return;
    }
    const reason = failureReasonOf(outcome.error);
    const limit =
      stored.effect.type === 'MAKE_COMMAND' ? this.options.makeAttemptsLimit : (this.options.otherAttemptsLimit ?? 10);
    if (isTransientFailure(outcome.error) && stored.attempts < limit) {
      const delay = Math.min((this.options.retryBaseMs ?? 1000) * 2 ** (stored.attempts - 1), 300_000);
      await store.retryEffect(stored.id, reason, new Date(clock.now().getTime() + delay).toISOString(), now);
      logger.warn(
        { effect: stored.key, attempts: stored.attempts, reason, retryInMs: delay },
        'effect failed, will retry',
      );
      return;
    }
    if (outcome.feedbackOnGiveUp) await this.feedBack(stored.orderId, outcome.feedbackOnGiveUp(reason));
    await store.failEffect(stored.id, reason, now);
    logger.error({ effect: stored.key, attempts: stored.attempts, reason }, 'effect failed for good');
  }

  private async attempt(stored: StoredEffect): Promise<Outcome> {
    const effect = stored.effect;
    switch (effect.type) {
      case 'MAKE_COMMAND': {
        // docs/architecture.md rule 7: never again once the order left `paid` (the device reported, an operator
        // acted, the command was accepted). Read before every attempt, retries included.
        const record = await this.options.store.getOrder(effect.orderId);
        if (record?.status !== 'paid') return { ok: 'cancelled', reason: `order is ${record?.status ?? 'gone'}` };
        const { type: _type, ...command } = effect;
        let outcome;
        try {
          outcome = await this.options.device.sendMakeCommand(command);
        } catch (error) {
          return { ok: false, error, feedbackOnGiveUp: (reason) => ({ type: 'MAKE_REJECTED', reason }) };
        }
        const accepted: OrderInput = { type: 'MAKE_ACCEPTED' };
        return {
          ok: true,
          feedback: outcome === 'made' ? [accepted, { type: 'DEVICE_REPORTED', result: 'made' }] : [accepted],
        };
      }
      case 'ALERT':
        await this.options.notifier.alert(effect.kind, { orderId: effect.orderId, ...effect.details });
        return { ok: true };
      case 'NOTIFY_CUSTOMER': {
        const record = await this.options.store.getOrder(effect.orderId);
        if (record) await this.options.notifier.notifyCustomer(effect.kind, record.order);
        return { ok: true };
      }
      case 'REFUND':
        return this.refund(effect, stored.key, stored.attempts);
    }
  }

  /**
   * The outbox key is the provider's idempotency key: where the provider absorbs a repeat with
   * it, a retry re-sends the same refund. Where it does not (SumUp), an earlier attempt may have
   * taken effect, so a retry reads the provider back and never sends again (docs/architecture.md section 9).
   */
  private async refund(
    effect: Extract<Effect, { type: 'REFUND' }>,
    idempotencyKey: string,
    attempts: number,
  ): Promise<Outcome> {
    const record = await this.options.store.getOrder(effect.orderId);
    const provider = record
      ? await this.options.providers.get(record.order.provider, record.providerAccountId)
      : undefined;
    const giveUp = (reason: string): OrderInput => ({ type: 'REFUND_FAILED', reason });
    if (!provider || effect.providerPaymentId === null) {
      return { ok: false, error: new Error('no provider payment to refund'), feedbackOnGiveUp: giveUp };
    }
    if (attempts > 1 && !provider.refundGuarantees.idempotencyKey) {
      const read = await readBackRefund(provider, effect.providerPaymentId, effect.amount);
      return read.ok ? read : { ...read, feedbackOnGiveUp: giveUp };
    }
    try {
      await provider.refund(effect.providerPaymentId, effect.amount, idempotencyKey);
    } catch (error) {
      return { ok: false, error, feedbackOnGiveUp: giveUp };
    }
    return { ok: true };
  }

  private async feedBack(orderId: string, input: OrderInput): Promise<void> {
    const decision = await this.options.store.applyEvent(orderId, input);
    if (decision && decision.effects.length > 0) this.again = true;
  }
}

/**
 * An order refund whose earlier attempt may have taken effect, settled by what the provider has
 * refunded: covered is done; nothing yet is asked again on the next retry (it may be in flight at
 * the provider; the retries running out end in REFUND_FAILED, a review with an alert); anything
 * else, or a provider that cannot be read back, goes to review at once.
 */
async function readBackRefund(
  provider: PaymentProvider,
  providerPaymentId: string,
  amount: Money,
): Promise<{ ok: true } | { ok: false; error: unknown }> {
  if (!provider.refundGuarantees.readBack) {
    return {
      ok: false,
      error: new RefundReadBackError(
        `${provider.code} takes no idempotency key and cannot be read back: an earlier attempt may have refunded`,
        false,
      ),
    };
  }
  let refunded;
  try {
    refunded = (await provider.getPaymentStatus(providerPaymentId)).refunded;
  } catch (error) {
    return { ok: false, error };
  }
  const minor = refunded?.currency === amount.currency ? refunded.amountMinor : 0;
  if (minor >= amount.amountMinor) return { ok: true };
  if (minor === 0)
    return {
      ok: false,
      error: new RefundReadBackError(`${provider.code} shows no refund on ${providerPaymentId} yet`, true),
    };
  return {
    ok: false,
    error: new RefundReadBackError(
      `${provider.code} shows ${minor} refunded on ${providerPaymentId}, not ${amount.amountMinor}`,
      false,
    ),
  };
}
