/**
 * A customer's phone number or e-mail address is personal data: logs keep enough to tell two
 * apart ("*******4567", "a***@example.org") and never the whole. Applied to what a log line
 * carries by field name, since neither can be told from an id by its shape alone.
 */

/** Field names that hold a phone number or an e-mail address, in any provider's spelling. */
const PERSONAL_FIELD = /msisdn|phone|party_?id|e_?mail|^to$|holder|customer_?(email|phone)|payer/i;

export function maskPhone(value: string): string {
  const digits = value.replace(/\D/g, '');
  return digits.length <= 4 ? '****' : `${'*'.repeat(digits.length - 4)}${digits.slice(-4)}`;
}

export function maskEmail(value: string): string {
  const at = value.lastIndexOf('@');
  if (at < 1) return maskPhone(value);
  return `${value[0]}***${value.slice(at)}`;
}

function maskValue(value: string): string {
  return value.includes('@') ? maskEmail(value) : maskPhone(value);
}

/** A copy of a log payload with every personal field's text masked, at any depth. */
export function maskPersonalData(value: unknown, field = ''): unknown {
  if (typeof value === 'string') return PERSONAL_FIELD.test(field) ? maskValue(value) : value;
  if (typeof value === 'number' && PERSONAL_FIELD.test(field)) return maskPhone(String(value));
  if (Array.isArray(value)) return value.map((item) => maskPersonalData(item, field));
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, maskPersonalData(item, key)]));
}
