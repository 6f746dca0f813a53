import { z } from 'zod';
import type { OrderMachine } from './machine.js';
import { orderContextSchema, orderStatusSchema } from './types.js';

/** Bumped whenever the stored shape changes; `restoreOrderSnapshot` refuses what it cannot read. */
export const ORDER_SNAPSHOT_FORMAT = 1;

const persistedOrderSnapshotSchema = z.object({
  format: z.literal(ORDER_SNAPSHOT_FORMAT),
  machine: z.literal('order'),
  /** Count of applied events; the store's compare-and-set version and part of effect keys. */
  revision: z.number().int().nonnegative(),
  state: z.object({
    status: z.literal('active'),
    value: orderStatusSchema,
    context: orderContextSchema,
    historyValue: z.record(z.string(), z.unknown()),
    children: z.record(z.string(), z.unknown()),
  }),
});

export type PersistedOrderSnapshot = z.infer<typeof persistedOrderSnapshotSchema>;

export class SnapshotFormatError extends Error {
  override readonly name = 'SnapshotFormatError';
}

export function persistOrderSnapshot(
  machine: OrderMachine,
  snapshot: ReturnType<OrderMachine['resolveState']>,
  revision: number,
): PersistedOrderSnapshot {
  const state = machine.getPersistedSnapshot(snapshot) as unknown as PersistedOrderSnapshot['state'];
  return { format: ORDER_SNAPSHOT_FORMAT, machine: 'order', revision, state };
}

/** Accepts a stored snapshot (object or JSON text) only if it is one this code wrote. */
export function parseOrderSnapshot(stored: unknown): PersistedOrderSnapshot {
  const raw = typeof stored === 'string' ? JSON.parse(stored) : stored;
  const parsed = persistedOrderSnapshotSchema.safeParse(raw);
  if (!parsed.success) {
    throw new SnapshotFormatError(`unreadable order snapshot: ${z.prettifyError(parsed.error)}`);
  }
  return parsed.data;
}

export function restoreOrderSnapshot(machine: OrderMachine, stored: unknown) {
  const { state, revision } = parseOrderSnapshot(stored);
  return { revision, snapshot: machine.resolveState({ value: state.value, context: state.context }) };
}
