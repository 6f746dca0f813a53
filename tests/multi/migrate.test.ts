import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { pgQuery } from '../support/inspect.js';
import { tempDatabase, type TempDatabase } from '../support/temp-db.js';

const run = promisify(execFile);
const bin = fileURLToPath(new URL('../../packages/cli/bin/paystate.js', import.meta.url));
const journal = JSON.parse(
  readFileSync(new URL('../../packages/server/drizzle/pg/meta/_journal.json', import.meta.url), 'utf8'),
) as {
  entries: unknown[];
};

let db: TempDatabase | undefined;
afterEach(async () => {
  await db?.cleanup();
  db = undefined;
});

describe('paystate migrate on PostgreSQL', () => {
  it('three processes migrating one fresh database at once all succeed, and each migration is applied once', async () => {
    db = await tempDatabase('postgres');
    const url = db.url;
    const results = await Promise.all(
      [0, 1, 2].map(() =>
        run(process.execPath, [bin, '--database', url, 'migrate'], { env: { ...process.env, DATABASE_URL: '' } }),
      ),
    );
    for (const { stdout } of results)
      expect(stdout).toMatch(/^migrated postgres:\/\/.* \(PostgreSQL, drizzle\/pg\)\n$/);
    const [applied] = await pgQuery<{ n: string }>(db, 'select count(*) as n from drizzle.__drizzle_migrations');
    expect(Number(applied?.n)).toBe(journal.entries.length);
    // And the CLI then works against it.
    expect(
      (await run(process.execPath, [bin, '--database', url, 'devices', 'add', 'kiosk-1', '--name', 'Kiosk'])).stdout,
    ).toBe('device kiosk-1 saved\n');
  }, 60_000);
});
