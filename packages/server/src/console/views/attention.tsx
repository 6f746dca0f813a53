import type { AlertRecord } from '../../alerts/store.js';
import type { OrderRecord } from '../../orders/store.js';
import { AlertTable } from './alerts.js';
import { formatMoney } from '@paystate/core';
import type { EffectView, OpenRefundView } from '../store.js';
import { Scroll, When } from './layout.js';
import { EffectTable } from './order.js';
import { OrderTable } from './orders.js';

export interface Attention {
  alerts: AlertRecord[];
  manualMake: OrderRecord[];
  makeFailed: OrderRecord[];
  review: OrderRecord[];
  stuck: OrderRecord[];
  /** Refunds not known to be done: pending or failed REFUND effects. */
  refunds: EffectView[];
  /** POS refunds requested, being sent, or in review. */
  posRefunds: OpenRefundView[];
  /** Where a POS payment's page is. */
  paymentHref: (refund: OpenRefundView) => string;
}

/** Everything that waits for a person, with counts and ages. */
export function AttentionPage(props: { attention: Attention; now: Date; csrfToken?: string | undefined }) {
  const { attention, now, csrfToken } = props;
  const sections = [
    ['Paid too late: make by hand (manual_make)', attention.manualMake],
    ['The machine did not make it (make_failed)', attention.makeFailed],
    ['Needs review (requires_manual_review)', attention.review],
    ['Stuck: no answer for a long time', attention.stuck],
  ] as const;
  return (
    <>
      <div class="cards">
        {sections.map(([title, orders]) => (
          <div class="card">
            <strong>{orders.length}</strong>
            {title}
          </div>
        ))}
        <div class="card">
          <strong>{attention.refunds.length}</strong>
          Refunds not known to be done
        </div>
        <div class="card">
          <strong>{attention.posRefunds.length}</strong>
          POS refunds open or in review
        </div>
        <div class="card">
          <strong>{attention.alerts.length}</strong>
          Open alerts
        </div>
      </div>
      <section>
        <h2>
          Open alerts <span class="badge">{attention.alerts.length}</span>
        </h2>
        <AlertTable alerts={attention.alerts} now={now} csrfToken={csrfToken} />
      </section>
      {sections.map(([title, orders]) => (
        <section>
          <h2>
            {title} <span class="badge">{orders.length}</span>
          </h2>
          <OrderTable orders={orders} now={now} />
        </section>
      ))}
      <section>
        <h2>
          Refunds of unknown outcome <span class="badge">{attention.refunds.length}</span>
        </h2>
        <EffectTable effects={attention.refunds} now={now} />
      </section>
      <section>
        <h2>
          POS refunds open or in review <span class="badge">{attention.posRefunds.length}</span>
        </h2>
        {attention.posRefunds.length === 0 ? (
          <p class="muted">None.</p>
        ) : (
          <Scroll label="POS refunds">
            <table>
              <thead>
                <tr>
                  <th scope="col">Payment</th>
                  <th scope="col">Merchant</th>
                  <th scope="col">Amount</th>
                  <th scope="col">Status</th>
                  <th scope="col">Last error</th>
                  <th scope="col">Requested</th>
                </tr>
              </thead>
              <tbody>
                {attention.posRefunds.map((refund) => (
                  <tr>
                    <td>
                      <a href={attention.paymentHref(refund)}>{refund.paymentId.slice(0, 8)}</a>
                    </td>
                    <td>{refund.merchantId}</td>
                    <td>{formatMoney({ amountMinor: refund.amountMinor, currency: refund.currency })}</td>
                    <td>
                      <span class="badge">{refund.status}</span>
                    </td>
                    <td>{refund.lastError ?? ''}</td>
                    <td>
                      <When at={refund.createdAt} now={now} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </Scroll>
        )}
      </section>
    </>
  );
}
