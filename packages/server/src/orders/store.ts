import type { AuditEntry, Effect, OrderContext, OrderDecision, OrderInput, OrderStatus } from '@paystate/core';
import type { StoreLifecycle } from '../db/lifecycle.js';

export interface Device {
  id: string;
  merchantId: string;
  name: string;
  location: string;
  logoUrl: string | null;
  clientInfo: string;
  clientInfoByStatus: Partial<Record<OrderStatus, string>>;
  createdAt: string;
  updatedAt: string;
}

export type DeviceInput = Pick<Device, 'id' | 'name' | 'location' | 'logoUrl' | 'clientInfo' | 'clientInfoByStatus'> & {
  /** `default` when absent: single-merchant set-ups never name one. */
  merchantId?: string;
};

export interface OrderRecord {
  status: OrderStatus;
  order: OrderContext;
  version: number;
  confirmationUrl: string | null;
  updatedAt: string;
  /** The merchant whose device took the order. */
  merchantId: string;
  /** The merchant's provider account the order pays through; null for the environment account. */
  providerAccountId: string | null;
}

/** Who an order belongs to, fixed when it is created. */
export interface OrderOwner {
  merchantId: string;
  providerAccountId: string | null;
}

export const DEFAULT_MERCHANT = 'default';

export interface AuditRow extends AuditEntry {
  id: number;
}

export interface OrderFilter {
  /** One merchant's orders; every merchant's when absent. */
  merchantId?: string;
  status?: OrderStatus;
  deviceId?: string;
  provider?: string;
  providerPaymentId?: string;
  createdBefore?: string;
  createdAtOrAfter?: string;
  limit: number;
}

export interface StoredEffect {
  id: number;
  key: string;
  orderId: string;
  effect: Effect;
  attempts: number;
}

export interface WebhookDelivery {
  id: number;
  duplicate: boolean;
}

/**
 * Persistence of the order side, split by concern so that a consumer depends on what it uses;
 * one adapter per dialect (store.sqlite.ts, store.pg.ts) implements them all as `Store`, so
 * SQLite (embedded default) and PostgreSQL (several instances) run the same server.
 */

/** The machines that take an order: looked up by id when an order is created for one. */
export interface DeviceStore {
  /** Null when the id belongs to another merchant's device (nothing is changed then). */
  upsertDevice(device: DeviceInput): Promise<Device | null>;
  getDevice(id: string): Promise<Device | null>;
  /** One merchant's devices, or every merchant's. */
  listDevices(merchantId?: string): Promise<Device[]>;
  deleteDevice(id: string): Promise<'deleted' | 'not_found' | 'in_use'>;
}

/** Orders and their audit trail. Every state change goes through `applyEvent`. */
export interface OrderStore {
  insertOrder(created: OrderDecision, owner: OrderOwner): Promise<void>;
  getOrder(id: string): Promise<OrderRecord | null>;
  findOrderByPayment(provider: string, providerPaymentId: string): Promise<OrderRecord | null>;
  listOrders(filter: OrderFilter): Promise<OrderRecord[]>;
  orderEvents(orderId: string): Promise<AuditRow[]>;
  countOrdersByStatus(): Promise<Partial<Record<OrderStatus, number>>>;
  /**
   * Loads the order, decides, and writes snapshot, projected columns, audit row and effects
   * in one transaction; a lost version race retries from a fresh load. Null: no such order.
   */
  applyEvent(orderId: string, input: OrderInput, columns?: { confirmationUrl?: string }): Promise<OrderDecision | null>;

  /**
   * Leases a `created` order's payment start to one caller until `leaseUntil`, so that a single
   * provider payment is created per order (docs/architecture.md section 9); the next transition ends the lease.
   * False: another call holds it, or the order is no longer `created`.
   */
  claimPaymentStart(orderId: string, now: string, leaseUntil: string): Promise<boolean>;
  /** Gives the lease back after a provider call that created nothing for certain (a refusal, a timeout). */
  releasePaymentStart(orderId: string): Promise<void>;
}

/** The poller's work list: orders whose check, re-check, expiry or stuck alert is due. */
export interface OrderScheduleStore {
  /**
   * Claims pending orders of the given providers whose check is due, that have not expired and
   * that no other poller holds, oldest due first. The claim is a lease: a poller that dies
   * mid-check gives its orders back when `leaseUntil` passes.
   */
  claimDueOrders(
    workerId: string,
    now: string,
    leaseUntil: string,
    providers: readonly string[],
    limit: number,
  ): Promise<OrderRecord[]>;
  /**
   * Claims orders that ended without money and whose late-money re-check (recheck_at, rule 5)
   * is due, of the given providers, earliest first, under the same lease as due checks.
   */
  claimDueRechecks(
    workerId: string,
    now: string,
    leaseUntil: string,
    providers: readonly string[],
    limit: number,
  ): Promise<OrderRecord[]>;
  /** Orders still waiting for money (created or pending) whose expiry has passed. */
  expiredOrderIds(now: string, limit: number): Promise<string[]>;
  /** Orders pending, or paid without a make outcome, since before `since` and not yet reported as stuck. */
  stuckOrderIds(since: string, limit: number): Promise<string[]>;
}

/** The outbox: effects written with their transition, performed after it committed. */
export interface OutboxStore {
  claimDueEffects(workerId: string, now: string, leaseUntil: string, limit: number): Promise<StoredEffect[]>;
  completeEffect(id: number, now: string): Promise<void>;
  retryEffect(id: number, error: string, nextAttemptAt: string, now: string): Promise<void>;
  failEffect(id: number, error: string, now: string): Promise<void>;
  /** Ends an effect that no longer applies (its order moved on) without performing it. */
  cancelEffect(id: number, reason: string, now: string): Promise<void>;
  countPendingEffects(): Promise<number>;
  /** Whether an effect of this order (a refund, say) is still to be performed. */
  hasPendingEffects(orderId: string): Promise<boolean>;
}

/** Provider notifications, recorded before they are acted on and de-duplicated by key. */
export interface WebhookInbox {
  recordWebhookDelivery(
    provider: string,
    dedupeKey: string,
    rawBody: string,
    receivedAt: string,
  ): Promise<WebhookDelivery>;
  finishWebhookDelivery(id: number, outcome: string, at: string): Promise<void>;
}

/** Readiness (GET /readyz): one committed write, so a full disk or a held write lock shows. */
export interface ReadinessProbe {
  probeWrite(at: string): Promise<void>;
}

/** Everything the order side persists, on one database: what an adapter implements and the runtime opens. */
export type Store = StoreLifecycle &
  DeviceStore &
  OrderStore &
  OrderScheduleStore &
  OutboxStore &
  WebhookInbox &
  ReadinessProbe;

export class ConcurrentUpdateError extends Error {
  override readonly name = 'ConcurrentUpdateError';
}
