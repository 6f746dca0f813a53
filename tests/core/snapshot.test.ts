import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decide, defaultLifecycleConfig, ManualClock, parseOrderSnapshot, SnapshotFormatError } from '@paystate/core';
import { historyArb, OrderHarness } from './support.js';

describe('persisted order snapshots', () => {
  it('continue identically after a JSON round-trip at any point of any history', () => {
    fc.assert(
      fc.property(historyArb(20), fc.nat(), (history, cutAt) => {
        const live = new OrderHarness(history.order, history.config);
        const cut = history.steps.length === 0 ? 0 : cutAt % history.steps.length;
        history.steps.forEach((step, index) => {
          live.advance(step.advance);
          const fromMemory = live.send(step.input);
          if (index < cut) return;
          const restored = decide(JSON.stringify(live.history.at(-2)!.snapshot), step.input, live.deps);
          expect(restored).toEqual(fromMemory);
        });
      }),
      { numRuns: 200 },
    );
  });

  it('a snapshot written by one process restores in another and goes on', () => {
    const script = fileURLToPath(new URL('./fixtures/persist-order.ts', import.meta.url));
    const stored = execFileSync(process.execPath, ['--conditions=paystate-source', '--import', 'tsx', script], {
      encoding: 'utf8',
    });
    const clock = new ManualClock('2026-03-01T09:00:30.000Z');
    const next = decide(
      stored,
      {
        type: 'PAYMENT_OBSERVED',
        source: 'webhook',
        status: 'succeeded',
        amount: { amountMinor: 25050, currency: 'RUB' },
      },
      { clock, config: defaultLifecycleConfig },
    );
    expect(next.status).toBe('paid');
    expect(next.order.productName).toBe('Латте');
    expect(next.effects.map((e) => e.effect.type)).toEqual(['MAKE_COMMAND']);
    expect(next.snapshot.revision).toBe(2);
  });

  it('refuses a snapshot of another format version or a corrupted one', () => {
    const h = new OrderHarness({
      orderId: 'o-v',
      deviceId: 'dev-1',
      productId: 'p',
      productName: 'P',
      size: 'S',
      price: { amountMinor: 100, currency: 'RUB' },
      provider: 'yookassa',
    });
    const good = h.decision.snapshot;
    expect(parseOrderSnapshot(JSON.stringify(good))).toEqual(good);
    expect(() => parseOrderSnapshot({ ...good, format: 2 })).toThrow(SnapshotFormatError);
    expect(() => parseOrderSnapshot({ ...good, state: { ...good.state, value: 'teleported' } })).toThrow(
      SnapshotFormatError,
    );
    const floatPrice = { ...good.state.context, price: { amountMinor: 1.5, currency: 'RUB' } };
    expect(() => parseOrderSnapshot({ ...good, state: { ...good.state, context: floatPrice } })).toThrow(
      SnapshotFormatError,
    );
  });
});
