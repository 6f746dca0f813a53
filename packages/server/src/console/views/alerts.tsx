import type { AlertRecord } from '../../alerts/store.js';
import { Scroll, When } from './layout.js';

/** Alerts as operators work them: what, for which order, since when, and who acknowledged it. */
export function AlertTable(props: { alerts: AlertRecord[]; now: Date; csrfToken?: string | undefined }) {
  const { alerts, now, csrfToken } = props;
  if (alerts.length === 0) return <p class="muted">No alerts.</p>;
  return (
    <Scroll label="Alerts">
      <table>
        <thead>
          <tr>
            <th scope="col">Alert</th>
            <th scope="col">Merchant</th>
            <th scope="col">Order or payment</th>
            <th scope="col">Details</th>
            <th scope="col">Raised</th>
            <th scope="col">Acknowledged</th>
          </tr>
        </thead>
        <tbody>
          {alerts.map((alert) => (
            <tr>
              <td>
                <span class="badge">{alert.kind}</span>
              </td>
              <td>{alert.merchantId ?? <span class="muted">platform</span>}</td>
              <td>
                {alert.orderId ? (
                  <a href={`/console/orders/${alert.orderId}`}>{alert.orderId.slice(0, 8)}</a>
                ) : (
                  (alert.paymentId ?? '-')
                )}
              </td>
              <td>
                <code>{JSON.stringify(alert.details)}</code>
              </td>
              <td>
                <When at={alert.createdAt} now={now} />
              </td>
              <td>
                {alert.acknowledgedAt ? (
                  <>
                    {alert.acknowledgedBy} · <When at={alert.acknowledgedAt} now={now} />
                  </>
                ) : csrfToken ? (
                  <form class="inline" method="post" action={`/console/alerts/${alert.id}/acknowledge`}>
                    <input type="hidden" name="csrf" value={csrfToken} />
                    <button class="secondary" type="submit" aria-label={`Acknowledge (${alert.kind}, ${alert.id})`}>
                      Acknowledge
                    </button>
                  </form>
                ) : (
                  <span class="warn">open</span>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </Scroll>
  );
}
