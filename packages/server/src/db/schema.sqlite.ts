import { sql } from 'drizzle-orm';
import { index, integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';

// Instants are ISO-8601 UTC text of one fixed width (Date#toISOString), so they sort as they compare.

export const devices = sqliteTable('devices', {
  id: text('id').primaryKey(),
  /** The merchant the machine belongs to; its orders are that merchant's. */
  merchantId: text('merchant_id').notNull().default('default'),
  name: text('name').notNull(),
  location: text('location').notNull().default(''),
  logoUrl: text('logo_url'),
  clientInfo: text('client_info').notNull().default(''),
  /** Sanitised HTML per order status, shown on the status page as client_info_<status>. */
  clientInfoByStatus: text('client_info_by_status', { mode: 'json' })
    .$type<Record<string, string>>()
    .notNull()
    .default({}),
  createdAt: text('created_at').notNull(),
  updatedAt: text('updated_at').notNull(),
});

export const orders = sqliteTable(
  'orders',
  {
    id: text('id').primaryKey(),
    deviceId: text('device_id')
      .notNull()
      .references(() => devices.id),
    /** The device's merchant when the order was created. */
    merchantId: text('merchant_id').notNull().default('default'),
    /** The merchant's provider account the order pays through; null for the environment account. */
    providerAccountId: text('provider_account_id'),
    productId: text('product_id').notNull(),
    productName: text('product_name').notNull(),
    size: text('size').notNull(),
    priceMinor: integer('price_minor').notNull(),
    currency: text('currency').notNull(),
    provider: text('provider').notNull(),
    providerPaymentId: text('provider_payment_id'),
    confirmationUrl: text('confirmation_url'),
    status: text('status').notNull(),
    createdAt: text('created_at').notNull(),
    expiresAt: text('expires_at').notNull(),
    paymentStartedAt: text('payment_started_at'),
    nextCheckAt: text('next_check_at'),
    /**
     * Rule 5's late-money re-check of an order that ended without money; apart from
     * next_check_at because every terminal transition clears that (rule 4).
     */
    recheckAt: text('recheck_at'),
    lastCheckAt: text('last_check_at'),
    checkAttempts: integer('check_attempts').notNull().default(0),
    /** Projected from the snapshot so the stuck-order sweep never re-selects an order it already reported. */
    stuckAlerted: integer('stuck_alerted', { mode: 'boolean' }).notNull().default(false),
    /** A poller's lease on the order's current check: another poller skips it until it lapses. */
    pollClaimedBy: text('poll_claimed_by'),
    pollClaimedUntil: text('poll_claimed_until'),
    /** A `pay` call's lease while it asks the provider: one payment attempt in flight per order (docs/architecture.md section 9). */
    paymentClaimedUntil: text('payment_claimed_until'),
    failedPresentationDesc: text('failed_presentation_desc'),
    snapshot: text('snapshot', { mode: 'json' }).notNull(),
    version: integer('version').notNull(),
    updatedAt: text('updated_at').notNull(),
  },
  (table) => [
    index('orders_due_idx').on(table.status, table.nextCheckAt, table.expiresAt),
    index('orders_recheck_idx').on(table.recheckAt),
    uniqueIndex('orders_provider_payment_idx').on(table.provider, table.providerPaymentId),
    index('orders_device_idx').on(table.deviceId, table.createdAt),
  ],
);

export const orderEvents = sqliteTable(
  'order_events',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    orderId: text('order_id')
      .notNull()
      .references(() => orders.id),
    fromStatus: text('from_status'),
    toStatus: text('to_status').notNull(),
    event: text('event').notNull(),
    source: text('source').notNull(),
    applied: integer('applied', { mode: 'boolean' }).notNull(),
    at: text('at').notNull(),
    payload: text('payload', { mode: 'json' }).notNull(),
  },
  (table) => [index('order_events_order_idx').on(table.orderId, table.id)],
);

export const effects = sqliteTable(
  'effects',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    key: text('key').notNull(),
    orderId: text('order_id')
      .notNull()
      .references(() => orders.id),
    kind: text('kind').notNull(),
    payload: text('payload', { mode: 'json' }).notNull(),
    status: text('status', { enum: ['pending', 'done', 'failed', 'cancelled'] })
      .notNull()
      .default('pending'),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: text('next_attempt_at').notNull(),
    claimedBy: text('claimed_by'),
    claimedUntil: text('claimed_until'),
    lastError: text('last_error'),
    createdAt: text('created_at').notNull(),
    updatedAt: text('updated_at').notNull(),
  },
  (table) => [
    uniqueIndex('effects_key_idx').on(table.key),
    index('effects_due_idx').on(table.status, table.nextAttemptAt),
  ],
);

export const webhookInbox = sqliteTable(
  'webhook_inbox',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    provider: text('provider').notNull(),
    dedupeKey: text('dedupe_key').notNull(),
    rawBody: text('raw_body').notNull(),
    receivedAt: text('received_at').notNull(),
    outcome: text('outcome').notNull().default('received'),
    processedAt: text('processed_at'),
  },
  (table) => [uniqueIndex('webhook_inbox_dedupe_idx').on(table.provider, table.dedupeKey)],
);

/** One ticket per paid order: the unique order_id makes a second issue impossible, whatever retries. */
export const tickets = sqliteTable('tickets', {
  id: text('id').primaryKey(),
  orderId: text('order_id')
    .notNull()
    .unique('tickets_order_idx')
    .references(() => orders.id),
  eventId: text('event_id').notNull(),
  ticketType: text('ticket_type').notNull(),
  holderEmail: text('holder_email'),
  issuedAt: text('issued_at').notNull(),
  mailedAt: text('mailed_at'),
});

// Restaurant POS (docs/pos.md): per-merchant payment methods, payments with
// the core Payment machine, refunds, cash drawer sessions, and the idempotency keys of the
// create/refund endpoints. Merchants are ids (1-64 letters, digits, - or _), not a table.

/** One per provider per merchant: the unique index refuses a second Wave method for a merchant. */
export const paymentMethods = sqliteTable(
  'payment_methods',
  {
    id: text('id').primaryKey(),
    merchantId: text('merchant_id').notNull(),
    providerCode: text('provider_code').notNull(),
    /** The merchant's provider account payments through this method use; null for the environment account. */
    accountId: text('account_id'),
    displayName: text('display_name').notNull(),
    active: integer('active', { mode: 'boolean' }).notNull().default(true),
    sortOrder: integer('sort_order').notNull().default(0),
    /** Shown to payers (merchant number, QR hint); never secrets. */
    publicConfig: text('public_config', { mode: 'json' }).$type<Record<string, string>>().notNull().default({}),
    createdAt: text('created_at').notNull(),
    updatedAt: text('updated_at').notNull(),
  },
  (table) => [uniqueIndex('payment_methods_merchant_provider_idx').on(table.merchantId, table.providerCode)],
);

/** A POS payment: the Payment machine's snapshot is the truth; the other columns are projections. */
export const payments = sqliteTable(
  'payments',
  {
    id: text('id').primaryKey(),
    merchantId: text('merchant_id').notNull(),
    methodCode: text('method_code').notNull(),
    /** The provider account the payment was started with: checks and refunds use the same one. */
    providerAccountId: text('provider_account_id'),
    amountMinor: integer('amount_minor').notNull(),
    currency: text('currency').notNull(),
    status: text('status').notNull(),
    refundedMinor: integer('refunded_minor').notNull().default(0),
    description: text('description').notNull().default(''),
    providerPaymentId: text('provider_payment_id'),
    confirmationUrl: text('confirmation_url'),
    failureReason: text('failure_reason'),
    /** The till a cash payment went into. */
    drawerSessionId: text('drawer_session_id'),
    snapshot: text('snapshot', { mode: 'json' }).notNull(),
    version: integer('version').notNull(),
    /** When the poller asks the provider next (null: cash, or settled); leased by moving it forward. */
    nextCheckAt: text('next_check_at'),
    /** The payment's lifetime: past it, the provider is asked once more, then EXPIRE. */
    expiresAt: text('expires_at'),
    /** Unanswered checks in a row: backoff tiers and the stuck alert. */
    failedChecks: integer('failed_checks').notNull().default(0),
    /** A caller's lease while it asks the provider to create the payment: one attempt in flight (docs/architecture.md section 9). */
    startClaimedUntil: text('start_claimed_until'),
    createdAt: text('created_at').notNull(),
    updatedAt: text('updated_at').notNull(),
  },
  (table) => [
    index('payments_merchant_idx').on(table.merchantId, table.createdAt),
    uniqueIndex('payments_provider_payment_idx').on(table.methodCode, table.providerPaymentId),
    index('payments_next_check_idx').on(table.nextCheckAt),
  ],
);

/**
 * Refunds are movements (docs/architecture.md section 9): written (and counted by the machine) before the
 * provider is called, then claimed once for sending (requested -> sending, compare-and-set), so
 * no retry, check, callback or resume sends one twice: sending -> succeeded | failed | review.
 * The id (derived from the request's Idempotency-Key when there is one) gives the provider key.
 */
export const paymentRefunds = sqliteTable(
  'payment_refunds',
  {
    id: text('id').primaryKey(),
    paymentId: text('payment_id')
      .notNull()
      .references(() => payments.id),
    merchantId: text('merchant_id').notNull(),
    amountMinor: integer('amount_minor').notNull(),
    currency: text('currency').notNull(),
    status: text('status', { enum: ['requested', 'sending', 'succeeded', 'failed', 'review'] }).notNull(),
    reason: text('reason'),
    lastError: text('last_error'),
    /** When it was claimed for sending (requested -> sending): the start of its read-back grace. */
    sentAt: text('sent_at'),
    drawerSessionId: text('drawer_session_id'),
    /** Who asked for it: the API key's label (the cashier), or the operator ADMIN_TOKEN or the CLI named. */
    requestedBy: text('requested_by'),
    createdAt: text('created_at').notNull(),
    updatedAt: text('updated_at').notNull(),
  },
  (table) => [
    index('payment_refunds_payment_idx').on(table.paymentId, table.createdAt),
    /** A merchant's refunds of a day (the daily report). */
    index('payment_refunds_merchant_idx').on(table.merchantId, table.createdAt),
  ],
);

/** A cashier's till; at most one open session per merchant and till (partial unique index). */
export const cashDrawerSessions = sqliteTable(
  'cash_drawer_sessions',
  {
    id: text('id').primaryKey(),
    merchantId: text('merchant_id').notNull(),
    /** Several tills per merchant, each with at most one open session. */
    tillId: text('till_id').notNull().default('main'),
    currency: text('currency').notNull(),
    openingMinor: integer('opening_minor').notNull(),
    cashInMinor: integer('cash_in_minor').notNull().default(0),
    cashOutMinor: integer('cash_out_minor').notNull().default(0),
    countedMinor: integer('counted_minor'),
    openedAt: text('opened_at').notNull(),
    openedBy: text('opened_by'),
    closedAt: text('closed_at'),
    closedBy: text('closed_by'),
    /** What the cashier noted on closing (a variance explained); null when none was given. */
    closeNote: text('close_note'),
    version: integer('version').notNull(),
    updatedAt: text('updated_at').notNull(),
  },
  (table) => [
    uniqueIndex('cash_drawer_open_idx')
      .on(table.merchantId, table.tillId)
      .where(sql`closed_at is null`),
    index('cash_drawer_merchant_idx').on(table.merchantId, table.openedAt),
  ],
);

/** Every cash movement of a session: cash payments in, cash refunds out, and the cashier's own. */
export const cashDrawerMovements = sqliteTable(
  'cash_drawer_movements',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    sessionId: text('session_id')
      .notNull()
      .references(() => cashDrawerSessions.id),
    direction: text('direction', { enum: ['in', 'out'] }).notNull(),
    amountMinor: integer('amount_minor').notNull(),
    paymentId: text('payment_id'),
    refundId: text('refund_id'),
    note: text('note'),
    at: text('at').notNull(),
  },
  (table) => [index('cash_drawer_movements_session_idx').on(table.sessionId, table.id)],
);

/**
 * Idempotency-Key of POST requests, per scope (the credential; on POS routes with the merchant): claimed by an INSERT before the
 * handler runs (the unique index makes a concurrent second request a 409), then the completed
 * response is kept until expires_at and replayed for the same key.
 */
export const idempotencyKeys = sqliteTable(
  'idempotency_keys',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    /** Whose key it is: the credential, and for POS routes the merchant too (`key:<id>/<merchant>`). */
    scope: text('scope').notNull(),
    key: text('key').notNull(),
    requestHash: text('request_hash').notNull(),
    state: text('state', { enum: ['in_flight', 'done'] }).notNull(),
    responseStatus: integer('response_status'),
    responseBody: text('response_body'),
    responseContentType: text('response_content_type'),
    /** An in-flight claim lapses here (a crashed request must not hold its key for a day). */
    lockedUntil: text('locked_until'),
    createdAt: text('created_at').notNull(),
    expiresAt: text('expires_at').notNull(),
  },
  (table) => [
    uniqueIndex('idempotency_keys_scope_key_idx').on(table.scope, table.key),
    index('idempotency_keys_expires_idx').on(table.expiresAt),
  ],
);

/** Tenants: every device, order, POS payment and till belongs to one (docs/merchants.md). */
export const merchants = sqliteTable('merchants', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  /** `active` or `disabled`: a disabled merchant takes no new orders or payments; its keys are refused. */
  status: text('status').notNull().default('active'),
  createdAt: text('created_at').notNull(),
  updatedAt: text('updated_at').notNull(),
});

/**
 * API keys: shown once, stored as a SHA-256 of the secret (the secret is 256 random bits, so a
 * slow hash adds nothing) under a public lookup prefix.
 */
export const apiKeys = sqliteTable(
  'api_keys',
  {
    id: text('id').primaryKey(),
    prefix: text('prefix').notNull(),
    secretHash: text('secret_hash').notNull(),
    scope: text('scope').notNull(),
    /** Null only for platform_admin keys. */
    merchantId: text('merchant_id').references(() => merchants.id),
    /** Device keys report for this device only. */
    deviceId: text('device_id'),
    label: text('label').notNull(),
    createdAt: text('created_at').notNull(),
    lastUsedAt: text('last_used_at'),
    revokedAt: text('revoked_at'),
  },
  (table) => [
    uniqueIndex('api_keys_prefix_idx').on(table.prefix),
    index('api_keys_merchant_idx').on(table.merchantId, table.createdAt),
  ],
);

/** A merchant's own credentials at a provider, sealed with AES-256-GCM under the master key `key_id`. */
export const providerAccounts = sqliteTable(
  'provider_accounts',
  {
    id: text('id').primaryKey(),
    merchantId: text('merchant_id')
      .notNull()
      .references(() => merchants.id),
    providerCode: text('provider_code').notNull(),
    label: text('label').notNull(),
    keyId: text('key_id').notNull(),
    sealed: text('sealed').notNull(),
    createdAt: text('created_at').notNull(),
    updatedAt: text('updated_at').notNull(),
  },
  (table) => [uniqueIndex('provider_accounts_merchant_label_idx').on(table.merchantId, table.label)],
);

/** People who log in to the console with a user name and a password (scrypt), each with one scope. */
export const consoleUsers = sqliteTable(
  'console_users',
  {
    id: text('id').primaryKey(),
    username: text('username').notNull(),
    /** `scrypt$N$r$p$salt$hash`, base64 parts. */
    passwordHash: text('password_hash').notNull(),
    scope: text('scope').notNull(),
    /** Null only for platform_admin users. */
    merchantId: text('merchant_id').references(() => merchants.id),
    createdAt: text('created_at').notNull(),
    disabledAt: text('disabled_at'),
  },
  (table) => [uniqueIndex('console_users_username_idx').on(table.username)],
);

/**
 * Console sessions: the cookie carries a random token, the row its SHA-256 (a stolen database
 * gives no session), who logged in and the form token of the session. Logout deletes the row.
 */
export const consoleSessions = sqliteTable(
  'console_sessions',
  {
    id: text('id').primaryKey(),
    /** An API key's id or a console user's id: the session ends when either is revoked or disabled. */
    subject: text('subject').notNull(),
    subjectKind: text('subject_kind').notNull(),
    csrfToken: text('csrf_token').notNull(),
    createdAt: text('created_at').notNull(),
    expiresAt: text('expires_at').notNull(),
  },
  (table) => [index('console_sessions_expires_idx').on(table.expiresAt)],
);

/**
 * Every alert raised (docs/alerts.md): what, whose (null: the platform's), about which order or
 * POS payment, and who acknowledged it.
 */
export const alerts = sqliteTable(
  'alerts',
  {
    id: text('id').primaryKey(),
    kind: text('kind').notNull(),
    merchantId: text('merchant_id'),
    orderId: text('order_id'),
    paymentId: text('payment_id'),
    details: text('details', { mode: 'json' }).$type<Record<string, unknown>>().notNull(),
    createdAt: text('created_at').notNull(),
    acknowledgedAt: text('acknowledged_at'),
    acknowledgedBy: text('acknowledged_by'),
  },
  (table) => [
    index('alerts_merchant_created_idx').on(table.merchantId, table.createdAt),
    index('alerts_created_idx').on(table.createdAt),
  ],
);

/** Where a merchant's alerts go: an e-mail address, or a webhook URL with its signing secret sealed under `key_id`. */
export const alertChannels = sqliteTable(
  'alert_channels',
  {
    id: text('id').primaryKey(),
    merchantId: text('merchant_id')
      .notNull()
      .references(() => merchants.id),
    kind: text('kind').notNull(),
    target: text('target').notNull(),
    keyId: text('key_id'),
    sealedSecret: text('sealed_secret'),
    createdAt: text('created_at').notNull(),
    active: integer('active', { mode: 'boolean' }).notNull().default(true),
  },
  (table) => [index('alert_channels_merchant_idx').on(table.merchantId)],
);

/**
 * The alert outbox: one digest per channel and window (the merchant's alerts created in
 * [window_start, window_end)), sent once the window closes, retried with backoff.
 */
export const alertDeliveries = sqliteTable(
  'alert_deliveries',
  {
    id: text('id').primaryKey(),
    channelId: text('channel_id')
      .notNull()
      .references(() => alertChannels.id),
    merchantId: text('merchant_id').notNull(),
    windowStart: text('window_start').notNull(),
    windowEnd: text('window_end').notNull(),
    status: text('status', { enum: ['pending', 'sent', 'failed'] })
      .notNull()
      .default('pending'),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: text('next_attempt_at').notNull(),
    claimedUntil: text('claimed_until'),
    lastError: text('last_error'),
    createdAt: text('created_at').notNull(),
    updatedAt: text('updated_at').notNull(),
  },
  (table) => [
    uniqueIndex('alert_deliveries_channel_window_idx').on(table.channelId, table.windowStart),
    index('alert_deliveries_due_idx').on(table.status, table.nextAttemptAt),
  ],
);

/** One row that readiness (GET /readyz) rewrites: a committed write proves the disk and the write lock. */
export const readinessProbe = sqliteTable('readiness_probe', {
  id: integer('id').primaryKey(),
  checkedAt: text('checked_at').notNull(),
});
