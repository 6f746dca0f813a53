import { expectedMinor, formatMoney, varianceMinor } from '@paystate/core';
import { decimalOf, type ReportRow } from '../../pos/report.js';
import type {
  DrawerMovement,
  DrawerRecord,
  PaymentMethodRecord,
  PaymentRecord,
  RefundRecord,
} from '../../pos/store.js';
import { Scroll, When } from './layout.js';

/** A signed amount (a variance, a net), exact, with its currency; negative ones stand out. */
export function Signed({ minor, currency, plus }: { minor: number | bigint; currency: string; plus?: boolean }) {
  const value = BigInt(minor);
  const text = `${plus && value > 0n ? '+' : ''}${decimalOf(value, currency)} ${currency}`;
  return value < 0n ? <span class="warn">{text}</span> : <span>{text}</span>;
}

const money = (amountMinor: number, currency: string) => formatMoney({ amountMinor, currency });

export interface MethodRow {
  method: PaymentMethodRecord;
  available: boolean;
  /** The provider account's label, when the method has one of the merchant's own. */
  accountLabel: string | null;
}

export function MethodTable({ rows }: { rows: MethodRow[] }) {
  if (rows.length === 0) return <p class="muted">No payment methods.</p>;
  return (
    <Scroll label="Payment methods">
      <table>
        <thead>
          <tr>
            <th scope="col">Method</th>
            <th scope="col">Shown as</th>
            <th scope="col">Account</th>
            <th scope="col">Active</th>
            <th scope="col">Available here</th>
            <th scope="col">Order</th>
          </tr>
        </thead>
        <tbody>
          {rows.map(({ method, available, accountLabel }) => (
            <tr>
              <td>{method.providerCode}</td>
              <td>{method.displayName}</td>
              <td>
                {method.accountId ? (
                  <>
                    {accountLabel ?? method.accountId} <span class="muted">({method.accountId})</span>
                  </>
                ) : (
                  <span class="muted">{method.providerCode === 'cash' ? 'none needed' : "the server's account"}</span>
                )}
              </td>
              <td>{method.active ? 'yes' : <span class="muted">no</span>}</td>
              <td>{available ? <span class="ok">yes</span> : <span class="warn">no: no credentials</span>}</td>
              <td>{method.sortOrder}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </Scroll>
  );
}

export function DrawerTable(props: { drawers: DrawerRecord[]; now: Date; href: (sessionId: string) => string }) {
  const { drawers, now, href } = props;
  if (drawers.length === 0) return <p class="muted">No till was opened yet.</p>;
  return (
    <Scroll label="Till sessions">
      <table>
        <thead>
          <tr>
            <th scope="col">Till</th>
            <th scope="col">Status</th>
            <th scope="col">Opened</th>
            <th scope="col">Opening</th>
            <th scope="col">Expected</th>
            <th scope="col">Counted</th>
            <th scope="col">Variance</th>
            <th scope="col">Closed</th>
            <th scope="col">Note</th>
          </tr>
        </thead>
        <tbody>
          {drawers.map((drawer) => {
            const variance = varianceMinor(drawer);
            return (
              <tr>
                <td>
                  <a href={href(drawer.sessionId)}>{drawer.tillId}</a>
                </td>
                <td>
                  <span class="badge">{drawer.closedAt === null ? 'open' : 'closed'}</span>
                </td>
                <td>
                  <When at={drawer.openedAt} now={now} />
                  {drawer.openedBy ? <span class="muted"> by {drawer.openedBy}</span> : null}
                </td>
                <td>{money(drawer.openingMinor, drawer.currency)}</td>
                <td>{money(expectedMinor(drawer), drawer.currency)}</td>
                <td>
                  {drawer.countedMinor === null ? (
                    <span class="muted">-</span>
                  ) : (
                    money(drawer.countedMinor, drawer.currency)
                  )}
                </td>
                <td>
                  {variance === null ? (
                    <span class="muted">-</span>
                  ) : (
                    <Signed minor={variance} currency={drawer.currency} plus />
                  )}
                </td>
                <td>
                  <When at={drawer.closedAt} now={now} />
                  {drawer.closedBy ? <span class="muted"> by {drawer.closedBy}</span> : null}
                </td>
                <td>{drawer.closeNote ?? <span class="muted">-</span>}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </Scroll>
  );
}

/** One session: its figures, and every movement of cash. */
export function DrawerDetail(props: { drawer: DrawerRecord; movements: DrawerMovement[]; now: Date }) {
  const { drawer, movements, now } = props;
  const variance = varianceMinor(drawer);
  const row = (label: string, value: unknown) => (
    <tr>
      <th scope="row">{label}</th>
      <td>{value}</td>
    </tr>
  );
  return (
    <>
      <Scroll label="Till session">
        <table>
          <tbody>
            {row('Till', drawer.tillId)}
            {row('Status', <span class="badge">{drawer.closedAt === null ? 'open' : 'closed'}</span>)}
            {row(
              'Opened',
              <>
                <When at={drawer.openedAt} now={now} /> {drawer.openedBy ? `by ${drawer.openedBy}` : ''}
              </>,
            )}
            {row('Opening', money(drawer.openingMinor, drawer.currency))}
            {row('Cash in', money(drawer.cashInMinor, drawer.currency))}
            {row('Cash out', money(drawer.cashOutMinor, drawer.currency))}
            {row('Expected', money(expectedMinor(drawer), drawer.currency))}
            {row(
              'Counted',
              drawer.countedMinor === null ? (
                <span class="muted">not yet</span>
              ) : (
                money(drawer.countedMinor, drawer.currency)
              ),
            )}
            {row(
              'Variance',
              variance === null ? (
                <span class="muted">-</span>
              ) : (
                <Signed minor={variance} currency={drawer.currency} plus />
              ),
            )}
            {row(
              'Closed',
              <>
                <When at={drawer.closedAt} now={now} /> {drawer.closedBy ? `by ${drawer.closedBy}` : ''}
              </>,
            )}
            {row('Closing note', drawer.closeNote ?? <span class="muted">none</span>)}
          </tbody>
        </table>
      </Scroll>
      <h2>Movements</h2>
      {movements.length === 0 ? (
        <p class="muted">No cash moved in this session.</p>
      ) : (
        <Scroll label="Movements">
          <table>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Direction</th>
                <th scope="col">Amount</th>
                <th scope="col">Why</th>
              </tr>
            </thead>
            <tbody>
              {movements.map((movement) => (
                <tr>
                  <td>
                    <When at={movement.at} now={now} />
                  </td>
                  <td>{movement.direction}</td>
                  <td>{money(movement.amountMinor, drawer.currency)}</td>
                  <td>{why(movement) || <span class="muted">-</span>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </Scroll>
      )}
    </>
  );
}

/** What a movement was: a sale, a refund of a sale, or the cashier's own (with its note). */
function why(movement: DrawerMovement): string {
  const short = (id: string | null) => (id ?? '?').slice(0, 8);
  const parts: string[] = [];
  if (movement.refundId) parts.push(`refund ${short(movement.refundId)} of payment ${short(movement.paymentId)}`);
  else if (movement.paymentId) parts.push(`payment ${short(movement.paymentId)}`);
  if (movement.note) parts.push(movement.note);
  return parts.join(' · ');
}

export function CloseTillForm(props: {
  drawer: DrawerRecord;
  action: string;
  cancel: string;
  csrfToken: string;
  counted?: string | undefined;
  note?: string | undefined;
}) {
  const { drawer, action, cancel, csrfToken } = props;
  return (
    <form method="post" action={action} aria-label="Close till">
      <p>
        Till <strong>{drawer.tillId}</strong> should hold {money(expectedMinor(drawer), drawer.currency)}. Count the
        cash, enter what you counted; the variance is recorded with your name.
      </p>
      <input type="hidden" name="csrf" value={csrfToken} />
      <label>
        Counted cash ({drawer.currency})
        <input name="counted" required inputmode="decimal" pattern="[0-9]+([.][0-9]+)?" value={props.counted ?? ''} />
      </label>
      <label>
        Note (why the cash differs, anything the next shift should know)
        <textarea name="note" maxlength={1000} rows={3} cols={50}>
          {props.note ?? ''}
        </textarea>
      </label>
      <p>
        <label class="check">
          <span>
            <input type="checkbox" name="confirm" value="yes" required /> I counted the cash and close this till
          </span>
        </label>
      </p>
      <p>
        <button type="submit">Close till</button> <a href={cancel}>Cancel</a>
      </p>
    </form>
  );
}

export function DayRangeForm(props: { action: string; from: string; to: string; merchantId: string | null }) {
  return (
    <form class="filters" method="get" action={props.action} role="search" aria-label="Pick days">
      <label>
        From (UTC date)
        <input name="from" type="date" value={props.from} />
      </label>
      <label>
        To (UTC date)
        <input name="to" type="date" value={props.to} />
      </label>
      {props.merchantId ? <input type="hidden" name="merchant_id" value={props.merchantId} /> : null}
      <button type="submit">Show</button>
    </form>
  );
}

export function PaymentTable(props: {
  payments: PaymentRecord[];
  refunds: RefundRecord[];
  now: Date;
  /** Where a payment's own page is (its refunds and the refund form). */
  hrefOf?: (paymentId: string) => string;
}) {
  const { payments, refunds, now, hrefOf } = props;
  if (payments.length === 0) return <p class="muted">No payments on these days.</p>;
  return (
    <Scroll label="Payments">
      <table>
        <thead>
          <tr>
            <th scope="col">Payment</th>
            <th scope="col">Method</th>
            <th scope="col">Amount</th>
            <th scope="col">Status</th>
            <th scope="col">Refunds</th>
            <th scope="col">Description</th>
            <th scope="col">Created</th>
          </tr>
        </thead>
        <tbody>
          {payments.map((payment) => {
            const own = refunds.filter((refund) => refund.paymentId === payment.paymentId);
            return (
              <tr>
                <td>
                  {hrefOf ? (
                    <a href={hrefOf(payment.paymentId)}>{payment.paymentId.slice(0, 8)}</a>
                  ) : (
                    <code>{payment.paymentId.slice(0, 8)}</code>
                  )}
                </td>
                <td>{payment.methodCode}</td>
                <td>{formatMoney(payment.amount)}</td>
                <td>
                  <span class="badge">{payment.status}</span>
                </td>
                <td>
                  {own.length === 0 ? (
                    <span class="muted">none</span>
                  ) : (
                    <ul>
                      {own.map((refund) => (
                        <li>
                          {formatMoney(refund.amount)} <span class="badge">{refund.status}</span>
                          {refund.requestedBy ? <span class="muted"> by {refund.requestedBy}</span> : null}
                          {refund.reason ? <span class="muted"> ({refund.reason})</span> : null}
                        </li>
                      ))}
                    </ul>
                  )}
                </td>
                <td>{payment.description}</td>
                <td>
                  <When at={payment.createdAt} now={now} />
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </Scroll>
  );
}

export function ReportTable({ rows }: { rows: ReportRow[] }) {
  if (rows.length === 0) return <p class="muted">No sales or refunds on this day.</p>;
  return (
    <Scroll label="Daily report">
      <table>
        <thead>
          <tr>
            <th scope="col">Method</th>
            <th scope="col">Currency</th>
            <th scope="col">Sales</th>
            <th scope="col">Gross</th>
            <th scope="col">Refunds</th>
            <th scope="col">Refunded</th>
            <th scope="col">Net</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr>
              <td>{r.method}</td>
              <td>{r.currency}</td>
              <td>{r.count}</td>
              <td>
                {decimalOf(r.grossMinor, r.currency)} {r.currency}
              </td>
              <td>{r.refundCount}</td>
              <td>
                {decimalOf(r.refundsMinor, r.currency)} {r.currency}
              </td>
              <td>
                <Signed minor={r.netMinor} currency={r.currency} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </Scroll>
  );
}

/** A refund of part or all of a POS payment, confirmed, with its reason; the key makes a double submit one refund. */
export function RefundForm(props: {
  payment: PaymentRecord;
  action: string;
  csrfToken: string;
  requestKey: string;
  refundableMinor: number;
}) {
  const { payment, action, csrfToken, requestKey, refundableMinor } = props;
  return (
    <form method="post" action={action}>
      <input type="hidden" name="csrf" value={csrfToken} />
      <input type="hidden" name="request_key" value={requestKey} />
      <p>Up to {formatMoney({ amountMinor: refundableMinor, currency: payment.amount.currency })} can be refunded.</p>
      <label>
        Amount ({payment.amount.currency})
        <input name="amount" inputmode="decimal" required size={10} />
      </label>
      <label>
        Reason (required)
        <textarea name="reason" required minlength={3} maxlength={500} rows={2} cols={40}></textarea>
      </label>
      <label class="check">
        <span>
          <input type="checkbox" name="confirm" value="yes" required /> I give this money back to the payer
        </span>
      </label>
      <p>
        <button type="submit">Refund</button>
      </p>
    </form>
  );
}
