import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { listenFailure, migrateDatabase, PaystateError, probeDatabase } from '@paystate/server';
import { databaseFailure } from '../../../packages/server/src/db/failures.js';

const PG = 'postgres://paystate:p@ss:w/rd?#1@db.internal:5432/paystate';

function withCode(code: string, message = code): Error {
  return Object.assign(new Error(message), { code });
}

let dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  dirs = [];
});
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'paystate-failures-'));
  dirs.push(dir);
  return dir;
}

describe('a database that cannot be used fails as one line naming it (db/failures.ts)', () => {
  it('tells an unreachable PostgreSQL server (kind unavailable: try again later) with the password masked', () => {
    for (const [error, why] of [
      [withCode('ECONNREFUSED', 'connect ECONNREFUSED 10.0.0.1:5432'), 'connection refused'],
      [withCode('ENOTFOUND', 'getaddrinfo ENOTFOUND db.internal'), 'host name not found'],
      [withCode('EAI_AGAIN'), 'host name lookup failed'],
      [withCode('ETIMEDOUT'), 'connection timed out'],
      [new Error('timeout expired'), 'no answer in time'],
      // localhost has two addresses: Node reports both refusals as one AggregateError.
      [new AggregateError([withCode('ECONNREFUSED'), withCode('ECONNREFUSED')], ''), 'connection refused'],
    ] as const) {
      const failure = databaseFailure(error, PG);
      expect(failure).toBeInstanceOf(PaystateError);
      expect(failure).toMatchObject({ kind: 'unavailable', code: 'database_unreachable' });
      expect(failure!.message).toContain(
        'cannot reach the PostgreSQL database postgres://paystate:********@db.internal',
      );
      expect(failure!.message).toContain(why);
      expect(failure!.message).not.toContain('w/rd');
      expect(failure!.message).not.toContain('\n');
    }
  });

  it('tells a refused login and a missing database apart from an unreachable server', () => {
    expect(databaseFailure(withCode('28P01', 'password authentication failed for user "paystate"'), PG)).toMatchObject({
      kind: 'unauthorized',
      code: 'database_refused',
    });
    expect(databaseFailure(withCode('3D000', 'database "paystate" does not exist'), PG)).toMatchObject({
      kind: 'not_found',
      code: 'database_missing',
    });
  });

  it('leaves what it does not know alone: a query error is not a connection failure', () => {
    expect(databaseFailure(withCode('23505', 'duplicate key'), PG)).toBeNull();
    expect(databaseFailure(new RangeError('boom'), 'file:./x.db')).toBeNull();
  });

  it('names the SQLite file that is not a database, or cannot be opened, by its absolute path', async () => {
    const dir = tempDir();
    const garbage = join(dir, 'garbage.db');
    writeFileSync(garbage, 'this is not a database, it is a text file long enough to have a header\n'.repeat(10));
    await expect(migrateDatabase(`file:${garbage}`)).rejects.toThrow(
      `cannot open the SQLite database ${garbage}: the file is not a SQLite database`,
    );
    await expect(migrateDatabase(`file:${dir}`)).rejects.toMatchObject({ code: 'database_unreadable' });
  });

  it('probeDatabase reads without creating: a missing SQLite file stays missing', async () => {
    const dir = tempDir();
    const path = join(dir, 'typo', 'paystate.db');
    await expect(probeDatabase(`file:${path}`)).rejects.toThrow(`no database at ${path}; run paystate migrate first`);
    await migrateDatabase(`file:${join(dir, 'ok.db')}`);
    await expect(probeDatabase(`file:${join(dir, 'ok.db')}`)).resolves.toBe('sqlite');
    expect(existsSync(join(dir, 'typo'))).toBe(false);
  });

  it('probeDatabase reports a PostgreSQL server that refuses the connection', async () => {
    const port = await closedPort();
    await expect(probeDatabase(`postgres://paystate:hunter2-secret@127.0.0.1:${port}/paystate`)).rejects.toMatchObject({
      kind: 'unavailable',
      message: expect.stringMatching(/^cannot reach the PostgreSQL database postgres:\/\/paystate:\*{8}@127\.0\.0\.1/),
    });
  });
});

describe('a port that cannot be listened on fails as one line (app/serve.ts)', () => {
  it('maps EADDRINUSE, EACCES and a foreign address; other errors pass through', () => {
    expect(listenFailure(withCode('EADDRINUSE'), '127.0.0.1', 8080)).toMatchObject({
      kind: 'conflict',
      code: 'port_in_use',
      message: 'port 8080 is already in use on 127.0.0.1',
    });
    expect(listenFailure(withCode('EACCES'), '0.0.0.0', 80)).toMatchObject({ code: 'port_forbidden' });
    expect(listenFailure(withCode('EADDRNOTAVAIL'), '10.9.9.9', 80)).toMatchObject({ code: 'host_unavailable' });
    const other = new Error('other');
    expect(listenFailure(other, '127.0.0.1', 1)).toBe(other);
  });
});

/** A loopback port nothing listens on: taken, then let go. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}
