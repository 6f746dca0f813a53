import { Hono } from 'hono';
import { z } from 'zod';
import { currencySchema, minorUnitsSchema } from '@paystate/core';
import type { Services } from '../app/services.js';
import { customerView } from './pages.js';
import { statusView } from './status-view.js';
import { idSchema, parseId, parseJsonBody } from '../http/validate.js';
import { orderDocs } from './openapi.js';

const text = (max: number) => z.string().trim().min(1).max(max);

export const createOrderSchema = z.strictObject({
  device_id: idSchema,
  product_id: text(64),
  product_name: text(120),
  size: text(32),
  price: minorUnitsSchema.positive(),
  currency: currencySchema,
  provider: z
    .string()
    .regex(/^[a-z][a-z0-9_]{0,31}$/)
    .optional(),
  /** Ticket sales mail the ticket (and a payment-failed notice) here. */
  customer_email: z.email().max(254).optional(),
});

/** An empty body is fine; mobile money needs the payer's phone (MSISDN, digits only). */
export const payOrderSchema = z.strictObject({
  payer_msisdn: z
    .string()
    .regex(/^[1-9][0-9]{7,14}$/, 'international phone number, digits only')
    .optional(),
});

/** The customer-facing order routes of docs/architecture.md section 4. */
export function orderRoutes(services: Services) {
  const { orders, store, settings } = services;
  const app = new Hono();
  const vocabulary = settings.FULFILMENT === 'tickets' ? 'tickets' : 'drinks';

  app.post('/v1/orders', orderDocs.create, async (c) => {
    const body = await parseJsonBody(c, createOrderSchema);
    const record = await orders.create({
      deviceId: body.device_id,
      productId: body.product_id,
      productName: body.product_name,
      size: body.size,
      price: { amountMinor: body.price, currency: body.currency },
      provider: body.provider ?? settings.PAYMENT_PROVIDER,
      ...(body.customer_email ? { customerEmail: body.customer_email } : {}),
    });
    return c.json(statusView(record, await store.getDevice(record.order.deviceId), vocabulary), 201);
  });

  app.post('/v1/orders/:id/pay', orderDocs.pay, async (c) => {
    const orderId = parseId(c, 'id');
    const body = await parseJsonBody(c, payOrderSchema);
    const { confirmationUrl } = await orders.pay(
      orderId,
      body.payer_msisdn === undefined ? {} : { payerMsisdn: body.payer_msisdn },
    );
    return c.json({ confirmation_url: confirmationUrl });
  });

  app.get('/v1/order-status/:id', orderDocs.status, async (c) => {
    const record = await orders.get(parseId(c, 'id'));
    c.header('Cache-Control', 'no-store');
    return c.json(await customerView(services, record, vocabulary));
  });

  return app;
}
