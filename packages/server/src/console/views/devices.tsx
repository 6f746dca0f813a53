import { raw } from 'hono/html';
import { sanitizeClientInfo } from '../../devices/client-info.js';
import type { ApiKeyRecord } from '../../merchants/store.js';
import type { Device } from '../../orders/store.js';
import { Scroll, When } from './layout.js';

/** Only https logos are stored (the admin API refuses others); anything else is not drawn. */
function Logo({ device }: { device: Device }) {
  if (!device.logoUrl || !device.logoUrl.startsWith('https://')) return <span class="muted">no logo</span>;
  return (
    <img
      src={device.logoUrl}
      alt={`Logo of ${device.name}`}
      width={48}
      height={48}
      loading="lazy"
      referrerpolicy="no-referrer"
    />
  );
}

/**
 * Client info as the status page shows it, and its source. It was sanitised when it was written
 * (devices/admin-routes.ts); it is sanitised again here with the same rules before `raw`, so the
 * console never trusts a stored string (a row written by another path, an older rule).
 */
function ClientInfo({ html }: { html: string }) {
  if (!html) return <span class="muted">none</span>;
  return (
    <div class="client-info">
      <div>{raw(sanitizeClientInfo(html))}</div>
      <pre>{html}</pre>
    </div>
  );
}

export function DeviceTable(props: {
  devices: Device[];
  keys: ApiKeyRecord[];
  now: Date;
  href: (device: Device) => string;
}) {
  const { devices, keys, now, href } = props;
  if (devices.length === 0) return <p class="muted">No devices.</p>;
  return (
    <Scroll label="Devices">
      <table>
        <thead>
          <tr>
            <th scope="col">Device</th>
            <th scope="col">Merchant</th>
            <th scope="col">Location</th>
            <th scope="col">Logo</th>
            <th scope="col">Device keys</th>
            <th scope="col">Updated</th>
          </tr>
        </thead>
        <tbody>
          {devices.map((device) => {
            const live = keys.filter((key) => key.deviceId === device.id && key.revokedAt === null);
            return (
              <tr>
                <td>
                  <a href={href(device)}>{device.name}</a> <span class="muted">({device.id})</span>
                </td>
                <td>{device.merchantId}</td>
                <td>{device.location || <span class="muted">-</span>}</td>
                <td>
                  <Logo device={device} />
                </td>
                <td>
                  {live.length === 0 ? (
                    <span class="muted">none</span>
                  ) : (
                    live.map((key) => <code>psk_{key.prefix}_… </code>)
                  )}
                </td>
                <td>
                  <When at={device.updatedAt} now={now} />
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </Scroll>
  );
}

export function DeviceDetail(props: { device: Device; keys: ApiKeyRecord[]; now: Date }) {
  const { device, keys, now } = props;
  const statuses = Object.entries(device.clientInfoByStatus).filter(([, html]) => typeof html === 'string');
  return (
    <>
      <Scroll label="Device">
        <table>
          <tbody>
            <tr>
              <th scope="row">Name, id</th>
              <td>
                {device.name} <span class="muted">({device.id})</span>
              </td>
            </tr>
            <tr>
              <th scope="row">Merchant</th>
              <td>{device.merchantId}</td>
            </tr>
            <tr>
              <th scope="row">Location</th>
              <td>{device.location || <span class="muted">-</span>}</td>
            </tr>
            <tr>
              <th scope="row">Logo</th>
              <td>
                <Logo device={device} />
              </td>
            </tr>
            <tr>
              <th scope="row">Created, updated</th>
              <td>
                <When at={device.createdAt} now={now} /> · <When at={device.updatedAt} now={now} />
              </td>
            </tr>
          </tbody>
        </table>
      </Scroll>
      <h2>Client info on the status page</h2>
      <Scroll label="Client info">
        <table>
          <thead>
            <tr>
              <th scope="col">Order status</th>
              <th scope="col">Shown (and its source)</th>
            </tr>
          </thead>
          <tbody>
            <tr>
              <td>every status without its own</td>
              <td>
                <ClientInfo html={device.clientInfo} />
              </td>
            </tr>
            {statuses.map(([status, html]) => (
              <tr>
                <td>{status}</td>
                <td>
                  <ClientInfo html={html ?? ''} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </Scroll>
      <h2>Device keys</h2>
      <KeyTable keys={keys} now={now} />
    </>
  );
}

export function KeyTable({ keys, now }: { keys: ApiKeyRecord[]; now: Date }) {
  if (keys.length === 0) return <p class="muted">This device has no key.</p>;
  return (
    <Scroll label="Device keys">
      <table>
        <thead>
          <tr>
            <th scope="col">Key</th>
            <th scope="col">Label</th>
            <th scope="col">Created</th>
            <th scope="col">Last used</th>
            <th scope="col">Revoked</th>
          </tr>
        </thead>
        <tbody>
          {keys.map((key) => (
            <tr>
              <td>
                <code>psk_{key.prefix}_…</code>
              </td>
              <td>{key.label}</td>
              <td>
                <When at={key.createdAt} now={now} />
              </td>
              <td>
                <When at={key.lastUsedAt} now={now} />
              </td>
              <td>{key.revokedAt ? <When at={key.revokedAt} now={now} /> : <span class="ok">live</span>}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </Scroll>
  );
}

export function RotateKeyForm(props: { device: Device; action: string; csrfToken: string; live: number }) {
  return (
    <form method="post" action={props.action} aria-label="Rotate the device key">
      <p>
        {props.live === 0
          ? `Issues a device key for ${props.device.name} (it has no live key now).`
          : `Issues a new device key for ${props.device.name} and revokes its ${props.live} live key${props.live === 1 ? '' : 's'} at once: the machine reports nothing until it has the new one.`}
      </p>
      <input type="hidden" name="csrf" value={props.csrfToken} />
      <p>
        <label>
          <span>
            <input type="checkbox" name="confirm" value="yes" required /> Revoke the old key and issue a new one
          </span>
        </label>
      </p>
      <p>
        <button type="submit">Rotate device key</button>
      </p>
    </form>
  );
}

/** The new key, once: it is stored only as a digest. (`key` is JSX's own prop, hence `secret`.) */
export function NewKey({ device, secret, back }: { device: Device; secret: string; back: string }) {
  return (
    <>
      <p class="notice" role="status">
        The old keys of {device.name} are revoked. This is its new key: copy it into the machine now, it is not shown
        again.
      </p>
      <pre>{secret}</pre>
      <p>
        <a href={back}>Back to the device</a>
      </p>
    </>
  );
}
