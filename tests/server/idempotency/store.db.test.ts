import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '@paystate/core';
import { loadSettings, openDatabase, type IdempotencyStore, type Store } from '@paystate/server';
import { tempDatabase, testBackend, type TempDatabase } from '../../support/temp-db.js';

const clock = new ManualClock('2026-03-01T09:00:00.000Z');

describe(`the ${testBackend} Idempotency-Key store on a real database`, () => {
  let temp: TempDatabase;
  let store: Store;
  let keys: IdempotencyStore;

  beforeEach(async () => {
    clock.set('2026-03-01T09:00:00.000Z');
    temp = await tempDatabase();
    ({ store, idempotency: keys } = openDatabase(loadSettings({ DATABASE_URL: temp.url, LOG_LEVEL: 'silent' }), clock));
    await store.ready();
  });
  afterEach(async () => {
    await store.close();
    await temp.cleanup();
  });

  const claim = (key: string, requestHash = 'h1', scope = 'm1') => {
    const now = clock.now();
    return keys.claimIdempotencyKey({
      scope,
      key,
      requestHash,
      now: now.toISOString(),
      expiresAt: new Date(now.getTime() + 86_400_000).toISOString(),
      lockedUntil: new Date(now.getTime() + 60_000).toISOString(),
    });
  };

  it('claimed, then in flight, mismatch for another request, replay once complete; per scope', async () => {
    expect(await claim('k1')).toEqual({ outcome: 'claimed' });
    expect(await claim('k1')).toEqual({ outcome: 'in_flight' });
    expect(await claim('k1', 'h2')).toEqual({ outcome: 'mismatch' });
    expect(await claim('k1', 'h1', 'm2')).toEqual({ outcome: 'claimed' });
    await keys.completeIdempotencyKey('m1', 'k1', { status: 201, body: '{"a":1}', contentType: 'application/json' });
    expect(await claim('k1')).toEqual({
      outcome: 'replay',
      response: { status: 201, body: '{"a":1}', contentType: 'application/json' },
    });
    expect(await claim('k1', 'h2')).toEqual({ outcome: 'mismatch' });
  });

  it('a released key may be claimed again; an expired one, or an abandoned in-flight claim, is taken over', async () => {
    await claim('k2');
    await keys.releaseIdempotencyKey('m1', 'k2');
    expect(await claim('k2', 'other')).toEqual({ outcome: 'claimed' });

    await keys.completeIdempotencyKey('m1', 'k2', { status: 200, body: 'x', contentType: null });
    clock.advance(86_399);
    expect((await claim('k2', 'other')).outcome).toBe('replay');
    clock.advance(1);
    expect(await claim('k2', 'third')).toEqual({ outcome: 'claimed' });

    await claim('k3');
    clock.advance(59);
    expect(await claim('k3')).toEqual({ outcome: 'in_flight' });
    clock.advance(1);
    expect(await claim('k3')).toEqual({ outcome: 'claimed' });
  });

  it('of many concurrent claims of one key exactly one wins', async () => {
    const outcomes = await Promise.all(Array.from({ length: 10 }, () => claim('k4')));
    expect(outcomes.filter((o) => o.outcome === 'claimed')).toHaveLength(1);
    expect(outcomes.filter((o) => o.outcome === 'in_flight')).toHaveLength(9);
  });

  it('purges expired keys', async () => {
    await claim('k5');
    await keys.completeIdempotencyKey('m1', 'k5', { status: 200, body: '{}', contentType: null });
    expect(await keys.purgeIdempotencyKeys(clock.now().toISOString())).toBe(0);
    clock.advance(86_400);
    expect(await keys.purgeIdempotencyKeys(clock.now().toISOString())).toBe(1);
  });
});
