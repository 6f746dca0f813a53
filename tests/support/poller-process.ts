import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const fixture = fileURLToPath(new URL('../multi/fixtures/poller-process.ts', import.meta.url));
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** What one poller process reports when it finds nothing more due. */
export interface PollerTotals {
  workerId: string;
  cycles: number;
  due: number;
  answered: number;
  failedChecks: number;
  errors: number;
  effects: number;
}

/** A running tests/multi/fixtures/poller-process.ts child, with its announcements as promises. */
export class PollerProcess {
  readonly child: ChildProcessWithoutNullStreams;
  /** Its poller's worker id, once the runtime is open (with PAYSTATE_WAIT_FOR_GO=1). */
  readonly ready: Promise<string>;
  /** The first claim of at least one order (with PAYSTATE_ANNOUNCE_CLAIMS=1). */
  readonly firstClaim: Promise<{ claimed: number; workerId: string }>;
  /** Its totals when it exits 0; rejects with its stderr otherwise. */
  readonly done: Promise<PollerTotals>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr = '';

  constructor(env: Record<string, string>) {
    this.child = spawn(process.execPath, ['--conditions=paystate-source', '--import', 'tsx', fixture], {
      cwd: repoRoot,
      env: { ...process.env, ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.child.stderr.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    const lines = createInterface({ input: this.child.stdout });
    let totals: PollerTotals | undefined;
    let onReady: (id: string) => void = () => undefined;
    let onClaim: (claim: { claimed: number; workerId: string }) => void = () => undefined;
    this.ready = new Promise((resolve) => (onReady = resolve));
    this.firstClaim = new Promise((resolve) => (onClaim = resolve));
    lines.on('line', (line) => {
      if (!line.startsWith('{')) return;
      const message = JSON.parse(line) as { ready?: string; claimed?: number; workerId?: string; done?: PollerTotals };
      if (message.ready) onReady(message.ready);
      if (message.claimed && message.workerId) onClaim({ claimed: message.claimed, workerId: message.workerId });
      if (message.done) totals = message.done;
    });
    this.exited = new Promise((resolve, reject) => {
      this.child.once('error', reject);
      this.child.once('exit', (code, signal) => resolve({ code, signal }));
    });
    this.done = this.exited.then(({ code, signal }) => {
      if (code === 0 && totals) return totals;
      throw new Error(`poller process ended with code ${code}, signal ${signal}: ${this.stderr.slice(-2000)}`);
    });
    // Observed by the caller when wanted; a killed process must not be an unhandled rejection.
    this.done.catch(() => undefined);
  }

  /** Lets a process started with PAYSTATE_WAIT_FOR_GO=1 begin its first cycle. */
  go(): void {
    this.child.stdin.write('go\n');
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    this.child.kill(signal);
    return this.exited;
  }
}
