// Typechecked with `strict` against the shipped .d.ts files only (no sources in the tarballs).
import { createOrder, decide, defaultLifecycleConfig, systemClock, type Money, type OrderStatus } from '@paystate/core';
import { PaystateError, type ErrorKind } from '@paystate/server';

const price: Money = { amountMinor: 15000, currency: 'RUB' };
const deps = { clock: systemClock, config: defaultLifecycleConfig };
const created = createOrder(
  {
    orderId: 'o-1',
    deviceId: 'dev-1',
    productId: 'latte',
    productName: 'Latte',
    size: 'M',
    price,
    provider: 'yookassa',
  },
  deps,
);
const status: OrderStatus = decide(
  created.snapshot,
  { type: 'PAYMENT_INITIATED', providerPaymentId: 'p' },
  deps,
).status;
const kind: ErrorKind = new PaystateError('not_found', 'order_not_found', 'no order').kind;
// Proves the shipped types are real types, not `any` (an unresolved .d.ts would make this line compile).
// @ts-expect-error 'brewing' is not an order status
const wrong: OrderStatus = 'brewing';
export { status, kind, wrong };
