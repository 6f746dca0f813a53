import type { DeliveryView } from '../store.js';
import { Scroll, When } from './layout.js';

export function DeliveryTable({ deliveries, now }: { deliveries: DeliveryView[]; now: Date }) {
  if (deliveries.length === 0) return <p class="muted">No deliveries.</p>;
  return (
    <Scroll label="Deliveries">
      <table>
        <thead>
          <tr>
            <th scope="col">Delivery</th>
            <th scope="col">Provider</th>
            <th scope="col">Outcome</th>
            <th scope="col">Received</th>
            <th scope="col">Processed</th>
          </tr>
        </thead>
        <tbody>
          {deliveries.map((delivery) => (
            <tr>
              <td>
                <a href={`/console/webhooks/${delivery.id}`}>#{delivery.id}</a>
              </td>
              <td>{delivery.provider}</td>
              <td>
                <span class="badge">{delivery.outcome}</span>
              </td>
              <td>
                <When at={delivery.receivedAt} now={now} />
              </td>
              <td>
                <When at={delivery.processedAt} now={now} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </Scroll>
  );
}
