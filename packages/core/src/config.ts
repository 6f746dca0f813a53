import { z } from 'zod';

const seconds = (fallback: number) => z.coerce.number().int().positive().default(fallback);

/** The lifecycle settings of docs/architecture.md section 5 that the core decides with. */
export const lifecycleConfigSchema = z.object({
  FAST_TRACK_LIMIT_S: seconds(300),
  FAST_TRACK_INTERVAL_S: seconds(5),
  SLOW_TRACK_INTERVAL_S: seconds(60),
  PAYMENT_ATTEMPTS_LIMIT: seconds(10),
  ORDER_TTL_S: seconds(900),
  LATE_PAYMENT_POLICY: z.enum(['manual_make', 'refund']).default('manual_make'),
  /** How long orders that ended without money (and have a provider payment) are re-checked for late money. */
  LATE_MONEY_WINDOW_S: seconds(259_200),
  /**
   * Which successes fulfil the order automatically (a make command): only those within
   * FAST_TRACK_LIMIT_S of the payment start (`fast_track`: a customer standing at a machine), or
   * any before the order expires (`order_lifetime`: a ticket is as good an hour later).
   */
  AUTO_FULFIL_WINDOW: z.enum(['fast_track', 'order_lifetime']).default('fast_track'),
});

export type LifecycleConfig = z.infer<typeof lifecycleConfigSchema>;

export const defaultLifecycleConfig: LifecycleConfig = lifecycleConfigSchema.parse({});

export function parseLifecycleConfig(source: Record<string, unknown>): LifecycleConfig {
  return lifecycleConfigSchema.parse(source);
}
