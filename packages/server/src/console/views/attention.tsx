import type { AlertRecord } from '../../alerts/store.js';
import type { OrderRecord } from '../../orders/store.js';
import { AlertTable } from './alerts.js';
import type { EffectView } from '../store.js';
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
    </>
  );
}
