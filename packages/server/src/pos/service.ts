import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import {
  createPayment,
  defaultLifecycleConfig,
  type LifecycleConfig,
  offeredMethods,
  openDrawer,
  sameMoney,
  type Clock,
  type Money,
  type Notifier,
  type PaymentInput,
  type PaymentMethod,
  type PaymentProvider,
  type PaymentStatus,
  type PaymentStatusReport,
} from '@paystate/core';
import { notFound, PaystateError, type ErrorKind } from '../errors.js';
import type { ProviderDirectory } from '../merchants/provider-directory.js';
import { paymentStartLeaseUntil } from '../providers/payment-start-lease.js';
import { OutboundHttpError, OutboundNetworkError, OutboundTimeoutError } from '../outbound/client.js';
import { PayerDetailsRequiredError, RefundNotSupportedError } from '../providers/errors.js';
import { IDEMPOTENCY_TTL_S } from '../idempotency/middleware.js';
import { movementForRequest } from '../idempotency/movement-id.js';
import { RefundMovements, refundFailureOf } from './refunds.js';
import {
  CASH_METHOD,
  MAIN_TILL,
  noOpenDrawerMessage,
  PosRefusal,
  type DrawerRecord,
  type PaymentMethodPatch,
  type PaymentMethodRecord,
  type PaymentRecord,
  type PosRefusalCode,
  type PosStore,
  type RefundRecord,
} from './store.js';

const refusalKind: Record<PosRefusalCode, ErrorKind> = {
  method_exists: 'conflict',
  payment_not_found: 'not_found',
  refund_not_found: 'not_found',
  payment_not_cash: 'conflict',
  payment_not_confirmable: 'conflict',
  payment_not_refundable: 'conflict',
  refund_exceeds_refundable: 'rejected',
  refund_not_requested: 'conflict',
  idempotency_key_reused: 'rejected',
  drawer_not_open: 'conflict',
  drawer_already_open: 'conflict',
  drawer_refused: 'conflict',
};

/** A store refusal as the domain error its callers map (the HTTP app to a status, the CLI to a message). */
async function refusals<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    if (error instanceof PosRefusal) throw new PaystateError(refusalKind[error.code], error.code, error.message);
    throw error;
  }
}

export interface NewPosPayment {
  method: string;
  amount: Money;
  description: string;
  /** Mobile money (MTN MoMo) charges the wallet of this phone number. */
  payerMsisdn?: string;
}

/**
 * What became of a provider call: `started` (the provider has the payment or the refund),
 * `unknown` (a timeout or a transient failure: it may or may not have happened; `check` asks
 * again with the same idempotency key), or for cash `done`.
 */
export type CallOutcome = 'done' | 'started' | 'unknown';

export interface PaymentResult {
  payment: PaymentRecord;
  outcome: CallOutcome;
}

export interface RefundResult {
  payment: PaymentRecord;
  refund: RefundRecord;
  drawer: DrawerRecord | null;
  outcome: CallOutcome;
}

export interface CheckResult {
  payment: PaymentRecord;
  refunds: RefundRecord[];
  /** What the provider said, when it was asked; null for cash or when nothing needed asking. */
  observed: PaymentStatusReport['status'] | null;
  /** The provider reports a different amount or currency: nothing was changed, an operator must look. */
  amountMismatch: boolean;
}

/** The provider's idempotency key of a payment's creation: a re-send after a timeout is the same request. */
export const posPaymentKey = (paymentId: string) => `pos-pay:${paymentId}`;
export { posRefundKey } from './refunds.js';

/** How long a refund absent from the provider's books may still be in flight there (read-back grace). */
export const REFUND_READBACK_GRACE_MS = 60_000;

export interface PosServiceOptions {
  /** Raises refund reviews; logs only without one. */
  notifier?: Notifier;
  refundGraceMs?: number;
  /** The orders' schedule settings, which POS provider payments follow too (poller, lifetime). */
  lifecycle?: LifecycleConfig;
}

type ProviderFailure = 'final' | 'payer' | 'not_supported' | 'unknown';

/** Only an answer that says "no" is final; a timeout or a 5xx may have taken effect, so it is unknown. */
function failureOf(error: unknown): ProviderFailure {
  if (error instanceof RefundNotSupportedError) return 'not_supported';
  if (error instanceof PayerDetailsRequiredError) return 'payer';
  if (error instanceof OutboundHttpError && !error.isTransient) return 'final';
  return 'unknown';
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * The restaurant POS use cases shared by the HTTP API and the CLI: payment methods, payments
 * (cash confirmed by a cashier into the drawer, or through a provider behind the PaymentProvider
 * port), refunds, and cash drawer sessions. The rules are the core's; the store applies them in
 * transactions; provider calls happen between transactions, never inside one.
 */
export class PosService {
  private readonly refunds: RefundMovements;
  readonly lifecycle: LifecycleConfig;
  private readonly notifier: Notifier | undefined;

  constructor(
    readonly store: PosStore,
    private readonly providers: ProviderDirectory,
    readonly clock: Clock,
    private readonly publicUrl: string,
    private readonly logger: Logger,
    options: PosServiceOptions = {},
  ) {
    this.lifecycle = options.lifecycle ?? defaultLifecycleConfig;
    this.notifier = options.notifier;
    this.refunds = new RefundMovements({
      store,
      clock,
      logger,
      graceMs: options.refundGraceMs ?? REFUND_READBACK_GRACE_MS,
      ...(options.notifier ? { notifier: options.notifier } : {}),
    });
  }

  /** Cash needs no provider; any other method needs the merchant's account or the provider configured here. */
  available(method: Pick<PaymentMethodRecord, 'providerCode' | 'accountId'>): boolean {
    return (
      method.providerCode === CASH_METHOD ||
      method.accountId !== null ||
      this.providers.environment.has(method.providerCode)
    );
  }

  private async provider(code: string, accountId: string | null): Promise<PaymentProvider> {
    const provider = await this.providers.get(code, accountId);
    if (!provider)
      throw new PaystateError('invalid', 'unknown_provider', `no payment provider "${code}" is configured`);
    return provider;
  }

  // Payment methods

  async createMethod(method: PaymentMethod & { accountId?: string | null }): Promise<PaymentMethodRecord> {
    if (method.accountId) await this.requireAccount(method.merchantId, method.providerCode, method.accountId);
    return refusals(this.store.createMethod(method));
  }

  async updateMethod(
    merchantId: string,
    providerCode: string,
    patch: PaymentMethodPatch,
  ): Promise<PaymentMethodRecord> {
    if (patch.accountId) await this.requireAccount(merchantId, providerCode, patch.accountId);
    const updated = await this.store.updateMethod(merchantId, providerCode, patch);
    if (!updated) throw methodNotFound(merchantId, providerCode);
    return updated;
  }

  /** A method may point only at its own merchant's account of the same provider. */
  private async requireAccount(merchantId: string, providerCode: string, accountId: string): Promise<void> {
    const account = await this.providers.accounts.get(accountId);
    if (!account || account.merchantId !== merchantId) throw notFound('provider_account', accountId);
    if (account.providerCode !== providerCode)
      throw new PaystateError(
        'invalid',
        'account_provider_mismatch',
        `account ${accountId} is a ${account.providerCode} account, not ${providerCode}`,
      );
  }

  async deleteMethod(merchantId: string, providerCode: string): Promise<void> {
    if (!(await this.store.deleteMethod(merchantId, providerCode))) throw methodNotFound(merchantId, providerCode);
  }

  listMethods(merchantId: string): Promise<PaymentMethodRecord[]> {
    return this.store.listMethods(merchantId);
  }

  /** What a customer is offered: the core's choice (active, in the merchant's order) of the methods this server can take. */
  async offeredMethods(merchantId: string): Promise<PaymentMethodRecord[]> {
    const methods = await this.store.listMethods(merchantId);
    const byCode = new Map(methods.map((method) => [method.providerCode, method]));
    return offeredMethods(methods)
      .filter((method) => this.available(byCode.get(method.providerCode)!))
      .map((method) => byCode.get(method.providerCode)!);
  }

  // Payments

  /**
   * A new payment: written first, then (provider methods) sent with the key `pos-pay:<id>`. With
   * the request's Idempotency-Key the payment id derives from it, so a retry after a 5xx or a
   * crash continues the same payment attempt (re-sent with the same provider key only while its
   * creation is unknown) and is answered as it stands; the key on another sale: 422.
   */
  async createPayment(
    merchantId: string,
    request: NewPosPayment,
    requestKey: string | null = null,
  ): Promise<PaymentResult> {
    const method = await this.store.getMethod(merchantId, request.method);
    if (!method) throw methodNotFound(merchantId, request.method);
    if (!method.active)
      throw new PaystateError(
        'conflict',
        'method_inactive',
        `the ${request.method} payment method of merchant ${merchantId} is not active`,
      );
    const provider = request.method === CASH_METHOD ? null : await this.provider(request.method, method.accountId);
    let paymentId: string = randomUUID();
    if (requestKey !== null) {
      const movement = await movementForRequest(
        'pos-payment',
        merchantId,
        requestKey,
        this.clock.now(),
        IDEMPOTENCY_TTL_S,
        (id) => this.store.getPayment(merchantId, id),
      );
      paymentId = movement.id;
      if (movement.existing)
        return this.continuePayment(provider, (await this.store.getPayment(merchantId, paymentId))!, request);
    }
    const created = createPayment(
      { paymentId, merchantId, methodCode: request.method, amount: request.amount },
      this.clock,
    );
    // A provider payment is checked by the poller from now on, on the orders' schedule, until its lifetime is over.
    const now = this.clock.now().getTime();
    const schedule = provider
      ? {
          nextCheckAt: new Date(now + this.lifecycle.FAST_TRACK_INTERVAL_S * 1000).toISOString(),
          expiresAt: new Date(now + this.lifecycle.ORDER_TTL_S * 1000).toISOString(),
        }
      : undefined;
    const payment = await this.store.insertPayment(created, request.description, schedule, method.accountId);
    // Cash waits for the cashier (confirm-cash); a provider payment is started now.
    if (!provider) return { payment, outcome: 'done' };
    return this.startProviderPayment(
      provider,
      payment,
      request.payerMsisdn === undefined ? {} : { payerMsisdn: request.payerMsisdn },
    );
  }

  /** The payment attempt a retried request names again: never a second one. */
  private async continuePayment(
    provider: PaymentProvider | null,
    payment: PaymentRecord,
    request: NewPosPayment,
  ): Promise<PaymentResult> {
    if (payment.methodCode !== request.method || !sameMoney(payment.amount, request.amount)) {
      throw new PaystateError(
        'rejected',
        'idempotency_key_reused',
        `this Idempotency-Key already stands for payment ${payment.paymentId}; send a new key`,
      );
    }
    if (!provider) return { payment, outcome: 'done' };
    if (payment.status === 'pending' && payment.providerPaymentId === null) {
      return this.startProviderPayment(
        provider,
        payment,
        request.payerMsisdn === undefined ? {} : { payerMsisdn: request.payerMsisdn },
      );
    }
    return { payment, outcome: 'started' };
  }

  /**
   * Sends the payment to its provider (again, after an unknown outcome: the same idempotency key).
   * One caller at a time (a lease taken in the database first): a check, a retried request or
   * the poller arriving while the creation is in flight gets the payment as it stands instead of
   * creating a second provider payment, which providers without idempotency keys would make.
   */
  private async startProviderPayment(
    provider: PaymentProvider,
    payment: PaymentRecord,
    payer: { payerMsisdn?: string },
  ): Promise<PaymentResult> {
    const now = this.clock.now();
    if (
      !(await this.store.claimPaymentStart(
        payment.merchantId,
        payment.paymentId,
        now.toISOString(),
        paymentStartLeaseUntil(now),
      ))
    ) {
      const current = (await this.store.getPayment(payment.merchantId, payment.paymentId)) ?? payment;
      return { payment: current, outcome: current.status === 'pending' ? 'unknown' : 'started' };
    }
    let created;
    try {
      created = await provider.createPayment(
        {
          orderId: payment.paymentId,
          amount: payment.amount,
          description: payment.description || `Payment ${payment.paymentId}`,
          returnUrl: `${this.publicUrl}/pos/${payment.merchantId}/payments/${payment.paymentId}/return`,
          ...payer,
        },
        posPaymentKey(payment.paymentId),
      );
    } catch (error) {
      await this.store.releasePaymentStart(payment.merchantId, payment.paymentId);
      const failure = failureOf(error);
      if (failure === 'unknown') {
        this.logger.warn(
          { err: error, paymentId: payment.paymentId },
          'POS payment: provider outcome unknown; check re-sends it',
        );
        return { payment, outcome: 'unknown' };
      }
      await this.store.applyPaymentEvents(payment.merchantId, payment.paymentId, [
        { type: 'FAIL', reason: `provider refused: ${messageOf(error)}` },
      ]);
      if (failure === 'payer') throw new PaystateError('invalid', 'payer_required', messageOf(error));
      throw new PaystateError(
        'upstream_refused',
        'provider_error',
        `the payment provider refused the payment: ${messageOf(error)}`,
      );
    }
    const applied = await this.store.applyPaymentEvents(payment.merchantId, payment.paymentId, [{ type: 'PROCESS' }], {
      providerPaymentId: created.providerPaymentId,
      confirmationUrl: created.confirmationUrl,
    });
    return { payment: applied!.payment, outcome: 'started' };
  }

  private async alertMismatch(payment: PaymentRecord, reported: Money): Promise<void> {
    this.logger.error(
      { paymentId: payment.paymentId, expected: payment.amount, reported },
      'POS payment: the provider reports another amount; review',
    );
    await this.notifier
      ?.alert('amount_mismatch', {
        merchantId: payment.merchantId,
        paymentId: payment.paymentId,
        expected: payment.amount,
        reported,
      })
      .catch((error: unknown) => this.logger.error({ err: error }, 'could not raise an amount_mismatch alert'));
  }

  async getPayment(
    merchantId: string,
    paymentId: string,
  ): Promise<{ payment: PaymentRecord; refunds: RefundRecord[] }> {
    const payment = await this.store.getPayment(merchantId, paymentId);
    if (!payment) throw paymentNotFound(paymentId);
    return { payment, refunds: await this.store.listRefunds(merchantId, paymentId) };
  }

  listPayments(
    merchantId: string,
    filter: { status?: PaymentStatus; createdBefore?: string; limit: number },
  ): Promise<PaymentRecord[]> {
    return this.store.listPayments(merchantId, filter);
  }

  /** The cashier has the cash: the payment succeeds and the cash is in the till's open session, in one transaction. */
  confirmCash(
    merchantId: string,
    paymentId: string,
    tillId: string = MAIN_TILL,
  ): Promise<{ payment: PaymentRecord; drawer: DrawerRecord }> {
    return refusals(this.store.confirmCashPayment(merchantId, paymentId, tillId));
  }

  /**
   * Asks the provider where a payment stands and applies the answer (the "check" action); also
   * re-sends a creation whose outcome was unknown (same idempotency key), sends a refund that was
   * recorded but never claimed, and settles refunds in flight by reading the provider back: a
   * refund already sent is never sent again (docs/architecture.md section 9).
   */
  async check(merchantId: string, paymentId: string): Promise<CheckResult> {
    let { payment } = await this.getPayment(merchantId, paymentId);
    if (payment.methodCode === CASH_METHOD) {
      return {
        payment,
        refunds: await this.store.listRefunds(merchantId, paymentId),
        observed: null,
        amountMismatch: false,
      };
    }
    const provider = await this.provider(payment.methodCode, payment.providerAccountId);
    let observed: CheckResult['observed'] = null;
    let amountMismatch = false;
    if (payment.status === 'pending' && payment.providerPaymentId === null) {
      payment = (await this.startProviderPayment(provider, payment, {})).payment;
    } else if (payment.status === 'processing' && payment.providerPaymentId !== null) {
      const report = await callProvider(() => provider.getPaymentStatus(payment.providerPaymentId!));
      observed = report.status;
      amountMismatch = report.status === 'succeeded' && !sameMoney(report.amount, payment.amount);
      const reason = `the provider reports ${report.amount.amountMinor} ${report.amount.currency}, not ${payment.amount.amountMinor} ${payment.amount.currency}`;
      const input: PaymentInput | null = amountMismatch
        ? { type: 'REVIEW', reason: `amount_mismatch: ${reason}` }
        : inputOf(report);
      if (input) {
        const applied = (await this.store.applyPaymentEvents(merchantId, paymentId, [input]))!;
        payment = applied.payment;
        // One alert per payment: only the check that moved it to review raises it.
        if (amountMismatch && applied.changed) await this.alertMismatch(payment, report.amount);
      }
    }
    if (payment.providerPaymentId !== null) {
      for (const refund of await this.store.listRefunds(merchantId, paymentId)) {
        // Never claimed (a crash between recording and sending): nobody sent it yet.
        if (refund.status === 'requested')
          await this.refunds.send(provider, payment.providerPaymentId, refund).catch(() => null);
      }
      await this.refunds.settle(provider, payment, await this.store.listRefunds(merchantId, paymentId));
      payment = (await this.store.getPayment(merchantId, paymentId)) ?? payment;
    }
    return { payment, refunds: await this.store.listRefunds(merchantId, paymentId), observed, amountMismatch };
  }

  /**
   * A refund of part or all of a captured payment: recorded and counted first (the machine
   * refuses one beyond captured minus refunded, and then nothing is written), then claimed and
   * sent. With the request's Idempotency-Key the refund id derives from it, so a retry of the
   * request (after a 5xx or a crash released the key) continues the same refund and is answered
   * in its current state. Cash comes out of the open session of `tillId` (MAIN_TILL by default)
   * at once. `requestedBy` is recorded as who asked for it (the cashier).
   */
  async refund(
    merchantId: string,
    paymentId: string,
    request: { amountMinor: number; reason: string | null; tillId?: string; requestedBy?: string | null },
    requestKey: string | null = null,
  ): Promise<RefundResult> {
    const { payment } = await this.getPayment(merchantId, paymentId);
    const provider =
      payment.methodCode === CASH_METHOD ? null : await this.provider(payment.methodCode, payment.providerAccountId);
    const refundId =
      requestKey === null
        ? randomUUID()
        : (
            await movementForRequest('pos-refund', merchantId, requestKey, this.clock.now(), IDEMPOTENCY_TTL_S, (id) =>
              this.store.getRefund(merchantId, id),
            )
          ).id;
    const { existing, ...recorded } = await refusals(
      this.store.requestRefund({ merchantId, paymentId, refundId, ...request }),
    );
    if (!provider) return { ...recorded, outcome: 'done' };
    const providerPaymentId = recorded.payment.providerPaymentId!;
    if (existing && recorded.refund.status !== 'requested') {
      if (recorded.refund.status === 'sending')
        await this.refunds.settle(provider, recorded.payment, await this.store.listRefunds(merchantId, paymentId));
      return { ...(await this.refunds.current(recorded.refund)), drawer: null };
    }
    try {
      return { ...(await this.refunds.send(provider, providerPaymentId, recorded.refund)), drawer: null };
    } catch (error) {
      if (refundFailureOf(error) === 'not_supported')
        throw new PaystateError('rejected', 'refund_not_supported', messageOf(error));
      throw new PaystateError(
        'upstream_refused',
        'provider_error',
        `the payment provider refused the refund: ${messageOf(error)}`,
      );
    }
  }

  // Cash drawer sessions: each till of a merchant (MAIN_TILL when none is named) has at most one open.

  openDrawer(
    merchantId: string,
    opening: Money,
    operator: string | null,
    tillId: string = MAIN_TILL,
  ): Promise<DrawerRecord> {
    return refusals(
      this.store.openDrawer(openDrawer(randomUUID(), merchantId, opening, this.clock.now()), operator, tillId),
    );
  }

  async currentDrawer(merchantId: string, tillId: string = MAIN_TILL): Promise<DrawerRecord> {
    const drawer = await this.store.getOpenDrawer(merchantId, tillId);
    if (!drawer) throw new PaystateError('not_found', 'drawer_not_open', noOpenDrawerMessage(merchantId, tillId));
    return drawer;
  }

  async drawer(merchantId: string, sessionId: string) {
    const drawer = await this.store.getDrawer(merchantId, sessionId);
    if (!drawer)
      throw new PaystateError('not_found', 'drawer_session_not_found', `no cash drawer session with id ${sessionId}`);
    return { drawer, movements: await this.store.drawerMovements(sessionId) };
  }

  /** Newest first: every till's sessions, or one till's. */
  listDrawers(merchantId: string, limit: number, tillId?: string): Promise<DrawerRecord[]> {
    return this.store.listDrawers(merchantId, limit, tillId);
  }

  /** The till's open session's currency; no open session is the same refusal the store gives (409). */
  private async openCurrency(merchantId: string, tillId: string): Promise<string> {
    const drawer = await this.store.getOpenDrawer(merchantId, tillId);
    if (!drawer) throw new PaystateError('conflict', 'drawer_not_open', noOpenDrawerMessage(merchantId, tillId));
    return drawer.currency;
  }

  /** Cash put in or taken out of a till by hand; without a currency, its open session's. */
  async drawerCash(
    merchantId: string,
    direction: 'in' | 'out',
    amountMinor: number,
    currency: string | undefined,
    note: string | null,
    tillId: string = MAIN_TILL,
  ) {
    const cash = { amountMinor, currency: currency ?? (await this.openCurrency(merchantId, tillId)) };
    return refusals(this.store.recordDrawerCash(merchantId, direction, cash, note, tillId));
  }

  async closeDrawer(
    merchantId: string,
    countedMinor: number,
    currency: string | undefined,
    operator: string | null,
    tillId: string = MAIN_TILL,
    note: string | null = null,
  ) {
    const counted = { amountMinor: countedMinor, currency: currency ?? (await this.openCurrency(merchantId, tillId)) };
    return refusals(this.store.closeDrawer(merchantId, counted, operator, tillId, note));
  }
}

/** A provider's observation as a Payment machine event; `pending` changes nothing. */
function inputOf(report: Pick<PaymentStatusReport, 'status' | 'expired'>): PaymentInput | null {
  switch (report.status) {
    case 'succeeded':
      return { type: 'SUCCEED' };
    case 'canceled':
      // A session that ran out of time was not refused: the payment expired.
      return report.expired ? { type: 'EXPIRE' } : { type: 'FAIL', reason: 'canceled' };
    case 'waiting_for_capture':
      // One-stage payments never should: money is held, not taken.
      return { type: 'FAIL', reason: 'waiting_for_capture' };
    case 'pending':
      return null;
  }
}

async function callProvider<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof OutboundTimeoutError)
      throw new PaystateError(
        'upstream_timeout',
        'provider_timeout',
        'the payment provider did not answer in time; try again',
      );
    if (error instanceof OutboundHttpError)
      throw new PaystateError(
        'upstream_refused',
        'provider_error',
        `the payment provider refused the request (HTTP ${error.status})`,
      );
    if (error instanceof OutboundNetworkError)
      throw new PaystateError(
        'upstream_unavailable',
        'provider_unavailable',
        'the payment provider could not be reached; try again',
      );
    throw error;
  }
}

const methodNotFound = (merchantId: string, providerCode: string) =>
  new PaystateError('not_found', 'method_not_found', `merchant ${merchantId} has no ${providerCode} payment method`);

const paymentNotFound = (paymentId: string) =>
  new PaystateError('not_found', 'payment_not_found', `no payment with id ${paymentId}`);
