import type { ZodType } from 'zod';

/** The delivery is not authentic (bad signature, stale timestamp, sender outside the allowed networks). */
export class WebhookVerificationError extends Error {
  override readonly name = 'WebhookVerificationError';
}

/** The delivery is authentic enough to read but not a notification we understand. */
export class WebhookParseError extends Error {
  override readonly name = 'WebhookParseError';
}

/** The provider reported a status no mapping table knows: never guessed. */
export class UnknownProviderStatusError extends Error {
  override readonly name = 'UnknownProviderStatusError';
}

/**
 * The provider offers no API for this refund (Orange Money web payments, MTN MoMo collections,
 * a partial Wave refund): it is final, never retried, and the order goes to manual review.
 */
export class RefundNotSupportedError extends Error {
  override readonly name = 'RefundNotSupportedError';
  constructor(
    readonly provider: string,
    reason: string,
  ) {
    super(`${provider} cannot refund through its API: ${reason}; refund the customer by hand`);
  }
}

/** The payment cannot be requested without something the customer must supply (a phone number). */
export class PayerDetailsRequiredError extends Error {
  override readonly name: string = 'PayerDetailsRequiredError';
}

/**
 * A notification body parsed by its schema (`data`), with the JSON as it came (`json`, kept as
 * the raw record); anything else is a WebhookParseError naming what was expected.
 */
export function parseNotification<T>(
  rawBody: string,
  schema: ZodType<T>,
  expected: string,
): { data: T; json: unknown } {
  let json: unknown;
  try {
    json = JSON.parse(rawBody);
  } catch {
    throw new WebhookParseError(`${expected}: the body is not JSON`);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success)
    throw new WebhookParseError(`not ${expected}: ${parsed.error.issues[0]?.message ?? 'unexpected shape'}`);
  return { data: parsed.data, json };
}

/**
 * A provider status through its adapter's table. Own keys only, so a status such as
 * "constructor" is unknown rather than something inherited; an unknown one is never guessed.
 */
export function mapStatus<T>(table: Readonly<Record<string, T>>, key: string, what: string): T {
  const mapped = Object.hasOwn(table, key) ? table[key] : undefined;
  if (mapped === undefined) throw new UnknownProviderStatusError(`${what} is not known`);
  return mapped;
}
