/**
 * What an API key may do (docs/merchants.md). Every route names the scope it needs; a key's
 * scope grants that scope and those below it. Device keys only report what their machine made.
 */
export const scopes = ['platform_admin', 'merchant_admin', 'cashier', 'read_only', 'device'] as const;
export type Scope = (typeof scopes)[number];

/** The scopes a merchant's own keys may have: platform_admin keys belong to no merchant. */
export const merchantScopes = ['merchant_admin', 'cashier', 'read_only', 'device'] as const;

const grants: Record<Scope, readonly Scope[]> = {
  platform_admin: ['platform_admin', 'merchant_admin', 'cashier', 'read_only'],
  merchant_admin: ['merchant_admin', 'cashier', 'read_only'],
  cashier: ['cashier', 'read_only'],
  read_only: ['read_only'],
  device: ['device'],
};

/** Who made a request, as the auth middleware found them. */
export interface Principal {
  /** The key's id, or `env:ADMIN_TOKEN` / `env:DEVICE_TOKEN` for the bootstrap tokens. */
  keyId: string;
  scope: Scope;
  /** Null for platform_admin and for the DEVICE_TOKEN bootstrap (any device, any merchant). */
  merchantId: string | null;
  /** A device key reports for this device only. */
  deviceId: string | null;
  /** The key's label: the cashier's or operator's name in audit rows and drawer sessions. */
  label: string;
  /** The id Idempotency-Keys are scoped by: a rotated key is a new credential. */
  credential: string;
}

export function grantsScope(principal: Principal, needed: Scope): boolean {
  return grants[principal.scope].includes(needed);
}

/** Whether the principal acts for this merchant: platform admins for all of them, everyone else for their own. */
export function actsFor(principal: Principal, merchantId: string): boolean {
  return principal.merchantId === null ? principal.scope === 'platform_admin' : principal.merchantId === merchantId;
}
