import { adminQuery, PG_ADMIN_URL, PG_TEMP_PREFIX } from './temp-db.js';

/** Temporary databases older than this are leftovers of a run that was killed: dropped at start. */
const STALE_AFTER_MS = 6 * 3600_000;

/**
 * Global set-up of the `postgres` test project: the server must be there (nothing is skipped
 * without it: .ci/run starts it), and leftovers of killed runs are dropped. Databases of a run
 * going on beside this one are young and left alone.
 */
export default async function setup(): Promise<void> {
  try {
    await adminQuery('select 1');
  } catch (error) {
    throw new Error(
      `the postgres test project needs PostgreSQL at ${PG_ADMIN_URL} (set PAYSTATE_TEST_PG_URL to use another); ` +
        `start the local one with: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start (${String(error)})`,
    );
  }
  const { rows } = await adminQuery('select datname from pg_database where datname like $1', [`${PG_TEMP_PREFIX}%`]);
  for (const { datname } of rows as Array<{ datname: string }>) {
    const created = Number(datname.slice(PG_TEMP_PREFIX.length).split('_')[0]);
    if (Number.isFinite(created) && Date.now() - created > STALE_AFTER_MS) {
      await adminQuery(`drop database if exists ${datname} with (force)`);
    }
  }
}
