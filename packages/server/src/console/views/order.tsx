import { formatMoney, orderStatuses } from '@paystate/core';
import type { AuditRow, OrderRecord } from '../../orders/store.js';
import type { EffectView } from '../store.js';
import { Scroll, When } from './layout.js';

export const ORDER_ACTIONS = {
  mark_made: 'Mark made',
  refund: 'Refund in full',
  resolve: 'Resolve (money checked, nothing to do)',
  verify: 'Verify with the provider now',
} as const;
export type OrderAction = keyof typeof ORDER_ACTIONS;

/** The lifecycle's states in their order, the order's own marked (aria-current). */
function Lifecycle({ status }: { status: string }) {
  return (
    <ol class="states" aria-label="Lifecycle">
      {orderStatuses.map((state) => (
        <li aria-current={state === status ? 'step' : undefined}>{state}</li>
      ))}
    </ol>
  );
}

export function OrderDetail(props: { record: OrderRecord; events: AuditRow[]; effects: EffectView[]; now: Date }) {
  const { record, events, effects, now } = props;
  const o = record.order;
  return (
    <>
      <Lifecycle status={record.status} />
      <Scroll label="Order summary">
        <table>
          <tbody>
            <tr>
              <th scope="row">Status</th>
              <td>
                <span class="badge">{record.status}</span>
              </td>
            </tr>
            <tr>
              <th scope="row">Merchant, device</th>
              <td>
                {record.merchantId}, {o.deviceId}
              </td>
            </tr>
            <tr>
              <th scope="row">Product</th>
              <td>
                {o.productName} {o.size} · {formatMoney(o.price)}
              </td>
            </tr>
            <tr>
              <th scope="row">Provider payment</th>
              <td>
                {o.provider} {o.providerPaymentId ?? <span class="muted">none yet</span>}
                {record.providerAccountId ? <span class="muted"> (account {record.providerAccountId})</span> : null}
              </td>
            </tr>
            <tr>
              <th scope="row">Created, expires</th>
              <td>
                <When at={o.createdAt} now={now} /> · <When at={o.expiresAt} now={now} />
              </td>
            </tr>
          </tbody>
        </table>
      </Scroll>
      <h2>Actions</h2>
      <p>
        {(Object.keys(ORDER_ACTIONS) as OrderAction[]).map((action) => (
          <>
            <a href={`/console/orders/${o.orderId}/actions/${action}`}>{ORDER_ACTIONS[action]}</a>{' '}
          </>
        ))}
      </p>
      <h2>Timeline</h2>
      <Scroll label="Timeline">
        <table>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Event</th>
              <th scope="col">From → to</th>
              <th scope="col">Source</th>
              <th scope="col">Details</th>
            </tr>
          </thead>
          <tbody>
            {events.map((event) => (
              <tr>
                <td>
                  <When at={event.at} now={now} />
                </td>
                <td>
                  {event.event}
                  {event.applied ? null : <span class="muted"> (not applied)</span>}
                </td>
                <td>
                  {event.from ?? '-'} → {event.to}
                </td>
                <td>{event.source}</td>
                <td>
                  <code>{JSON.stringify(event.payload)}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </Scroll>
      <h2>Effects and money movements</h2>
      <EffectTable effects={effects} now={now} />
    </>
  );
}

export function EffectTable({ effects, now, csrfToken }: { effects: EffectView[]; now: Date; csrfToken?: string }) {
  if (effects.length === 0) return <p class="muted">None.</p>;
  return (
    <Scroll label="Effects">
      <table>
        <thead>
          <tr>
            <th scope="col">Effect</th>
            <th scope="col">Order</th>
            <th scope="col">Status</th>
            <th scope="col">Attempts</th>
            <th scope="col">Next attempt</th>
            <th scope="col">Last error</th>
            {csrfToken ? <th scope="col">Retry</th> : null}
          </tr>
        </thead>
        <tbody>
          {effects.map((effect) => (
            <tr>
              <td>{effect.kind}</td>
              <td>
                <a href={`/console/orders/${effect.orderId}`}>{effect.orderId.slice(0, 8)}</a>
              </td>
              <td>
                <span class="badge">{effect.status}</span>
              </td>
              <td>{effect.attempts}</td>
              <td>{effect.status === 'pending' ? <When at={effect.nextAttemptAt} now={now} /> : '-'}</td>
              <td>{effect.lastError ?? ''}</td>
              {csrfToken ? (
                <td>
                  <form class="inline" method="post" action={`/console/outbox/${effect.id}/retry`}>
                    <input type="hidden" name="csrf" value={csrfToken} />
                    <button class="secondary" type="submit" aria-label={`Retry now (effect ${effect.id})`}>
                      Retry now
                    </button>
                  </form>
                </td>
              ) : null}
            </tr>
          ))}
        </tbody>
      </table>
    </Scroll>
  );
}

/** The confirmation step of an action: a required note, then the action (no JavaScript needed). */
export function ConfirmAction(props: { record: OrderRecord; action: OrderAction; csrfToken: string }) {
  const { record, action, csrfToken } = props;
  return (
    <form method="post" action={`/console/orders/${record.order.orderId}/actions/${action}`}>
      <p>
        {ORDER_ACTIONS[action]} for order <code>{record.order.orderId}</code> ({record.status},{' '}
        {formatMoney(record.order.price)})?
      </p>
      <input type="hidden" name="csrf" value={csrfToken} />
      <label>
        Note (required: why, what you checked)
        <textarea name="note" required minlength={3} maxlength={1000} rows={3} cols={50}></textarea>
      </label>
      <p>
        <button type="submit">Confirm: {ORDER_ACTIONS[action]}</button>{' '}
        <a href={`/console/orders/${record.order.orderId}`}>Cancel</a>
      </p>
    </form>
  );
}
