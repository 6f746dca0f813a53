/**
 * The JSON paystate answers names every field in snake_case (docs/architecture.md section 4, JSON
 * convention).
 * Typed views spell their fields out; this is for what the server stores as free-form data
 * (an audit row's payload, an alert's details), whose keys are written in camelCase by the code
 * that raised them.
 */
export function snakeCase(name: string): string {
  return name.replace(/(?<=[a-z0-9])([A-Z])/g, '_$1').toLowerCase();
}

/** A copy of `value` with every object key, at any depth, in snake_case; other values unchanged. */
export function snakeCaseKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(snakeCaseKeys);
  if (value === null || typeof value !== 'object' || Object.getPrototypeOf(value) !== Object.prototype) return value;
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [snakeCase(key), snakeCaseKeys(item)]));
}
