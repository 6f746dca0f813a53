import { createHash } from 'node:crypto';

/**
 * The id of the money movement (a POS payment attempt or refund) a request's Idempotency-Key
 * stands for (docs/architecture.md section 9): a retry of the request after a 5xx or a crash released the key
 * names the same movement row instead of creating a second one. A UUID-shaped digest of the
 * kind, the key's scope (merchant) and the key, so ids stay as opaque as random ones.
 */
export type MovementKind = 'pos-payment' | 'pos-refund';

export function movementIdFor(kind: MovementKind, scope: string, key: string): string {
  const hex = createHash('sha256').update(`${kind}\n${scope}\n${key}`).digest('hex');
  const variant = ((parseInt(hex.slice(16, 18), 16) & 0x3f) | 0x80).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(18, 20)}-${hex.slice(20, 32)}`;
}

/**
 * The movement a request key names now. A key lives IDEMPOTENCY_TTL_S; after that it may name a
 * new request, so each reuse is a new generation (`key`, `key#1`, …): the newest generation
 * still within the key's lifetime is continued (`existing`), otherwise the next one is new.
 */
export async function movementForRequest(
  kind: MovementKind,
  scope: string,
  key: string,
  now: Date,
  ttlS: number,
  find: (id: string) => Promise<{ createdAt: string } | null>,
): Promise<{ id: string; existing: boolean }> {
  for (let generation = 0; ; generation += 1) {
    const id = movementIdFor(kind, scope, generation === 0 ? key : `${key}#${generation}`);
    const row = await find(id);
    if (!row) return { id, existing: false };
    if (now.getTime() - Date.parse(row.createdAt) < ttlS * 1000) return { id, existing: true };
  }
}
