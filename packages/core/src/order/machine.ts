import { assign, setup } from 'xstate';
import { addSeconds, secondsBetween } from '../clock.js';
import type { LifecycleConfig } from '../config.js';
import { describeFailure } from '../messages.js';
import { sameMoney } from '../money.js';
import { nextRecheckAt, scheduleBase, unansweredBackoffS, withJitter } from './schedule.js';
import type {
  AlertKind,
  CustomerNotice,
  Effect,
  FailureReason,
  NewOrder,
  OrderContext,
  OrderEvent,
  PaymentObservationStatus,
} from './types.js';

export interface OrderMachineInput {
  order: NewOrder;
  now: string;
  ttlSeconds: number;
}

type ObservedEvent = Extract<OrderEvent, { type: 'PAYMENT_OBSERVED' }>;

function observed(event: OrderEvent, status: PaymentObservationStatus): event is ObservedEvent {
  return event.type === 'PAYMENT_OBSERVED' && event.status === status;
}

/**
 * The order lifecycle of docs/architecture.md section 2. Time comes in on every event as `now`
 * (stamped once per decision from the Clock), settings through `config`, so the machine
 * is a pure function of snapshot and event. Terminal statuses carry the `terminal` tag
 * instead of XState's `final` type: operators and late payments may still act on them.
 */
export function createOrderMachine(config: LifecycleConfig) {
  const onFastTrack = (context: OrderContext, now: string): boolean =>
    context.paymentStartedAt !== null && secondsBetween(context.paymentStartedAt, now) <= config.FAST_TRACK_LIMIT_S;
  const pastExpiry = (context: OrderContext, now: string): boolean => Date.parse(now) >= Date.parse(context.expiresAt);
  // Rule 2 with AUTO_FULFIL_WINDOW: the fast track for a customer at a machine, the whole
  // order's life for tickets; never past expiry (a late success follows LATE_PAYMENT_POLICY).
  const autoFulfils = (context: OrderContext, now: string): boolean =>
    !pastExpiry(context, now) &&
    (config.AUTO_FULFIL_WINDOW === 'order_lifetime' ? context.paymentStartedAt !== null : onFastTrack(context, now));

  const alert = (kind: AlertKind) =>
    ({
      type: 'effect',
      params: ({ context, event }: { context: OrderContext; event: OrderEvent }): Effect => ({
        type: 'ALERT',
        kind,
        orderId: context.orderId,
        details: { price: context.price, failureReason: context.failureReason, event },
      }),
    }) as const;
  const notify = (kind: CustomerNotice) =>
    ({
      type: 'effect',
      params: ({ context }: { context: OrderContext }): Effect => ({
        type: 'NOTIFY_CUSTOMER',
        kind,
        orderId: context.orderId,
      }),
    }) as const;
  const fail = (reason: FailureReason) => ({ type: 'fail', params: { reason } }) as const;
  const refund = {
    type: 'effect',
    params: ({ context }: { context: OrderContext }): Effect => ({
      type: 'REFUND',
      orderId: context.orderId,
      providerPaymentId: context.providerPaymentId,
      amount: context.price,
    }),
  } as const;
  const terminalEntry = (notice?: CustomerNotice) => [
    'clearNextCheck' as const,
    ...(notice === undefined ? [] : [notify(notice)]),
  ];

  return setup({
    types: {
      context: {} as OrderContext,
      events: {} as OrderEvent,
      input: {} as OrderMachineInput,
    },
    guards: {
      amountMismatch: ({ context, event }) =>
        event.type === 'PAYMENT_OBSERVED' && !sameMoney(event.amount, context.price),
      succeededInTime: ({ context, event }) => observed(event, 'succeeded') && autoFulfils(context, event.now),
      succeededLateRefund: ({ event }) => observed(event, 'succeeded') && config.LATE_PAYMENT_POLICY === 'refund',
      succeeded: ({ event }) => observed(event, 'succeeded'),
      stillPending: ({ event }) => observed(event, 'pending'),
      canceled: ({ event }) => observed(event, 'canceled'),
      waitingForCapture: ({ event }) => observed(event, 'waiting_for_capture'),
      // The check about to be recorded is the PAYMENT_ATTEMPTS_LIMIT-th unanswered one in a row.
      reachesAttemptsLimit: ({ context }) => context.failedChecks + 1 === config.PAYMENT_ATTEMPTS_LIMIT,
      pastExpiry: ({ context, event }) => pastExpiry(context, event.now),
      notYetAlertedStuck: ({ context }) => !context.stuckAlerted,
      // A late-money re-check by the poller; the same news by webhook changes nothing (rule 7).
      polled: ({ event }) => event.type === 'PAYMENT_OBSERVED' && event.source === 'poll',
      deviceMade: ({ event }) => event.type === 'DEVICE_REPORTED' && event.result === 'made',
    },
    actions: {
      // Effects are data: `decide` collects these from the transition, nothing runs here.
      effect: (_, _effect: Effect) => undefined,
      startPayment: assign(({ event }) => {
        if (event.type !== 'PAYMENT_INITIATED') return {};
        return {
          providerPaymentId: event.providerPaymentId,
          paymentStartedAt: event.now,
          nextCheckAt: addSeconds(event.now, config.FAST_TRACK_INTERVAL_S),
          checkAttempts: 0,
          failedChecks: 0,
        };
      }),
      recordAnswer: assign(({ context, event }) =>
        event.type === 'PAYMENT_OBSERVED' && event.source === 'poll'
          ? { checkAttempts: context.checkAttempts + 1, lastCheckAt: event.now, failedChecks: 0 }
          : {},
      ),
      recordFailedCheck: assign(({ context, event }) => ({
        checkAttempts: context.checkAttempts + 1,
        failedChecks: context.failedChecks + 1,
        lastCheckAt: event.now,
      })),
      scheduleNextCheck: assign(({ context, event }) => {
        const waitS = onFastTrack(context, event.now) ? config.FAST_TRACK_INTERVAL_S : config.SLOW_TRACK_INTERVAL_S;
        return { nextCheckAt: addSeconds(scheduleBase(context.nextCheckAt, event.now, waitS), waitS) };
      }),
      // Rule 3: no answer is UNKNOWN; back off by tiers (with jitter), never give up on the order.
      scheduleAfterUnanswered: assign(({ context, event }) => {
        const track = onFastTrack(context, event.now) ? config.FAST_TRACK_INTERVAL_S : config.SLOW_TRACK_INTERVAL_S;
        const waitS = unansweredBackoffS(config, track, context.failedChecks);
        const from = scheduleBase(context.nextCheckAt, event.now, waitS);
        return { nextCheckAt: withJitter(from, waitS, context.orderId, context.checkAttempts) };
      }),
      clearNextCheck: assign({ nextCheckAt: null }),
      // Rule 5: an order that ended without money but has a provider payment is re-checked for late money.
      startRechecks: assign(({ context, event }) =>
        context.providerPaymentId === null
          ? { recheckAt: null, lateChecks: 0, noMoneySince: event.now }
          : {
              lateChecks: 0,
              noMoneySince: event.now,
              recheckAt: nextRecheckAt(config, context.orderId, event.now, 0, event.now),
            },
      ),
      scheduleRecheck: assign(({ context, event }) => ({
        lateChecks: context.lateChecks + 1,
        recheckAt:
          context.noMoneySince === null
            ? null
            : nextRecheckAt(config, context.orderId, context.noMoneySince, context.lateChecks + 1, event.now),
      })),
      clearRecheck: assign({ recheckAt: null }),
      markStuckAlerted: assign({ stuckAlerted: true }),
      fail: assign((_, { reason }: { reason: FailureReason }) => ({
        failureReason: reason,
        failedPresentationDesc: describeFailure(reason),
      })),
    },
  }).createMachine({
    id: 'order',
    initial: 'created',
    context: ({ input }) => ({
      ...input.order,
      createdAt: input.now,
      expiresAt: addSeconds(input.now, input.ttlSeconds),
      paymentStartedAt: null,
      nextCheckAt: null,
      lastCheckAt: null,
      checkAttempts: 0,
      failedChecks: 0,
      failureReason: null,
      failedPresentationDesc: null,
      providerPaymentId: null,
      stuckAlerted: false,
      recheckAt: null,
      lateChecks: 0,
      noMoneySince: null,
    }),
    states: {
      created: {
        on: {
          PAYMENT_INITIATED: { target: 'pending', actions: 'startPayment' },
          EXPIRY_DUE: { guard: 'pastExpiry', target: 'expired' },
        },
      },
      pending: {
        // Only pending orders are checked; leaving pending ends the schedule.
        exit: 'clearNextCheck',
        on: {
          PAYMENT_OBSERVED: [
            {
              guard: 'amountMismatch',
              target: 'requires_manual_review',
              actions: ['recordAnswer', alert('amount_mismatch')],
            },
            {
              guard: 'succeededInTime',
              target: 'paid',
              actions: [
                'recordAnswer',
                {
                  type: 'effect',
                  params: ({ context }) => ({
                    type: 'MAKE_COMMAND',
                    deviceId: context.deviceId,
                    orderId: context.orderId,
                    productId: context.productId,
                    size: context.size,
                    price: context.price,
                  }),
                },
              ],
            },
            { guard: 'succeededLateRefund', target: 'refunded', actions: ['recordAnswer', refund] },
            { guard: 'succeeded', target: 'manual_make', actions: 'recordAnswer' },
            { guard: 'stillPending', actions: ['recordAnswer', 'scheduleNextCheck'] },
            { guard: 'canceled', target: 'not_paid', actions: 'recordAnswer' },
            {
              guard: 'waitingForCapture',
              target: 'failed',
              actions: ['recordAnswer', fail('waiting_for_capture'), alert('waiting_for_capture')],
            },
          ],
          // Only a provider answer ends a pending order: an unreachable one raises one alert per run.
          CHECK_FAILED: [
            {
              guard: 'reachesAttemptsLimit',
              actions: ['recordFailedCheck', 'scheduleAfterUnanswered', alert('provider_unreachable')],
            },
            { actions: ['recordFailedCheck', 'scheduleAfterUnanswered'] },
          ],
          EXPIRY_DUE: { guard: 'pastExpiry', target: 'expired' },
          STUCK_DETECTED: { guard: 'notYetAlertedStuck', actions: ['markStuckAlerted', alert('stuck')] },
        },
      },
      paid: {
        on: {
          MAKE_ACCEPTED: 'make_pending',
          MAKE_REJECTED: { target: 'make_failed', actions: fail('make_rejected') },
          // The device may answer before the dispatcher has recorded that it accepted the command.
          DEVICE_REPORTED: [
            { guard: 'deviceMade', target: 'successful' },
            { target: 'make_failed', actions: fail('device_failed') },
          ],
          STUCK_DETECTED: { guard: 'notYetAlertedStuck', actions: ['markStuckAlerted', alert('stuck')] },
        },
      },
      make_pending: {
        on: {
          DEVICE_REPORTED: [
            { guard: 'deviceMade', target: 'successful' },
            { target: 'make_failed', actions: fail('device_failed') },
          ],
          STUCK_DETECTED: { guard: 'notYetAlertedStuck', actions: ['markStuckAlerted', alert('stuck')] },
        },
      },
      successful: {
        tags: 'terminal',
        entry: terminalEntry('successful'),
        on: { OPERATOR_REFUND: { target: 'refunded', actions: refund } },
      },
      manual_make: {
        tags: 'terminal',
        entry: [...terminalEntry('manual_make'), alert('manual_make')],
        on: {
          OPERATOR_MARK_MADE: 'successful',
          OPERATOR_REFUND: { target: 'refunded', actions: refund },
        },
      },
      make_failed: {
        tags: 'terminal',
        entry: [...terminalEntry('make_failed'), alert('make_failed')],
        on: {
          OPERATOR_MARK_MADE: 'successful',
          OPERATOR_REFUND: { target: 'refunded', actions: refund },
        },
      },
      // The three no-money endings still accept a late success: the money is real and must be
      // accounted for (docs/architecture.md rule 5 and LATE_PAYMENT_POLICY), so it is never silently dropped,
      // and while LATE_MONEY_WINDOW_S lasts the poller re-checks them (recheckAt) to find it.
      not_paid: {
        tags: 'terminal',
        entry: [...terminalEntry('not_paid'), 'startRechecks'],
        exit: 'clearRecheck',
        on: lateMoney(),
      },
      failed: {
        tags: 'terminal',
        entry: [...terminalEntry('failed'), 'startRechecks'],
        exit: 'clearRecheck',
        on: { ...lateMoney(), ...operatorActions() },
      },
      expired: {
        tags: 'terminal',
        entry: [...terminalEntry('expired'), 'startRechecks'],
        exit: 'clearRecheck',
        on: { ...lateMoney(), ...operatorActions() },
      },
      requires_manual_review: {
        tags: 'terminal',
        entry: terminalEntry(),
        on: operatorActions(),
      },
      refunded: {
        tags: 'terminal',
        entry: terminalEntry('refunded'),
        on: {
          REFUND_FAILED: {
            target: 'requires_manual_review',
            actions: alert('refund_failed'),
          },
        },
      },
    },
  });

  function lateMoney() {
    return {
      PAYMENT_OBSERVED: [
        { guard: 'amountMismatch', target: 'requires_manual_review', actions: alert('amount_mismatch') },
        { guard: 'succeededLateRefund', target: 'refunded', actions: refund },
        { guard: 'succeeded', target: 'manual_make' },
        { guard: 'polled', actions: 'scheduleRecheck' },
      ],
      // An unanswered re-check is UNKNOWN too: just the next one on the schedule.
      CHECK_FAILED: { actions: 'scheduleRecheck' },
    } as const;
  }

  function operatorActions() {
    return {
      OPERATOR_MARK_MADE: 'successful',
      OPERATOR_REFUND: { target: 'refunded', actions: refund },
      OPERATOR_RESOLVE: 'not_paid',
    } as const;
  }
}

export type OrderMachine = ReturnType<typeof createOrderMachine>;
