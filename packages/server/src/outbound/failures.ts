import { OutboundHttpError, OutboundNetworkError, OutboundTimeoutError } from './client.js';
import { MailDeliveryError } from '../notifications/mailer.js';

/**
 * A timeout or a dropped connection leaves the outcome unknown, and a 5xx or 429 may pass:
 * those are asked again. A 4xx is the other side's final word.
 */
/**
 * A refund read back from the provider that does not (yet) show it: transient while it may still
 * appear (in flight at the provider), final when what the provider shows cannot be explained.
 */
export class RefundReadBackError extends Error {
  override readonly name = 'RefundReadBackError';
  constructor(
    message: string,
    readonly transient: boolean,
  ) {
    super(message);
  }
}

export function isTransientFailure(error: unknown): boolean {
  if (error instanceof RefundReadBackError) return error.transient;
  if (error instanceof OutboundTimeoutError || error instanceof OutboundNetworkError) return true;
  if (error instanceof OutboundHttpError) return error.isTransient;
  if (error instanceof MailDeliveryError) return error.transient;
  return false;
}

export function failureReasonOf(error: unknown): string {
  if (error instanceof OutboundHttpError) return `HTTP ${error.status}`;
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
