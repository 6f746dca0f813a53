import { z } from 'zod';
import { documented, err, json, text } from '../http/openapi.js';

/** GET /healthz and GET /metrics (app/ops-routes.ts). */
export const opsDocs = {
  health: documented('/healthz', () => ({
    operationId: 'getHealth',
    summary: 'Liveness, with a query to the database',
    description:
      'Answers 200 once the database answered a query; anything else (a 500, a timeout) means this process cannot do its work.',
    tags: ['Ops'],
    access: 'public',
    responses: {
      200: {
        description: 'The process and its database answer.',
        content: json(z.strictObject({ status: z.literal('ok') }), { ok: { status: 'ok' } }),
      },
    },
    errors: [err(500, 'internal_error', 'something went wrong on our side; nothing was changed')],
  })),
  metrics: documented('/metrics', () => ({
    operationId: 'getMetrics',
    summary: 'Prometheus metrics',
    description:
      'The Prometheus text format: `paystate_http_requests_total` (method, route, status), `paystate_webhooks_total` (provider, outcome; a provider paystate does not know is labelled `unknown`), `paystate_orders` (status), `paystate_effects_pending`, and the process metrics prefixed `paystate_`.',
    tags: ['Ops'],
    access: 'public',
    responses: {
      200: {
        description: 'The metrics, in the Prometheus text exposition format 0.0.4.',
        content: text('text/plain', {
          excerpt:
            '# HELP paystate_webhooks_total Webhook deliveries by provider and outcome\n# TYPE paystate_webhooks_total counter\npaystate_webhooks_total{provider="yookassa",outcome="applied"} 3\n',
        }),
      },
    },
  })),
};
