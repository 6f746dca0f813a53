import { formatMoney, orderStatuses } from '@paystate/core';
import type { OrderRecord } from '../../orders/store.js';
import { Scroll, When } from './layout.js';

export interface OrderQuery {
  status?: string | undefined;
  device_id?: string | undefined;
  provider?: string | undefined;
  payment_id?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
  merchant_id?: string | undefined;
}

export function OrderFilters({ query, platform }: { query: OrderQuery; platform: boolean }) {
  return (
    <form class="filters" method="get" action="/console/orders" role="search" aria-label="Filter orders">
      <label>
        Status
        <select name="status">
          <option value="">any</option>
          {orderStatuses.map((status) => (
            <option value={status} selected={query.status === status}>
              {status}
            </option>
          ))}
        </select>
      </label>
      <label>
        Device
        <input name="device_id" value={query.device_id ?? ''} size={12} />
      </label>
      <label>
        Provider
        <input name="provider" value={query.provider ?? ''} size={10} />
      </label>
      <label>
        Payment id
        <input name="payment_id" value={query.payment_id ?? ''} size={16} />
      </label>
      <label>
        From (UTC date)
        <input name="from" type="date" value={query.from ?? ''} />
      </label>
      <label>
        To (UTC date)
        <input name="to" type="date" value={query.to ?? ''} />
      </label>
      {platform ? (
        <label>
          Merchant
          <input name="merchant_id" value={query.merchant_id ?? ''} size={10} />
        </label>
      ) : null}
      <button type="submit">Filter</button>
    </form>
  );
}

export function OrderTable({ orders, now }: { orders: OrderRecord[]; now: Date }) {
  if (orders.length === 0) return <p class="muted">No orders.</p>;
  return (
    <Scroll label="Orders">
      <table>
        <thead>
          <tr>
            <th scope="col">Order</th>
            <th scope="col">Status</th>
            <th scope="col">Merchant</th>
            <th scope="col">Device</th>
            <th scope="col">Product</th>
            <th scope="col">Price</th>
            <th scope="col">Provider</th>
            <th scope="col">Created</th>
          </tr>
        </thead>
        <tbody>
          {orders.map((record) => (
            <tr>
              <td>
                <a href={`/console/orders/${record.order.orderId}`}>{record.order.orderId.slice(0, 8)}</a>
              </td>
              <td>
                <span class="badge">{record.status}</span>
              </td>
              <td>{record.merchantId}</td>
              <td>{record.order.deviceId}</td>
              <td>
                {record.order.productName} {record.order.size}
              </td>
              <td>{formatMoney(record.order.price)}</td>
              <td>
                {record.order.provider}
                {record.order.providerPaymentId ? <span class="muted"> {record.order.providerPaymentId}</span> : null}
              </td>
              <td>
                <When at={record.order.createdAt} now={now} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </Scroll>
  );
}
