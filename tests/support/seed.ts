import { randomUUID } from 'node:crypto';
import { createOrder, decide, ManualClock, type LifecycleConfig } from '@paystate/core';
import { migratePg, openPg } from '@paystate/server';
import { auditRowOf, orderColumnsOf, pgSchema } from '@paystate/server/testing';
import type { YooKassaSandbox } from '@paystate/sandbox';

export interface SeededOrder {
  orderId: string;
  paymentId: string;
  /** The sandbox answers `succeeded` for this one: on the fast track it becomes paid and gets a make command. */
  succeeded: boolean;
}

export interface SeedOptions {
  count: number;
  /** When every payment started (the orders' creation too). */
  paymentStartedAt: string;
  config: LifecycleConfig;
  /** The YooKassa sandbox the pollers will ask; each order's payment is registered there. */
  yookassa: YooKassaSandbox;
  /** Which orders (by index) the customer paid; the rest stay pending at the provider. */
  succeeded?: (index: number) => boolean;
  deviceId?: string;
}

const price = { amountMinor: 15_000, currency: 'RUB' };
const BATCH = 500;

/**
 * Puts `count` pending orders into a migrated PostgreSQL database quickly: each one's snapshot is
 * made by the core (createOrder, then PAYMENT_INITIATED through decide), exactly as the server
 * would have written it, and the rows go in with multi-row inserts (orders, then their audit
 * rows) instead of one transaction per order.
 */
export async function seedPendingOrders(databaseUrl: string, options: SeedOptions): Promise<SeededOrder[]> {
  const deviceId = options.deviceId ?? 'dev-multi';
  const deps = { clock: new ManualClock(options.paymentStartedAt), config: options.config };
  const { db, pool, close } = openPg(databaseUrl);
  const seeded: SeededOrder[] = [];
  try {
    await migratePg(pool);
    const now = options.paymentStartedAt;
    await db
      .insert(pgSchema.devices)
      .values({
        id: deviceId,
        name: 'Multi',
        location: '',
        logoUrl: null,
        clientInfo: '',
        clientInfoByStatus: {},
        createdAt: now,
        updatedAt: now,
      })
      .onConflictDoNothing();
    for (let start = 0; start < options.count; start += BATCH) {
      const orderRows: Array<typeof pgSchema.orders.$inferInsert> = [];
      const auditRows: Array<typeof pgSchema.orderEvents.$inferInsert> = [];
      for (let i = start; i < Math.min(options.count, start + BATCH); i++) {
        const orderId = `o-${String(i).padStart(6, '0')}-${randomUUID().slice(0, 8)}`;
        const paymentId = randomUUID();
        const created = createOrder(
          { orderId, deviceId, productId: 'latte', productName: 'Latte', size: 'M', price, provider: 'yookassa' },
          deps,
        );
        const pending = decide(created.snapshot, { type: 'PAYMENT_INITIATED', providerPaymentId: paymentId }, deps);
        if (pending.status !== 'pending') throw new Error(`seed: expected pending, got ${pending.status}`);
        orderRows.push(orderColumnsOf(pending, now));
        auditRows.push(auditRowOf(created.audit), auditRowOf(pending.audit));
        const succeeded = options.succeeded?.(i) ?? false;
        options.yookassa.payments.set(paymentId, {
          id: paymentId,
          status: succeeded ? 'succeeded' : 'pending',
          amount: price,
          refunded: { amountMinor: 0, currency: price.currency },
          description: `order ${orderId}`,
          returnUrl: `http://127.0.0.1:9/orders/${orderId}/return`,
          orderId,
          createdAt: now,
        });
        seeded.push({ orderId, paymentId, succeeded });
      }
      await db.transaction(async (tx) => {
        await tx.insert(pgSchema.orders).values(orderRows);
        await tx.insert(pgSchema.orderEvents).values(auditRows);
      });
    }
    await pool.query('analyze orders');
  } finally {
    await close();
  }
  return seeded;
}
