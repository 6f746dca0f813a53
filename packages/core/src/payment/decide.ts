import { z } from 'zod';
import { initialTransition, transition } from 'xstate';
import type { Clock } from '../clock.js';
import { moneySchema } from '../money.js';
import {
  paymentMachine,
  paymentStatuses,
  type PaymentContext,
  type PaymentInput,
  type PaymentStatus,
} from './machine.js';

export const PAYMENT_SNAPSHOT_FORMAT = 1;

const persistedPaymentSchema = z.object({
  format: z.literal(PAYMENT_SNAPSHOT_FORMAT),
  machine: z.literal('payment'),
  value: z.enum(paymentStatuses),
  context: z.object({
    paymentId: z.string().min(1),
    merchantId: z.string().min(1),
    methodCode: z.string().min(1),
    amount: moneySchema,
    refundedMinor: z.number().int().nonnegative(),
    failureReason: z.string().nullable(),
    updatedAt: z.iso.datetime(),
  }),
});

export type PersistedPaymentSnapshot = z.infer<typeof persistedPaymentSchema>;

export interface PaymentDecision {
  status: PaymentStatus;
  payment: PaymentContext;
  snapshot: PersistedPaymentSnapshot;
  changed: boolean;
}

type Snapshot = ReturnType<typeof paymentMachine.resolveState>;

function toDecision(snapshot: Snapshot, changed: boolean): PaymentDecision {
  return {
    status: snapshot.value,
    payment: snapshot.context,
    snapshot: { format: PAYMENT_SNAPSHOT_FORMAT, machine: 'payment', value: snapshot.value, context: snapshot.context },
    changed,
  };
}

export function createPayment(
  payment: Pick<PaymentContext, 'paymentId' | 'merchantId' | 'methodCode' | 'amount'>,
  clock: Clock,
): PaymentDecision {
  const [snapshot] = initialTransition(paymentMachine, { ...payment, now: clock.now().toISOString() });
  return toDecision(snapshot, true);
}

/** Applies one event to a stored payment; an event that does not apply (or an over-refund) changes nothing. */
export function decidePayment(stored: unknown, input: PaymentInput, clock: Clock): PaymentDecision {
  const parsed = persistedPaymentSchema.parse(typeof stored === 'string' ? JSON.parse(stored) : stored);
  const current = paymentMachine.resolveState({ value: parsed.value, context: parsed.context });
  const [next] = transition(paymentMachine, current, { ...input, now: clock.now().toISOString() });
  return toDecision(next, next !== current);
}
