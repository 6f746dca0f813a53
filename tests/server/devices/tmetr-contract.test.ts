import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import type { MakeCommand } from '@paystate/core';
import { OutboundHttpError, TmetrGateway } from '@paystate/server';
import { TmetrSandbox, type TmetrSandboxOptions } from '@paystate/sandbox';
import { failureReasonOf, isTransientFailure } from '../../../packages/server/src/outbound/failures.js';
import { failureOf, providerContract, type AdapterOptions } from '../../support/provider-contract.js';

const TOKEN = 'tmetr-api-token';
const DEVICE_TOKEN = 'device-bearer-token';

function command(orderId: string, overrides: Partial<MakeCommand> = {}): MakeCommand {
  return {
    deviceId: 'dev-lobby',
    orderId,
    productId: 'latte',
    size: 'L',
    price: { amountMinor: 25050, currency: 'RUB' },
    ...overrides,
  };
}

interface Reported {
  path: string;
  authorization: string | undefined;
  body: unknown;
}

describe('TmetrGateway against TmetrSandbox on loopback', () => {
  const ctx = providerContract({
    name: 'Tmetr',
    sandbox: (options?: Omit<TmetrSandboxOptions, 'token'>) => new TmetrSandbox({ token: TOKEN, ...options }),
    adapterFor: (options: AdapterOptions<typeof TmetrGateway>) => new TmetrGateway({ token: TOKEN, ...options }),
    settle: (sandbox) => sandbox.settled(),
    calls: [
      {
        name: 'sendMakeCommand',
        route: 'make',
        prepare: async () => (gateway) => gateway.sendMakeCommand(command('order-call')),
        // The commands the device took in, and the drinks it started.
        effects: (sandbox) => [sandbox.received.length, sandbox.made.size],
      },
    ],
    wrongCredentials: [{ label: 'a wrong token', overrides: { token: 'wrong-token' }, status: 401 }],
  });

  /** Stands in for paystate's device-result endpoint (answering each call with the next queued status); the sandbox restarts to report to it. */
  async function startReceiver(statuses: number[] = []): Promise<{ url: string; reported: Reported[] }> {
    const reported: Reported[] = [];
    const app = new Hono();
    app.post('*', async (c) => {
      reported.push({
        path: new URL(c.req.url).pathname,
        authorization: c.req.header('authorization'),
        body: await c.req.json(),
      });
      return c.json({ ok: true }, (statuses.shift() ?? 200) as 200);
    });
    const { url } = await ctx.serve(app);
    await ctx.restart({ resultCallbackUrl: url, deviceToken: DEVICE_TOKEN });
    return { url, reported };
  }

  it('the command body carries device id, order id, drink id, size, price_minor and currency', async () => {
    await ctx.adapter.sendMakeCommand(command('order-1'));
    expect(ctx.sandbox.received).toEqual([
      {
        device_id: 'dev-lobby',
        order_id: 'order-1',
        drink_id: 'latte',
        size: 'L',
        price_minor: 25050,
        currency: 'RUB',
      },
    ]);
    expect([...ctx.sandbox.made.keys()]).toEqual(['order-1']);
  });

  it("mode 'reject' -> 422, not transient; the command arrived but no drink was made", async () => {
    ctx.sandbox.mode = 'reject';
    const error = await failureOf(ctx.adapter.sendMakeCommand(command('order-3')));
    expect(error).toBeInstanceOf(OutboundHttpError);
    expect((error as OutboundHttpError).status).toBe(422);
    expect(isTransientFailure(error)).toBe(false);
    expect(failureReasonOf(error)).toBe('HTTP 422');
    expect(ctx.sandbox.received.map((c) => c.order_id)).toEqual(['order-3']);
    expect(ctx.sandbox.made.size).toBe(0);
  });

  it('a command the device cannot read (empty device id) -> 400, not transient', async () => {
    const error = await failureOf(ctx.adapter.sendMakeCommand(command('order-bad', { deviceId: '' })));
    expect((error as OutboundHttpError).status).toBe(400);
    expect(isTransientFailure(error)).toBe(false);
    expect(ctx.sandbox.received).toHaveLength(0);
  });

  it('the same order sent twice is received twice but made once (the device de-duplicates on order id)', async () => {
    await ctx.adapter.sendMakeCommand(command('order-4'));
    await ctx.adapter.sendMakeCommand(command('order-4'));
    expect(ctx.sandbox.received.map((c) => c.order_id)).toEqual(['order-4', 'order-4']);
    expect(ctx.sandbox.made.size).toBe(1);
    expect(ctx.sandbox.made.get('order-4')).toMatchObject({
      device_id: 'dev-lobby',
      drink_id: 'latte',
      price_minor: 25050,
    });

    await ctx.adapter.sendMakeCommand(command('order-5'));
    expect(ctx.sandbox.received).toHaveLength(3);
    expect([...ctx.sandbox.made.keys()]).toEqual(['order-4', 'order-5']);
  });

  describe('result callback', () => {
    it('POSTs {result:"made"} to /v1/devices/:deviceId/orders/:orderId/result with the device bearer token', async () => {
      const receiver = await startReceiver();
      await ctx.adapter.sendMakeCommand(command('order-10', { deviceId: 'dev/lobby 1' }));
      await ctx.sandbox.settled();
      expect(receiver.reported).toEqual([
        {
          path: '/v1/devices/dev%2Flobby%201/orders/order-10/result',
          authorization: `Bearer ${DEVICE_TOKEN}`,
          body: { result: 'made' },
        },
      ]);
      expect(ctx.sandbox.deliveries.map((d) => d.status)).toEqual([200]);
    });

    it('reports once per made drink: a repeat or a rejected command reports nothing', async () => {
      const receiver = await startReceiver();
      await ctx.adapter.sendMakeCommand(command('order-11'));
      await ctx.adapter.sendMakeCommand(command('order-11'));
      ctx.sandbox.mode = 'reject';
      await expect(ctx.adapter.sendMakeCommand(command('order-12'))).rejects.toBeInstanceOf(OutboundHttpError);
      await ctx.sandbox.settled();
      expect(receiver.reported.map((r) => r.path)).toEqual(['/v1/devices/dev-lobby/orders/order-11/result']);
    });

    it('retries the report until the receiver answers 2xx', async () => {
      const receiver = await startReceiver([503]);
      await ctx.adapter.sendMakeCommand(command('order-13'));
      await ctx.sandbox.settled();
      expect(receiver.reported).toHaveLength(2);
      expect(ctx.sandbox.deliveries.map((d) => d.status)).toEqual([503, 200]);
    });

    it('without resultCallbackUrl nothing is reported', async () => {
      await ctx.adapter.sendMakeCommand(command('order-14'));
      await ctx.sandbox.settled();
      expect(ctx.sandbox.deliveries).toEqual([]);
    });
  });
});
