import { z } from 'zod';

/** A way a merchant accepts money (Wave, Orange Money, MTN MoMo, cash ...); one per provider per merchant. */
export const paymentMethodSchema = z.object({
  merchantId: z.string().min(1),
  providerCode: z.string().regex(/^[a-z][a-z0-9_]*$/, 'provider codes are lower-case identifiers'),
  displayName: z.string().min(1).max(80),
  active: z.boolean().default(true),
  sortOrder: z.number().int().default(0),
  /** Shown to the payer's device (merchant number, QR hint); never secrets. */
  publicConfig: z.record(z.string(), z.string()).default({}),
});

export type PaymentMethod = z.infer<typeof paymentMethodSchema>;

/** The methods a till offers, in the merchant's chosen order. */
export function offeredMethods(methods: readonly PaymentMethod[]): PaymentMethod[] {
  return methods
    .filter((method) => method.active)
    .sort((a, b) => a.sortOrder - b.sortOrder || a.providerCode.localeCompare(b.providerCode));
}
