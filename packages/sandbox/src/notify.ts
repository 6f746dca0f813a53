import { request } from 'undici';

export interface Delivery {
  url: string;
  status: number | null;
  at: string;
}

/**
 * Delivers a JSON callback the way providers do: retries until a 2xx, with growing pauses,
 * and records every attempt so tests can see what the receiver answered.
 */
export async function deliver(
  url: string,
  body: unknown,
  log: Delivery[],
  options: { attempts?: number; firstPauseMs?: number; headers?: Record<string, string> } = {},
): Promise<boolean> {
  const attempts = options.attempts ?? 5;
  let pause = options.firstPauseMs ?? 100;
  for (let attempt = 1; attempt <= attempts; attempt += 1) {
    let status: number | null = null;
    try {
      const response = await request(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...options.headers },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(5000),
      });
      status = response.statusCode;
      await response.body.dump();
    } catch {
      status = null;
    }
    log.push({ url, status, at: new Date().toISOString() });
    if (status !== null && status >= 200 && status < 300) return true;
    if (attempt < attempts) await new Promise((resolve) => setTimeout(resolve, pause).unref());
    pause *= 2;
  }
  return false;
}

/** Callbacks still on their way, so a test or the demo can wait for their final answers. */
export class InFlight {
  private readonly pending = new Set<Promise<unknown>>();

  track<T>(promise: Promise<T>): Promise<T> {
    this.pending.add(promise);
    void promise.finally(() => this.pending.delete(promise));
    return promise;
  }

  /** Also waits for callbacks started while it waited (a retry chain, a follow-up notification). */
  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }
}
