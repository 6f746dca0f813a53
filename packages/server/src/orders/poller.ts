import { randomUUID } from 'node:crypto';
import cron, { type ScheduledTask } from 'node-cron';
import type { Logger } from 'pino';
import type { Clock, OrderStatus } from '@paystate/core';
import { failureReasonOf } from '../outbound/failures.js';
import { OutboundTimeoutError } from '../outbound/client.js';
import type { OrderService } from './service.js';
import type { PosPollReport } from '../pos/poller.js';
import { checkIntervalCron } from '../app/settings.js';
import type { OrderRecord, OrderScheduleStore, OrderStore } from './store.js';
import type { ProviderDirectory } from '../merchants/provider-directory.js';

export interface PollerOptions {
  store: OrderScheduleStore & Pick<OrderStore, 'getOrder'>;
  orders: OrderService;
  providers: ProviderDirectory;
  clock: Clock;
  logger: Logger;
  maxOrdersPerCycle: number;
  concurrency: number;
  stuckAfterS: number;
  /** PAYMENT_API_TIMEOUT_S: a check that takes longer counts as a failed check. */
  checkTimeoutMs: number;
  /** The POS provider payments' step (pos/poller.ts), run after the orders in every cycle. */
  posStep?: { run(): Promise<PosPollReport> };
}

export interface CycleReport {
  startedAt: string;
  due: number;
  /** Late-money re-checks of orders that ended without money (rule 5). */
  rechecked: number;
  answered: number;
  failedChecks: number;
  /** Orders whose status changed in this cycle, by the status they moved to. */
  moved: Partial<Record<OrderStatus, number>>;
  expired: number;
  stuckAlerts: number;
  errors: number;
  durationMs: number;
  pos?: PosPollReport;
}

/**
 * The background payment check: expiry sweep (each pending order asked once more first), due
 * checks with bounded concurrency, stuck-order alerts. Every answer goes through OrderService,
 * the same decision path webhooks use.
 *
 * Invariants: a check without an answer is reported as CHECK_FAILED (UNKNOWN), never as a
 * failed payment; an order is expired only after the provider was asked once more; orders
 * that ended without money are re-checked (recheck_at) under the same lease as due checks.
 */
export class Poller {
  readonly workerId = `poller-${randomUUID()}`;
  private task: ScheduledTask | null = null;
  private current: Promise<CycleReport> | null = null;

  constructor(private readonly options: PollerOptions) {}

  /** Runs one cycle; a call while one runs gets that cycle's report rather than a second overlapping one. */
  runCycle(): Promise<CycleReport> {
    this.current ??= this.cycle().finally(() => {
      this.current = null;
    });
    return this.current;
  }

  start(intervalS: number): void {
    if (this.task) return;
    this.task = cron.schedule(checkIntervalCron(intervalS), () => this.scheduledCycle(), {
      noOverlap: true,
      name: 'payment-poller',
    });
    this.task.on('execution:overlap', () =>
      this.options.logger.warn({ intervalS }, 'poll cycle overran its interval; tick skipped'),
    );
  }

  /** Stops scheduling and waits for the running cycle to finish its transactions. */
  async stop(): Promise<void> {
    await this.task?.stop();
    await this.task?.destroy();
    this.task = null;
    await this.current?.catch(() => undefined);
  }

  private async scheduledCycle(): Promise<void> {
    try {
      await this.runCycle();
    } catch (error) {
      this.options.logger.error({ err: error }, 'poll cycle failed');
    }
  }

  private async cycle(): Promise<CycleReport> {
    const { store, providers, clock, logger, maxOrdersPerCycle } = this.options;
    const started = clock.now();
    const now = started.toISOString();
    const report: CycleReport = {
      startedAt: now,
      due: 0,
      rechecked: 0,
      answered: 0,
      failedChecks: 0,
      moved: {},
      expired: 0,
      stuckAlerts: 0,
      errors: 0,
      durationMs: 0,
    };
    const wallStart = performance.now();

    // OAuth-connected merchant accounts first: a renewed token serves every check of this cycle.
    const renewals = await this.safely(report, () => providers.accounts.renewDue());
    if (renewals && renewals.renewed + renewals.failed > 0) logger.info(renewals, 'poll cycle: account tokens renewed');

    const expiring = await store.expiredOrderIds(now, maxOrdersPerCycle);
    await forEachBounded(expiring, this.options.concurrency, (orderId) => this.expire(orderId, report));

    const pollable = await providers.pollableCodes();
    // Leases count from the claim, not the cycle start: the expiry sweep before it asks providers too.
    const leaseFromNow = () => new Date(clock.now().getTime() + this.leaseMs()).toISOString();
    const due = await store.claimDueOrders(this.workerId, now, leaseFromNow(), pollable, maxOrdersPerCycle);
    report.due = due.length;
    logger.info({ due: due.length }, 'poll cycle: due orders');
    await forEachBounded(due, this.options.concurrency, (record) => this.check(record, report));

    // Late-money re-checks (rule 5) take what the cycle has left, and always a tenth of it so
    // that a flood of pending orders cannot hold them off for the whole window.
    const recheckLimit = Math.max(maxOrdersPerCycle - due.length, Math.ceil(maxOrdersPerCycle / 10));
    const rechecks = await store.claimDueRechecks(this.workerId, now, leaseFromNow(), pollable, recheckLimit);
    report.rechecked = rechecks.length;
    await forEachBounded(rechecks, this.options.concurrency, (record) => this.check(record, report));

    const stuckSince = new Date(started.getTime() - this.options.stuckAfterS * 1000).toISOString();
    for (const orderId of await store.stuckOrderIds(stuckSince, maxOrdersPerCycle)) {
      const decision = await this.safely(report, () => this.options.orders.apply(orderId, { type: 'STUCK_DETECTED' }));
      if (decision?.changed) report.stuckAlerts += 1;
    }

    const pos = this.options.posStep ? await this.safely(report, () => this.options.posStep!.run()) : null;
    if (pos) report.pos = pos;

    report.durationMs = Math.round(performance.now() - wallStart);
    logger.info(report, 'poll cycle done');
    return report;
  }

  /** Long enough for a whole cycle of checks at the timeout; short enough that a dead poller's orders come back soon. */
  private leaseMs(): number {
    const rounds = Math.ceil(this.options.maxOrdersPerCycle / this.options.concurrency);
    return Math.max(30_000, rounds * (this.options.checkTimeoutMs + 1000));
  }

  /**
   * Rule 5: a pending order past its expiry is asked about once more, through the same
   * observation path as every check, and only then expired. A success seen here is late
   * (LATE_PAYMENT_POLICY, never a make command); no answer still expires the order, and the
   * late-money re-checks look again.
   */
  private async expire(orderId: string, report: CycleReport): Promise<void> {
    const record = await this.safely(report, () => this.options.store.getOrder(orderId));
    if (!record) return;
    const provider = await this.options.providers.get(record.order.provider, record.providerAccountId);
    const paymentId = record.order.providerPaymentId;
    let status = record.status;
    if (status === 'pending' && provider?.canQueryStatus && paymentId) {
      try {
        const observed = await withDeadline(
          provider.getPaymentStatus(paymentId),
          this.options.checkTimeoutMs,
          record.order.provider,
        );
        report.answered += 1;
        const decision = await this.safely(report, () => this.options.orders.observe(orderId, observed, 'poll'));
        if (decision) status = decision.status;
        if (decision && decision.status !== 'pending') countMove(report, decision.status);
      } catch (error) {
        report.failedChecks += 1;
        this.options.logger.warn(
          { orderId, reason: failureReasonOf(error) },
          'final check before expiry got no answer; expiring',
        );
      }
    }
    if (status !== 'pending' && status !== 'created') return;
    const decision = await this.safely(report, () => this.options.orders.apply(orderId, { type: 'EXPIRY_DUE' }));
    if (decision?.status === 'expired') report.expired += 1;
  }

  private async check(record: OrderRecord, report: CycleReport): Promise<void> {
    const { order } = record;
    const provider = await this.options.providers.get(order.provider, record.providerAccountId);
    if (!provider || !order.providerPaymentId) return;
    const paymentId = order.providerPaymentId;
    let observed;
    try {
      observed = await withDeadline(provider.getPaymentStatus(paymentId), this.options.checkTimeoutMs, order.provider);
    } catch (error) {
      report.failedChecks += 1;
      const reason = failureReasonOf(error);
      this.options.logger.warn({ orderId: order.orderId, provider: order.provider, reason }, 'payment check failed');
      const decision = await this.safely(report, () =>
        this.options.orders.apply(order.orderId, { type: 'CHECK_FAILED', reason }),
      );
      if (decision && decision.status !== record.status) countMove(report, decision.status);
      return;
    }
    report.answered += 1;
    const decision = await this.safely(report, () => this.options.orders.observe(order.orderId, observed, 'poll'));
    if (decision && decision.status !== record.status) countMove(report, decision.status);
  }

  /** One order's trouble (a lost race, a bad row) is logged and counted; the cycle goes on. */
  private async safely<T>(report: CycleReport, work: () => Promise<T>): Promise<T | null> {
    try {
      return await work();
    } catch (error) {
      report.errors += 1;
      this.options.logger.error({ err: error }, 'poll step failed');
      return null;
    }
  }
}

function countMove(report: CycleReport, status: OrderStatus): void {
  report.moved[status] = (report.moved[status] ?? 0) + 1;
}

/** Runs `work` over items with at most `limit` in flight. */
async function forEachBounded<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** Adapters carry their own timeout; this guard holds even for one that does not. */
function withDeadline<T>(promise: Promise<T>, ms: number, service: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new OutboundTimeoutError(`${service} did not answer within ${ms} ms`)), ms + 50);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}
