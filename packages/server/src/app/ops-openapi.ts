import { z } from 'zod';
import { documented, err, json, text } from '../http/openapi.js';

/** GET /livez, /readyz (and /healthz), /metrics (app/ops-routes.ts). */
export const opsDocs = {
  live: documented('/livez', () => ({
    operationId: 'getLiveness',
    summary: 'Liveness: the process answers',
    description:
      'Answers 200 while the process runs its event loop, without touching the database: restart the process only when this fails.',
    tags: ['Ops'],
    access: 'public',
    responses: {
      200: {
        description: 'The process answers.',
        content: json(z.strictObject({ status: z.literal('ok') }), { ok: { status: 'ok' } }),
      },
    },
  })),
  ready: readiness('/readyz', 'getReadiness', 'Readiness: a committed write'),
  health: readiness('/healthz', 'getHealth', 'Readiness (the older name of /readyz)'),
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

function readiness(path: '/readyz' | '/healthz', operationId: string, summary: string) {
  return documented(path, () => ({
    operationId,
    summary,
    description:
      'Answers 200 once one row was written and committed: the database is reachable, its write lock can be taken within the busy budget (SQLITE_BUSY_TIMEOUT_MS) and its disk takes writes. 503 `database_busy` (with Retry-After) while another process holds the write lock, 503 `database_full` when the disk is full: send no traffic here until it answers 200 again.',
    tags: ['Ops'],
    access: 'public',
    responses: {
      200: {
        description: 'The process can do its work: it just wrote to its database.',
        content: json(z.strictObject({ status: z.literal('ok') }), { ok: { status: 'ok' } }),
      },
    },
    errors: [
      err(503, 'database_busy', 'the database is busy; try again in a moment'),
      err(500, 'internal_error', 'something went wrong on our side; nothing was changed'),
    ],
  }));
}
