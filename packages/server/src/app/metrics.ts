import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { orderStatuses } from '@paystate/core';
import type { Store } from '../orders/store.js';

/** Prometheus metrics; order and outbox gauges are read from the store at scrape time. */
export class Metrics {
  readonly registry = new Registry();
  readonly httpRequests = new Counter({
    name: 'paystate_http_requests_total',
    help: 'HTTP requests by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });
  readonly webhooks = new Counter({
    name: 'paystate_webhooks_total',
    help: 'Webhook deliveries by provider and outcome',
    labelNames: ['provider', 'outcome'] as const,
    registers: [this.registry],
  });
  private readonly orders = new Gauge({
    name: 'paystate_orders',
    help: 'Orders by status',
    labelNames: ['status'] as const,
    registers: [this.registry],
  });
  private readonly pendingEffects = new Gauge({
    name: 'paystate_effects_pending',
    help: 'Outbox effects not yet performed',
    registers: [this.registry],
  });

  constructor(private readonly store: Store) {
    collectDefaultMetrics({ register: this.registry, prefix: 'paystate_' });
  }

  async collect(): Promise<Registry> {
    const counts = await this.store.countOrdersByStatus();
    for (const status of orderStatuses) this.orders.set({ status }, counts[status] ?? 0);
    this.pendingEffects.set(await this.store.countPendingEffects());
    return this.registry;
  }
}
