import type { Context } from 'hono';
import { z } from 'zod';

/** What a sandbox does instead of (or before) answering: the failures real providers produce. */
export const faultSchema = z.strictObject({
  /** Answer only after this long: with a short client timeout, a timeout. */
  delayMs: z.number().int().min(0).max(3_600_000).optional(),
  /** Answer with this status and a provider-style error body. */
  status: z.number().int().min(400).max(599).optional(),
  /** Drop the connection without an answer. */
  reset: z.boolean().optional(),
  /**
   * Apply the fault after the call took effect (the drink is brewing, the payment exists):
   * the caller sees a failure although the work was done, as with a real lost response.
   */
  afterEffect: z.boolean().optional(),
  /** How many calls it applies to; then the route behaves again. */
  times: z.number().int().positive().default(1),
});

export type Fault = z.input<typeof faultSchema>;

/** Faults queued per route name ("create", "get", "refund", "make" ...), consumed call by call. */
export class FaultPlan {
  private readonly queued = new Map<string, z.output<typeof faultSchema>[]>();

  inject(route: string, fault: Fault): void {
    const list = this.queued.get(route) ?? [];
    list.push(faultSchema.parse(fault));
    this.queued.set(route, list);
  }

  clear(): void {
    this.queued.clear();
  }

  /** Applies the next fault for the route; returns a response to send instead, or null to go on. */
  apply(route: string, c: Context): Promise<Response | null> {
    return this.applyIf(route, c, false);
  }

  /** Called once the route's work is done: applies a fault queued with `afterEffect`. */
  applyAfterEffect(route: string, c: Context): Promise<Response | null> {
    return this.applyIf(route, c, true);
  }

  private async applyIf(route: string, c: Context, afterEffect: boolean): Promise<Response | null> {
    const list = this.queued.get(route);
    const fault = list?.[0];
    if (!list || !fault || Boolean(fault.afterEffect) !== afterEffect) return null;
    fault.times -= 1;
    if (fault.times === 0) list.shift();
    // A provider has the whole request before it acts: a client that stops waiting (a timeout)
    // must not make the delayed call lose its body (Hono caches it for the route's own read).
    if (fault.delayMs) await c.req.text().catch(() => '');
    if (fault.delayMs) await sleep(fault.delayMs);
    if (fault.reset) {
      const incoming = (c.env as { incoming?: { socket?: { destroy(): void } } } | undefined)?.incoming;
      incoming?.socket?.destroy();
      return new Response(null, { status: 500 });
    }
    if (fault.status) {
      return c.json(
        { type: 'error', code: 'sandbox_fault', description: `injected HTTP ${fault.status}` },
        fault.status as 500,
      );
    }
    return null;
  }
}

/** An unref'd timer: a long injected delay never keeps a finished test process alive. */
function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
