import { timingSafeEqual } from 'node:crypto';
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { FaultPlan, faultSchema } from './faults.js';
import { deliver, InFlight, type Delivery } from './notify.js';
import { startOnLoopback, type LoopbackServer } from './serve.js';

const makeSchema = z.strictObject({
  device_id: z.string().min(1),
  order_id: z.string().min(1),
  drink_id: z.string().min(1),
  size: z.string(),
  price_minor: z.number().int().nonnegative(),
  currency: z.string().length(3),
});

export type SandboxMakeCommand = z.infer<typeof makeSchema>;

export interface TmetrSandboxOptions {
  token: string;
  /** paystate's base URL: when set, the machine reports each drink it made after brewMs. */
  resultCallbackUrl?: string;
  deviceToken?: string;
  brewMs?: number;
}

/**
 * A Tmetr twin: accepts make commands with a bearer token, de-duplicates on the order id like
 * a real machine, can refuse (a machine out of milk) or fail on demand, and reports the result.
 */
export class TmetrSandbox {
  readonly app = new Hono();
  readonly faults = new FaultPlan();
  /** Every POST that reached the handler, repeats included. */
  readonly received: SandboxMakeCommand[] = [];
  /** Drinks actually started: one per order id. */
  readonly made = new Map<string, SandboxMakeCommand>();
  readonly deliveries: Delivery[] = [];
  /** 'reject' answers 422 as a machine that cannot make the drink. */
  mode: 'accept' | 'reject' = 'accept';
  resultCallbackUrl: string | undefined;
  private readonly inFlight = new InFlight();

  constructor(private readonly options: TmetrSandboxOptions) {
    this.resultCallbackUrl = options.resultCallbackUrl;
    this.app.post('/v1/make', (c) => this.make(c));
    this.app.post('/__sandbox/faults/:route', async (c) => {
      const fault = faultSchema.safeParse(await c.req.json().catch(() => null));
      if (!fault.success) return c.json({ error: 'bad fault' }, 400);
      this.faults.inject(c.req.param('route'), fault.data);
      return c.json({ ok: true });
    });
  }

  start(port = 0): Promise<LoopbackServer> {
    return startOnLoopback(this.app, port);
  }

  async settled(): Promise<void> {
    await this.inFlight.settled();
  }

  private async make(c: Context): Promise<Response> {
    const expected = Buffer.from(`Bearer ${this.options.token}`);
    const given = Buffer.from(c.req.header('authorization') ?? '');
    if (given.length !== expected.length || !timingSafeEqual(given, expected))
      return c.json({ error: 'unauthorized' }, 401);
    const injected = await this.faults.apply('make', c);
    if (injected) return injected;
    const parsed = makeSchema.safeParse(await c.req.json().catch(() => null));
    if (!parsed.success) return c.json({ error: 'bad command', detail: parsed.error.issues[0]?.message }, 400);
    const command = parsed.data;
    this.received.push(command);
    if (this.made.has(command.order_id)) return c.json({ accepted: true, duplicate: true });
    if (this.mode === 'reject') return c.json({ error: 'device cannot make this drink now' }, 422);
    this.made.set(command.order_id, command);
    this.report(command);
    return (await this.faults.applyAfterEffect('make', c)) ?? c.json({ accepted: true, duplicate: false });
  }

  private report(command: SandboxMakeCommand): void {
    if (!this.resultCallbackUrl) return;
    const url = `${this.resultCallbackUrl}/v1/devices/${encodeURIComponent(command.device_id)}/orders/${encodeURIComponent(command.order_id)}/result`;
    const headers: Record<string, string> = this.options.deviceToken
      ? { authorization: `Bearer ${this.options.deviceToken}` }
      : {};
    const sending = new Promise<void>((resolve) => setTimeout(resolve, this.options.brewMs ?? 0).unref()).then(() =>
      deliver(url, { result: 'made' }, this.deliveries, { headers }),
    );
    this.inFlight.track(sending);
  }
}
