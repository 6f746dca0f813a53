import type { Context } from 'hono';
import type { Child } from 'hono/jsx';
import type { Services } from '../app/services.js';
import { notFound, PaystateError } from '../errors.js';
import { idSchema } from '../http/validate.js';
import { grantsScope, type Scope } from '../merchants/scopes.js';
import type { MerchantRecord } from '../merchants/store.js';
import type { ConsoleSession } from './sessions.js';
import { Page } from './views/layout.js';

// What the console's POS and device pages share (pos-pages.tsx, device-pages.tsx): they are
// mounted behind the console's `authenticated` middleware, so a session (and, on a POST, its form
// token) is always there; errors thrown here are rendered by the console's onError.

/** A console page with the operator's navigation. */
export function render(c: Context, status: number, title: string, body: Child) {
  const session = c.get('consoleSession') as ConsoleSession | undefined;
  return c.html(
    <Page title={title} nonce={c.get('nonce')} principal={session?.principal} csrfToken={session?.csrfToken}>
      {body}
    </Page>,
    status as 200,
  );
}

export function requireConsoleScope(c: Context, scope: Scope): void {
  if (!grantsScope(c.get('consoleSession').principal, scope))
    throw new PaystateError('forbidden', 'forbidden', `this needs a ${scope} login`);
}

export function canDo(c: Context, scope: Scope): boolean {
  return grantsScope(c.get('consoleSession').principal, scope);
}

export function isPlatform(c: Context): boolean {
  return c.get('consoleSession').principal.merchantId === null;
}

/**
 * The merchant a page is about: a merchant's operator's own (another one named in `merchant_id`
 * answers 404, as if it did not exist); a platform operator's `?merchant_id=` (an unknown one
 * 404), or null when they have not picked one yet.
 */
export async function merchantOf(c: Context, services: Services): Promise<string | null> {
  const { principal } = c.get('consoleSession');
  const asked = c.req.query('merchant_id') || undefined;
  if (principal.merchantId !== null) {
    if (asked !== undefined && asked !== principal.merchantId) throw notFound('merchant', asked);
    return principal.merchantId;
  }
  if (asked === undefined) return null;
  const id = idSchema.safeParse(asked);
  if (!id.success) throw notFound('merchant', asked);
  await services.merchants.get(id.data);
  return id.data;
}

/** `path` with `merchant_id` for a platform operator (a merchant's operator never needs it). */
export function scopedPath(path: string, merchantId: string, platform: boolean, query: Record<string, string> = {}) {
  const params = new URLSearchParams({ ...query, ...(platform ? { merchant_id: merchantId } : {}) });
  const search = params.toString();
  return search ? `${path}?${search}` : path;
}

/** A platform operator picks the merchant a page is about. */
export function MerchantPicker({ merchants, action }: { merchants: MerchantRecord[]; action: string }) {
  return (
    <form class="filters" method="get" action={action} aria-label="Pick a merchant">
      <label>
        Merchant
        <select name="merchant_id" required>
          {merchants.map((merchant) => (
            <option value={merchant.id}>
              {merchant.id} ({merchant.name})
            </option>
          ))}
        </select>
      </label>
      <button type="submit">Show</button>
    </form>
  );
}

/** A success line after a redirect (`?done=`). */
export function Done({ message }: { message: string | undefined }) {
  if (!message) return null;
  return (
    <p class="notice" role="status">
      {message}
    </p>
  );
}

/** An error shown above a form that was refused. */
export function Refusal({ message }: { message: string | undefined }) {
  if (!message) return null;
  return (
    <p class="error" role="alert">
      {message}
    </p>
  );
}
