import { z } from 'zod';
import { documented, err, json, text, type OperationDoc } from '../http/openapi.js';

/** What a verified notification did: changed the order or payment, changed nothing, or was seen before. */
export const webhookAnswerSchema = z
  .strictObject({ outcome: z.enum(['applied', 'ignored', 'duplicate']) })
  .meta({ id: 'WebhookAnswer' });

/** The provider's own notification, read as raw bytes: its format is the provider's (docs/providers/). */
const notificationSchema = z.record(z.string(), z.unknown()).meta({
  id: 'ProviderNotification',
  description:
    "The provider's notification exactly as it sends it (its own fields and case); verified and parsed by the provider's adapter, never trusted for an amount or a status it did not sign.",
});

const yookassa = {
  type: 'notification',
  event: 'payment.succeeded',
  object: {
    id: '2f9a6c1e-000f-5000-9000-1b68e7b15f3f',
    status: 'succeeded',
    amount: { value: '189.00', currency: 'RUB' },
    metadata: { order_id: '6baac491-6a5e-4bd4-9c7f-2d3e0a1b5c77' },
  },
};
const tbank = {
  TerminalKey: 'TinkoffBankTest',
  OrderId: '6baac491-6a5e-4bd4-9c7f-2d3e0a1b5c77',
  Success: true,
  Status: 'CONFIRMED',
  PaymentId: 13660,
  Amount: 18900,
  Token: 'b906d2f2b7ab0b5a6b1c2f0e4f5e1c2d3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d',
};

const provider = {
  description: 'The provider code: yookassa, tbank, sumup, wave, mtn_momo or orange_money.',
  schema: z.string().regex(/^[a-z][a-z0-9_]{0,31}$/),
};

function webhook(method: 'post' | 'put', perAccount: boolean): OperationDoc {
  return {
    operationId: `${method === 'post' ? 'receive' : 'receivePut'}${perAccount ? 'AccountWebhook' : 'Webhook'}`,
    summary: perAccount
      ? `A provider's notification for a merchant's own provider account${method === 'put' ? ' (PUT, as MTN MoMo sends it)' : ''}`
      : `A provider's notification for the environment's account${method === 'put' ? ' (PUT, as MTN MoMo sends it)' : ''}`,
    description: [
      perAccount
        ? "The URL a merchant's provider account answers as `webhook_url`: verified with that account's secret, and it speaks only for payments made through that account."
        : 'The URL of the provider account configured in the environment (single-merchant set-up).',
      'The raw body is verified, then the payment is re-read from the provider where the notification is not signed. Recorded before it acts and de-duplicated; a notification whose processing failed is processed again when the provider redelivers it (every non-2xx answer asks for that).',
      method === 'put' ? 'MTN MoMo delivers its callbacks with PUT; every other provider POSTs.' : '',
    ]
      .filter(Boolean)
      .join('\n\n'),
    tags: ['Webhooks'],
    access: 'provider',
    params: perAccount
      ? { provider, accountId: "The merchant's provider account (its `id`, as in its `webhook_url`)." }
      : { provider },
    rawBody: true,
    body: {
      ...json(notificationSchema, { yookassa, tbank }),
      description: "The provider's notification, in the provider's format.",
    },
    responses: {
      200: {
        description:
          'Taken: the notification was verified and recorded (also when what it started, a make command, fails later). T-Bank, which counts a delivery only on exactly `OK`, gets that text instead.',
        content: [
          json(webhookAnswerSchema, {
            applied: { outcome: 'applied' },
            ignored: { outcome: 'ignored' },
            duplicate: { outcome: 'duplicate' },
          }),
          text('text/plain', { tbank: 'OK' }, z.literal('OK')),
        ],
      },
    },
    errors: [
      err(400, 'unknown_provider', 'no payment provider "paypal" is configured'),
      err(400, 'malformed_webhook', 'the notification has no payment id'),
      err(401, 'webhook_unverified', 'the notification signature does not match'),
      err(
        409,
        'unknown_payment',
        'no order for yookassa payment 2f9a6c1e-000f-5000-9000-1b68e7b15f3f (deliver it again)',
      ),
      err(503, 'provider_unavailable', 'could not confirm the payment with the provider; deliver again later'),
    ],
  };
}

/** POST and PUT on both webhook URLs (webhooks/routes.ts). */
export const webhookDocs = (['post', 'put'] as const).flatMap((method) =>
  [false, true].map((perAccount) => {
    const path = perAccount ? '/v1/webhooks/:provider/:accountId' : '/v1/webhooks/:provider';
    return { method, path, doc: documented(path, () => webhook(method, perAccount)) };
  }),
);
