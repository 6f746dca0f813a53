import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { openAlerts, loadSettings } from '@paystate/server';
import { paystate } from '../support/cli.js';
import { tempDatabaseUrl } from '../support/temp-db.js';

let cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  cleanups = [];
});

describe('paystate alerts (real binary, temporary database)', () => {
  it('lists alerts (a merchant, the open ones, JSON) and acknowledges one by name', async () => {
    const temp = tempDatabaseUrl();
    cleanups.push(temp.cleanup);
    const db = ['--database', temp.url];
    const opened = await openAlerts(loadSettings({ DATABASE_URL: temp.url }), pino({ level: 'silent' }));
    const stuck = await opened.alerts.record('stuck', { merchantId: 'lome-1', paymentId: 'pay-1', failedChecks: 5 });
    const platform = await opened.alerts.record('provider_unreachable', { provider: 'wave' });
    await opened.close();

    const all = JSON.parse((await paystate([...db, 'alerts', 'list', '--json'])).stdout) as Array<{ id: string }>;
    expect(all.map((a) => a.id).sort()).toEqual([stuck.id, platform.id].sort());
    const mine = JSON.parse((await paystate([...db, 'alerts', 'list', '--merchant', 'lome-1', '--json'])).stdout);
    expect(mine).toEqual([
      expect.objectContaining({
        id: stuck.id,
        kind: 'stuck',
        merchant_id: 'lome-1',
        payment_id: 'pay-1',
        // Recorded as the raiser said it, printed in snake_case like every answer.
        details: { merchant_id: 'lome-1', payment_id: 'pay-1', failed_checks: 5 },
      }),
    ]);

    const acked = await paystate([...db, 'alerts', 'ack', stuck.id, '--by', 'maria']);
    expect(acked).toMatchObject({ code: 0 });
    expect(acked.stdout).toContain(`alert ${stuck.id} acknowledged by maria`);
    const open = JSON.parse((await paystate([...db, 'alerts', 'list', '--open', '--json'])).stdout) as Array<{
      id: string;
    }>;
    expect(open.map((a) => a.id)).toEqual([platform.id]);
    const table = await paystate([...db, 'alerts', 'list']);
    expect(table.stdout).toContain('maria');
    expect(table.stdout).toContain('provider_unreachable');

    const unknown = await paystate([...db, 'alerts', 'ack', 'no-such-alert', '--by', 'maria']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('no-such-alert');
  }, 30_000);
});
