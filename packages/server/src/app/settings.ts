import { z } from 'zod';
import { lifecycleConfigSchema, type LifecycleConfig } from '@paystate/core';
import { providerSettingsShape } from '../providers/registry.js';
import { optionalText, SettingsError } from './env.js';
import { networkList } from '../networks.js';

export { SettingsError };

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

/** What an order's lifecycle defaults to for each kind of fulfilment (docs/configuration.md, Lifecycle settings). */
export const fulfilmentDefaults = {
  tmetr: { ORDER_TTL_S: 900, AUTO_FULFIL_WINDOW: 'fast_track' },
  // A ticket buyer may pay from a phone an hour later: any success in the order's life issues it.
  tickets: { ORDER_TTL_S: 7200, AUTO_FULFIL_WINDOW: 'order_lifetime' },
  none: { ORDER_TTL_S: 900, AUTO_FULFIL_WINDOW: 'fast_track' },
} as const satisfies Record<string, Pick<LifecycleConfig, 'ORDER_TTL_S' | 'AUTO_FULFIL_WINDOW'>>;

/** Every setting of docs/architecture.md section 5, read from the environment and checked once at start-up. */
export const settingsSchema = lifecycleConfigSchema.omit({ AUTO_FULFIL_WINDOW: true }).extend({
  /** Unset: the fulfilment's default (fulfilmentDefaults). */
  ORDER_TTL_S: z.coerce.number().int().positive().optional(),
  PAYMENT_CHECK_INTERVAL_S: positiveInt(5).refine(
    (seconds) => cronFriendly(seconds),
    'use a divisor of 60 seconds or of 60 minutes (e.g. 5, 15, 30, 60, 300)',
  ),
  PAYMENT_API_TIMEOUT_S: z.coerce.number().positive().default(3),
  MAX_ORDERS_PER_CYCLE: positiveInt(100),
  POLL_CONCURRENCY: positiveInt(8),
  STUCK_AFTER_S: positiveInt(600),
  MAKE_ATTEMPTS_LIMIT: positiveInt(3),
  DATABASE_URL: z.string().default('file:./paystate.db'),
  /**
   * How long the server lets a SQLite statement wait for another process's write lock; past it
   * the request answers 503 with Retry-After (the wait blocks every request, so it stays short).
   */
  SQLITE_BUSY_TIMEOUT_MS: z.coerce.number().int().min(0).max(60_000).default(500),
  PORT: z.coerce.number().int().min(0).max(65535).default(8787),
  /** How long a client may take to send its request headers, and its whole request, before the connection is cut. */
  HTTP_HEADERS_TIMEOUT_S: z.coerce.number().positive().max(300).default(10),
  HTTP_REQUEST_TIMEOUT_S: z.coerce.number().positive().max(600).default(30),
  /** How long an idle keep-alive connection stays open. */
  HTTP_KEEP_ALIVE_TIMEOUT_S: z.coerce.number().positive().max(300).default(5),
  /** Connections held at once; beyond it new ones are closed at once, so a flood cannot take every socket. */
  HTTP_MAX_CONNECTIONS: positiveInt(1000),
  /**
   * Our own reverse proxies (comma-separated IPs or CIDR networks): only from these is
   * X-Forwarded-For believed, for the client address the YooKassa sender allowlist checks.
   */
  TRUSTED_PROXIES: optionalText.pipe(
    z
      .string()
      .superRefine((value, ctx) => {
        try {
          networkList(value.split(',').map((entry) => entry.trim()));
        } catch (error) {
          ctx.addIssue({ code: 'custom', message: `TRUSTED_PROXIES: ${(error as Error).message}` });
        }
      })
      .optional(),
  ),
  PUBLIC_URL: z.url().optional(),
  ADMIN_TOKEN: optionalText.pipe(z.string().min(16, 'ADMIN_TOKEN must be at least 16 characters').optional()),
  DEVICE_TOKEN: optionalText,
  /** Seals merchants' provider credentials: base64 32-byte keys, comma-separated, the first current (docs/merchants.md). */
  PAYSTATE_MASTER_KEY: optionalText,
  PAYMENT_PROVIDER: z.string().default('yookassa'),
  /** Each payment provider's own settings, declared in its module (providers/registry.ts lists them). */
  ...providerSettingsShape,
  /** The platform's OAuth app at SumUp, for merchants who connect their own account (docs/merchants.md). */
  SUMUP_OAUTH_CLIENT_ID: optionalText,
  SUMUP_OAUTH_CLIENT_SECRET: optionalText,
  SUMUP_OAUTH_URL: z.url().default('https://api.sumup.com'),
  TMETR_API_URL: z.url().optional(),
  TMETR_TOKEN: optionalText,
  /**
   * What a paid order sets in motion: a Tmetr make command, a ticket issued and mailed, or
   * nothing (`none`: a till that only takes POS payments; an order's make command then fails).
   */
  FULFILMENT: z.enum(['tmetr', 'tickets', 'none']).default('tmetr'),
  /** smtp://user:pass@host:587 (or smtps://); tickets and customer e-mails go through it. */
  SMTP_URL: optionalText.pipe(
    z
      .string()
      .regex(/^smtps?:\/\//, 'SMTP_URL must start with smtp:// or smtps://')
      // Never echo the value: it holds the password.
      .refine(
        (url) => URL.canParse(url),
        'SMTP_URL is not a valid URL (percent-encode special characters of the password)',
      )
      .optional(),
  ),
  MAIL_FROM: z.string().default('paystate <no-reply@localhost>'),
  /** Alerts of one merchant raised within this many seconds go out as one digest per channel (docs/alerts.md). */
  ALERT_DIGEST_WINDOW_S: z.coerce.number().nonnegative().default(60),
  /** A digest is given up (failed, logged) after this many attempts. */
  ALERT_DELIVERY_ATTEMPTS: positiveInt(8),
  /** The first retry of a digest waits this long, each next one twice as long (at most an hour). */
  ALERT_RETRY_BASE_S: z.coerce.number().positive().default(30),
  /** A webhook channel that does not answer within this is tried again. */
  ALERT_WEBHOOK_TIMEOUT_S: z.coerce.number().positive().default(5),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export type Settings = z.infer<typeof settingsSchema>;

export function loadSettings(env: Record<string, string | undefined> = process.env): Settings {
  const parsed = settingsSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new SettingsError(`invalid settings:\n  ${problems.join('\n  ')}`);
  }
  return parsed.data;
}

/** The core's settings: the fulfilment picks AUTO_FULFIL_WINDOW, and ORDER_TTL_S unless it is set. */
export function lifecycleConfigOf(settings: Settings): LifecycleConfig {
  const defaults = fulfilmentDefaults[settings.FULFILMENT];
  return lifecycleConfigSchema.parse({
    ...settings,
    ORDER_TTL_S: settings.ORDER_TTL_S ?? defaults.ORDER_TTL_S,
    AUTO_FULFIL_WINDOW: defaults.AUTO_FULFIL_WINDOW,
  });
}

export function publicUrlOf(settings: Settings): string {
  return (settings.PUBLIC_URL ?? `http://127.0.0.1:${settings.PORT}`).replace(/\/$/, '');
}

function cronFriendly(intervalS: number): boolean {
  if (intervalS < 60) return 60 % intervalS === 0;
  const minutes = intervalS / 60;
  return Number.isInteger(minutes) && minutes <= 60 && 60 % minutes === 0;
}

/** Cron has no "every N seconds" for any N, hence the divisor rule above. */
export function checkIntervalCron(intervalS: number): string {
  if (!cronFriendly(intervalS))
    throw new SettingsError(`PAYMENT_CHECK_INTERVAL_S=${intervalS} does not divide a minute or an hour`);
  return intervalS < 60 ? `*/${intervalS} * * * * *` : `0 */${intervalS / 60} * * * *`;
}
