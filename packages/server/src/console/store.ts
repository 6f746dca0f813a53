import type { Scope } from '../merchants/scopes.js';

/** The console's own records (users, sessions) and the read models its pages need beyond the feature stores. */

export interface ConsoleUserRecord {
  id: string;
  username: string;
  passwordHash: string;
  scope: Scope;
  merchantId: string | null;
  createdAt: string;
  disabledAt: string | null;
}

export type SessionSubjectKind = 'key' | 'user' | 'env';

export interface ConsoleSessionRecord {
  /** SHA-256 of the cookie's token. */
  id: string;
  subject: string;
  subjectKind: SessionSubjectKind;
  csrfToken: string;
  createdAt: string;
  expiresAt: string;
}

export interface EffectView {
  id: number;
  orderId: string;
  kind: string;
  status: string;
  attempts: number;
  nextAttemptAt: string;
  lastError: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface DeliveryView {
  id: number;
  provider: string;
  outcome: string;
  receivedAt: string;
  processedAt: string | null;
  rawBody: string;
}

/** A POS refund whose outcome is not known (requested, sending) or that waits for a person (review). */
export interface OpenRefundView {
  refundId: string;
  paymentId: string;
  merchantId: string;
  amountMinor: number;
  currency: string;
  status: string;
  lastError: string | null;
  createdAt: string;
}

export interface ConsoleStore {
  /** False when the user name is taken. */
  insertUser(user: ConsoleUserRecord): Promise<boolean>;
  findUserByName(username: string): Promise<ConsoleUserRecord | null>;
  getUser(id: string): Promise<ConsoleUserRecord | null>;

  insertSession(session: ConsoleSessionRecord): Promise<void>;
  getSession(id: string): Promise<ConsoleSessionRecord | null>;
  deleteSession(id: string): Promise<void>;
  purgeSessions(now: string): Promise<number>;

  /** An order's effects, oldest first. */
  effectsOf(orderId: string): Promise<EffectView[]>;
  /** Pending and failed effects (the outbox), oldest first; one merchant's or every merchant's. */
  openEffects(merchantId: string | null, limit: number): Promise<EffectView[]>;
  /** Makes a pending or failed effect due now (the dispatcher takes it on its next pass). */
  retryEffectNow(id: number, merchantId: string | null, now: string): Promise<boolean>;
  /** POS refunds not settled, oldest first; one merchant's or every merchant's. */
  openRefunds(merchantId: string | null, limit: number): Promise<OpenRefundView[]>;
  deliveries(filter: { provider?: string; outcome?: string; limit: number }): Promise<DeliveryView[]>;
  getDelivery(id: number): Promise<DeliveryView | null>;
}
