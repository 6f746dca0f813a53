import { Hono } from 'hono';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MakeCommand } from '@paystate/core';
import { OutboundHttpError, OutboundNetworkError, OutboundTimeoutError, TmetrGateway } from '@paystate/server';
import { startOnLoopback, TmetrSandbox, type LoopbackServer } from '@paystate/sandbox';
import { failureReasonOf, isTransientFailure } from '../../packages/server/src/outbound/failures.js';

const TOKEN = 'tmetr-api-token';
const DEVICE_TOKEN = 'device-bearer-token';
const silent = pino({ level: 'silent' });

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

async function failureOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail, it succeeded');
}

interface Reported {
  path: string;
  authorization: string | undefined;
  body: unknown;
}

/** Stands in for paystate's device-result endpoint; answers each call with the next queued status. */
async function startReceiver(statuses: number[] = []): Promise<{ server: LoopbackServer; reported: Reported[] }> {
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
  return { server: await startOnLoopback(app), reported };
}

describe('TmetrGateway against TmetrSandbox on loopback', () => {
  let sandbox: TmetrSandbox;
  let server: LoopbackServer;
  let gateway: TmetrGateway;
  const extraServers: LoopbackServer[] = [];

  const gatewayWith = (overrides: Partial<{ token: string; timeoutMs: number; apiUrl: string }> = {}) =>
    new TmetrGateway({ apiUrl: server.url, token: TOKEN, timeoutMs: 500, logger: silent, ...overrides });

  async function startSandbox(options: { resultCallbackUrl?: string; deviceToken?: string; brewMs?: number } = {}) {
    sandbox = new TmetrSandbox({ token: TOKEN, ...options });
    server = await sandbox.start();
    gateway = gatewayWith();
  }

  beforeEach(async () => {
    await startSandbox();
  });
  afterEach(async () => {
    await sandbox.settled();
    await server.close();
    await Promise.all(extraServers.splice(0).map((extra) => extra.close()));
  });

  it('the command body carries device id, order id, drink id, size, price_minor and currency', async () => {
    await gateway.sendMakeCommand(command('order-1'));
    expect(sandbox.received).toEqual([
      {
        device_id: 'dev-lobby',
        order_id: 'order-1',
        drink_id: 'latte',
        size: 'L',
        price_minor: 25050,
        currency: 'RUB',
      },
    ]);
    expect([...sandbox.made.keys()]).toEqual(['order-1']);
  });

  it('a wrong token -> OutboundHttpError 401, not transient, and the device saw no command', async () => {
    const error = await failureOf(gatewayWith({ token: 'wrong-token' }).sendMakeCommand(command('order-2')));
    expect(error).toBeInstanceOf(OutboundHttpError);
    expect((error as OutboundHttpError).status).toBe(401);
    expect((error as OutboundHttpError).isTransient).toBe(false);
    expect(isTransientFailure(error)).toBe(false);
    expect(sandbox.received).toHaveLength(0);
    expect(sandbox.made.size).toBe(0);
  });

  it("mode 'reject' -> 422, not transient; the command arrived but no drink was made", async () => {
    sandbox.mode = 'reject';
    const error = await failureOf(gateway.sendMakeCommand(command('order-3')));
    expect(error).toBeInstanceOf(OutboundHttpError);
    expect((error as OutboundHttpError).status).toBe(422);
    expect(isTransientFailure(error)).toBe(false);
    expect(failureReasonOf(error)).toBe('HTTP 422');
    expect(sandbox.received.map((c) => c.order_id)).toEqual(['order-3']);
    expect(sandbox.made.size).toBe(0);
  });

  it('a command the device cannot read (empty device id) -> 400, not transient', async () => {
    const error = await failureOf(gateway.sendMakeCommand(command('order-bad', { deviceId: '' })));
    expect((error as OutboundHttpError).status).toBe(400);
    expect(isTransientFailure(error)).toBe(false);
    expect(sandbox.received).toHaveLength(0);
  });

  it('the same order sent twice is received twice but made once (the device de-duplicates on order id)', async () => {
    await gateway.sendMakeCommand(command('order-4'));
    await gateway.sendMakeCommand(command('order-4'));
    expect(sandbox.received.map((c) => c.order_id)).toEqual(['order-4', 'order-4']);
    expect(sandbox.made.size).toBe(1);
    expect(sandbox.made.get('order-4')).toMatchObject({
      device_id: 'dev-lobby',
      drink_id: 'latte',
      price_minor: 25050,
    });

    await gateway.sendMakeCommand(command('order-5'));
    expect(sandbox.received).toHaveLength(3);
    expect([...sandbox.made.keys()]).toEqual(['order-4', 'order-5']);
  });

  it('an injected delay beyond the client timeout -> OutboundTimeoutError (transient) within about the timeout', async () => {
    sandbox.faults.inject('make', { delayMs: 2000 });
    const started = performance.now();
    const error = await failureOf(gatewayWith({ timeoutMs: 200 }).sendMakeCommand(command('order-6')));
    expect(error).toBeInstanceOf(OutboundTimeoutError);
    expect(isTransientFailure(error)).toBe(true);
    expect(performance.now() - started).toBeLessThan(800);
  });

  it('an injected connection reset -> OutboundNetworkError (transient); the next call goes through', async () => {
    sandbox.faults.inject('make', { reset: true });
    const error = await failureOf(gateway.sendMakeCommand(command('order-7')));
    expect(error).toBeInstanceOf(OutboundNetworkError);
    expect(isTransientFailure(error)).toBe(true);
    expect(sandbox.received).toHaveLength(0);
    await gateway.sendMakeCommand(command('order-7'));
    expect([...sandbox.made.keys()]).toEqual(['order-7']);
  });

  it('an injected 503 -> transient OutboundHttpError', async () => {
    sandbox.faults.inject('make', { status: 503 });
    const error = await failureOf(gateway.sendMakeCommand(command('order-8')));
    expect((error as OutboundHttpError).status).toBe(503);
    expect(isTransientFailure(error)).toBe(true);
    expect(sandbox.made.size).toBe(0);
  });

  it('a sandbox that is not listening -> OutboundNetworkError', async () => {
    const url = server.url;
    await server.close();
    const error = await failureOf(gatewayWith({ apiUrl: url }).sendMakeCommand(command('order-9')));
    expect(error).toBeInstanceOf(OutboundNetworkError);
    server = await sandbox.start(); // afterEach closes it again
  });

  describe('result callback', () => {
    it('POSTs {result:"made"} to /v1/devices/:deviceId/orders/:orderId/result with the device bearer token', async () => {
      const receiver = await startReceiver();
      extraServers.push(receiver.server);
      await server.close();
      await startSandbox({ resultCallbackUrl: receiver.server.url, deviceToken: DEVICE_TOKEN });

      await gateway.sendMakeCommand(command('order-10', { deviceId: 'dev/lobby 1' }));
      await sandbox.settled();
      expect(receiver.reported).toEqual([
        {
          path: '/v1/devices/dev%2Flobby%201/orders/order-10/result',
          authorization: `Bearer ${DEVICE_TOKEN}`,
          body: { result: 'made' },
        },
      ]);
      expect(sandbox.deliveries.map((d) => d.status)).toEqual([200]);
    });

    it('reports once per made drink: a repeat or a rejected command reports nothing', async () => {
      const receiver = await startReceiver();
      extraServers.push(receiver.server);
      await server.close();
      await startSandbox({ resultCallbackUrl: receiver.server.url, deviceToken: DEVICE_TOKEN });

      await gateway.sendMakeCommand(command('order-11'));
      await gateway.sendMakeCommand(command('order-11'));
      sandbox.mode = 'reject';
      await expect(gateway.sendMakeCommand(command('order-12'))).rejects.toBeInstanceOf(OutboundHttpError);
      await sandbox.settled();
      expect(receiver.reported.map((r) => r.path)).toEqual(['/v1/devices/dev-lobby/orders/order-11/result']);
    });

    it('retries the report until the receiver answers 2xx', async () => {
      const receiver = await startReceiver([503]);
      extraServers.push(receiver.server);
      await server.close();
      await startSandbox({ resultCallbackUrl: receiver.server.url, deviceToken: DEVICE_TOKEN });

      await gateway.sendMakeCommand(command('order-13'));
      await sandbox.settled();
      expect(receiver.reported).toHaveLength(2);
      expect(sandbox.deliveries.map((d) => d.status)).toEqual([503, 200]);
    });

    it('without resultCallbackUrl nothing is reported', async () => {
      await gateway.sendMakeCommand(command('order-14'));
      await sandbox.settled();
      expect(sandbox.deliveries).toEqual([]);
    });
  });
});
