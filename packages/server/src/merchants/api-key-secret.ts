import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * An API key is `psk_<prefix>_<secret>`: the prefix (public, 12 hex digits) finds the row, the
 * SHA-256 of the whole key proves it. Only the digest is stored; the key is shown once.
 */
const KEY_SHAPE = /^psk_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;

export interface IssuedSecret {
  key: string;
  prefix: string;
  secretHash: string;
}

export function issueSecret(): IssuedSecret {
  const prefix = randomBytes(6).toString('hex');
  const key = `psk_${prefix}_${randomBytes(32).toString('base64url')}`;
  return { key, prefix, secretHash: digestOf(key) };
}

/** The lookup prefix of something shaped like a key, else null (then it is not one of ours). */
export function prefixOf(candidate: string): string | null {
  return KEY_SHAPE.exec(candidate)?.[1] ?? null;
}

export function secretMatches(candidate: string, secretHash: string): boolean {
  return timingSafeEqual(Buffer.from(digestOf(candidate), 'hex'), Buffer.from(secretHash, 'hex'));
}

function digestOf(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}
