import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { paystate, PAYSTATE_BIN } from '../support/cli.js';

/** Provider and device settings enough for serve, demo and poll to start (nothing is called). */
const ADAPTERS = {
  YOOKASSA_SHOP_ID: 'shop',
  YOOKASSA_SECRET_KEY: 'yookassa-secret-key',
  TMETR_API_URL: 'http://127.0.0.1:9',
  TMETR_TOKEN: 'tmetr-token',
};

let cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  cleanups = [];
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'paystate-cli-errors-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A loopback port held by another listener for the test. */
async function busyPort(): Promise<number> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise((resolve) => server.close(resolve)));
  return (server.address() as { port: number }).port;
}

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** One line on stderr, nothing on stdout, the exit code given. */
function expectOneLine(run: { code: number | null; stdout: string; stderr: string }, code: number, line: RegExp) {
  expect(run.stderr, run.stderr).toMatch(/^paystate: [^\n]+\n$/);
  expect(run.stderr).toMatch(line);
  expect(run.stdout).toBe('');
  expect(run.code, run.stderr).toBe(code);
}

describe('the real binary fails in one line that names the cause', () => {
  it('serve and demo on a port in use name the port and the setting that chose it, without a stack trace', async () => {
    const dir = tempDir();
    const port = await busyPort();
    const env = { ...ADAPTERS, DATABASE_URL: `file:${join(dir, 'paystate.db')}` };
    expectOneLine(
      await paystate(['serve'], { ...env, PORT: String(port) }),
      1,
      new RegExp(`^paystate: port ${port} \\(PORT\\) is already in use on 127\\.0\\.0\\.1\\n$`),
    );
    expectOneLine(
      await paystate(['serve', '--port', String(port)], env),
      1,
      new RegExp(`^paystate: port ${port} \\(--port\\) is already in use`),
    );
    const demo = await paystate(['demo', '--port', String(port)], env);
    expect(demo.code).toBe(1);
    expect(demo.stderr).toMatch(
      new RegExp(`^paystate: port ${port} \\(--port\\) is already in use on 127\\.0\\.0\\.1\\n$`),
    );
  }, 40_000);

  it('an unreachable PostgreSQL server is named with its password masked; exit 75, try again later', async () => {
    const url = `postgres://paystate:Sup3r-secret-pw@127.0.0.1:${await closedPort()}/paystate`;
    const line =
      /^paystate: cannot reach the PostgreSQL database postgres:\/\/paystate:\*{8}@127\.0\.0\.1:\d+\/paystate: connection refused/;
    for (const args of [['orders', 'list'], ['migrate'], ['merchants', 'list']]) {
      const run = await paystate(['--database', url, ...args]);
      expectOneLine(run, 75, line);
      expect(run.stderr).not.toContain('Sup3r-secret-pw');
    }
    const served = await paystate(['serve', '--port', '0'], { ...ADAPTERS, DATABASE_URL: url });
    expectOneLine(served, 75, line);
    const polled = await paystate(['poll', '--once'], { ...ADAPTERS, DATABASE_URL: url });
    expectOneLine(polled, 75, line);
  }, 40_000);

  it('a SQLite file that is not a database, or a directory, is named; exit 1', async () => {
    const dir = tempDir();
    const garbage = join(dir, 'notes.db');
    writeFileSync(garbage, 'these are my notes, not a database\n'.repeat(40));
    for (const args of [['orders', 'list'], ['migrate'], ['devices', 'add', 'k1', '--name', 'K']]) {
      expectOneLine(
        await paystate(['--database', `file:${garbage}`, ...args]),
        1,
        new RegExp(`^paystate: cannot open the SQLite database ${garbage}: the file is not a SQLite database\\n$`),
      );
    }
    expect(readFileSync(garbage, 'utf8')).toMatch(/^these are my notes/);
    expectOneLine(
      await paystate(['serve', '--port', '0'], { ...ADAPTERS, DATABASE_URL: `file:${garbage}` }),
      1,
      /the file is not a SQLite database/,
    );
    expectOneLine(
      await paystate(['--database', `file:${dir}`, 'migrate']),
      1,
      new RegExp(`^paystate: cannot open the SQLite database ${dir}: `),
    );
  }, 40_000);
});

describe('commands that only read never create a database', () => {
  /** Each reads, or changes only records that would have to exist already. */
  const readers: string[][] = [
    ['orders', 'list'],
    ['orders', 'show', '6baac491-3a1c-4c55-9b8e-2f1d5e7a9c10'],
    ['devices', 'list'],
    ['devices', 'set-info', 'kiosk-1', 'Hello'],
    ['merchants', 'list'],
    ['merchants', 'accounts', 'list'],
    ['merchants', 'rename', 'lome-1', 'Chez Awa'],
    ['api-keys', 'list'],
    ['api-keys', 'revoke', 'key-1'],
    ['alerts', 'list'],
    ['alerts', 'ack', 'alert-1', '--by', 'Awa'],
    ['keys', 'rotate'],
    ['pos', 'methods', 'list', 'default'],
    ['pos', 'drawer', 'show', 'default'],
    ['pos', 'drawer', 'close', 'default', '100'],
    ['pos', 'refund', 'default', 'payment-1', '100'],
  ];

  it('a mistyped SQLite path fails in one line, and leaves no directory and no file behind', async () => {
    const dir = tempDir();
    const path = join(dir, 'typo', 'paystate.db');
    for (const args of readers) {
      expectOneLine(
        await paystate(['--database', `file:${path}`, ...args]),
        1,
        new RegExp(`^paystate: no database at ${path}; run paystate migrate first\\n$`),
      );
      expect(existsSync(join(dir, 'typo')), args.join(' ')).toBe(false);
    }
  }, 90_000);

  it('migrate creates it; then the same commands read it', async () => {
    const dir = tempDir();
    const database = `file:${join(dir, 'new', 'paystate.db')}`;
    expect((await paystate(['--database', database, 'migrate'])).stdout).toContain('migrated');
    expect(await paystate(['--database', database, 'orders', 'list'])).toMatchObject({ code: 0, stdout: '(none)\n' });
    expect(await paystate(['--database', database, 'devices', 'list', '--json'])).toMatchObject({
      code: 0,
      stdout: '[]\n',
    });
  }, 30_000);
});

describe('logs go to stderr, never into the output on stdout', () => {
  it('poll --once: stdout is the report alone; stderr is JSON lines when it is not a terminal', async () => {
    const dir = tempDir();
    const env = { ...ADAPTERS, DATABASE_URL: `file:${join(dir, 'paystate.db')}`, LOG_LEVEL: 'debug' };
    const json = await paystate(['poll', '--once', '--json'], env);
    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ due: 0, errors: 0 });
    const logLines = json.stderr.trimEnd().split('\n');
    expect(logLines.length).toBeGreaterThan(0);
    for (const line of logLines)
      expect(JSON.parse(line)).toMatchObject({ level: expect.any(Number), msg: expect.any(String) });
    expect(json.stderr).toContain('"msg":"poll cycle done"');

    const text = await paystate(['poll', '--once'], env);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^due orders: +0\n/);
    expect(text.stdout).not.toMatch(/"level"|poll cycle done/);
  }, 30_000);

  // util-linux `script` runs the command on a real pseudo-terminal: stderr is a TTY there.
  const hasScript = spawnSync('script', ['--version']).status === 0;
  it.skipIf(!hasScript)(
    'poll --once on a terminal: readable log lines on the terminal, the JSON report still alone on stdout',
    () => {
      const dir = tempDir();
      const report = join(dir, 'report.json');
      const run = spawnSync(
        'script',
        ['-qec', `"${process.execPath}" "${PAYSTATE_BIN}" poll --once --json > "${report}"`, '/dev/null'],
        {
          env: {
            PATH: process.env.PATH ?? '',
            ...ADAPTERS,
            DATABASE_URL: `file:${join(dir, 'paystate.db')}`,
            LOG_LEVEL: 'info',
          },
          stdio: ['ignore', 'pipe', 'pipe'],
          encoding: 'utf8',
          timeout: 20_000,
        },
      );
      expect(run.status, run.stdout + run.stderr).toBe(0);
      // What the terminal showed: pino-pretty's lines, no JSON object.
      expect(run.stdout).toMatch(/\[\d\d:\d\d:\d\d\.\d{3}\] INFO: poll cycle done/);
      expect(run.stdout).not.toContain('{"level"');
      expect(JSON.parse(readFileSync(report, 'utf8'))).toMatchObject({ due: 0 });
    },
    30_000,
  );
});
