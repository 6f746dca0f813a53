import { Hono, type Context } from 'hono';
import type { Services } from '../app/services.js';
import { notFound } from '../errors.js';
import { idSchema } from '../http/validate.js';
import { actsFor } from '../merchants/scopes.js';
import type { ApiKeyRecord } from '../merchants/store.js';
import type { Device } from '../orders/store.js';
import { canDo, merchantOf, Refusal, render, requireConsoleScope } from './scoped.js';
import { DeviceDetail, DeviceTable, NewKey, RotateKeyForm } from './views/devices.js';

/**
 * The console's device pages under /console/devices (docs/console.md): the merchant's machines
 * with location, logo and client info per status, their device keys, and a key rotation that
 * revokes the device's keys and issues one new key, shown once. A platform operator sees every
 * merchant's devices (or one merchant's with `?merchant_id=`); another merchant's device is 404.
 */
export function devicePages(services: Services) {
  const { store, merchants } = services;
  const app = new Hono();
  const now = () => services.pos.clock.now();

  /** The keys of a device: its merchant's keys that name it. */
  const keysOf = async (device: Device): Promise<ApiKeyRecord[]> =>
    (await merchants.listKeys(device.merchantId)).filter((key) => key.deviceId === device.id);

  const devicePath = (device: Device, to = '') => `/console/devices/${device.id}${to}`;

  app.get('/', async (c) => {
    const merchantId = await merchantOf(c, services);
    const devices = await store.listDevices(merchantId ?? undefined);
    const keys = (await merchants.listKeys(merchantId)).filter((key) => key.scope === 'device');
    return render(
      c,
      200,
      merchantId ? `Devices of ${merchantId}` : 'Devices of every merchant',
      <DeviceTable devices={devices} keys={keys} now={now()} href={(device) => devicePath(device)} />,
    );
  });

  app.get('/:id', async (c) => {
    const device = await ownDevice(c);
    const keys = await keysOf(device);
    const { csrfToken } = c.get('consoleSession');
    return render(
      c,
      200,
      `Device ${device.name}`,
      <>
        <DeviceDetail device={device} keys={keys} now={now()} />
        {canDo(c, 'merchant_admin') ? (
          <>
            <h2>Rotate the device key</h2>
            <RotateKeyForm
              device={device}
              action={devicePath(device, '/rotate-key')}
              csrfToken={csrfToken}
              live={keys.filter((key) => key.revokedAt === null).length}
            />
          </>
        ) : null}
        <p>
          <a href="/console/devices">All devices</a>
        </p>
      </>,
    );
  });

  app.post('/:id/rotate-key', async (c) => {
    requireConsoleScope(c, 'merchant_admin');
    const device = await ownDevice(c);
    const form = await c.req.parseBody();
    const { csrfToken } = c.get('consoleSession');
    if (form.confirm !== 'yes') {
      const keys = await keysOf(device);
      return render(
        c,
        400,
        `Device ${device.name}`,
        <>
          <Refusal message="Tick the box to confirm the rotation." />
          <RotateKeyForm
            device={device}
            action={devicePath(device, '/rotate-key')}
            csrfToken={csrfToken}
            live={keys.filter((key) => key.revokedAt === null).length}
          />
        </>,
      );
    }
    const old = (await keysOf(device)).filter((key) => key.revokedAt === null);
    // The new key first: a failure leaves the machine with its old key rather than with none.
    const issued = await merchants.issueKey({
      scope: 'device',
      merchantId: device.merchantId,
      deviceId: device.id,
      label: old[0]?.label ?? `device ${device.id}`,
    });
    for (const key of old) await merchants.revokeKey(key.id);
    return render(
      c,
      200,
      `New key for ${device.name}`,
      <NewKey device={device} secret={issued.key} back={devicePath(device)} />,
    );
  });

  /** Another merchant's device does not exist for this operator. */
  async function ownDevice(c: Context): Promise<Device> {
    const id = idSchema.safeParse(c.req.param('id'));
    if (!id.success) throw notFound('device', String(c.req.param('id')));
    const device = await store.getDevice(id.data);
    if (!device || !actsFor(c.get('consoleSession').principal, device.merchantId)) throw notFound('device', id.data);
    return device;
  }

  return app;
}
