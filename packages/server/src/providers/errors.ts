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
