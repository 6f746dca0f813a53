import type { LoopbackServer } from '@paystate/sandbox';
import type { Api, Say } from './http.js';

/** One of the seed systems, as sandboxes + settings + what a customer and an operator do. */
export interface Scenario {
  /** The sandboxes it needs, started; `env` configures paystate to use them. */
  start(): Promise<{ servers: LoopbackServer[]; env: Record<string, string>; describe: string }>;
  /** Called once paystate listens, for sandboxes that call back. */
  connect(serverUrl: string): void;
  /** Sells one thing end to end over the HTTP API, printing as it goes. */
  run(api: Api, say: Say, timeoutMs: number, serverUrl: string): Promise<void>;
}
