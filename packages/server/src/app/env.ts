import { z } from 'zod';

// A leaf module: provider modules declare their own settings with these, and settings.ts merges
// those schemas, so neither may import the other for them.

/** Unset when absent or blank, trimmed otherwise: an empty `KEY=` line in an env file means "not set". */
export const optionalText = z
  .string()
  .optional()
  .transform((value) => (value === undefined || value.trim() === '' ? undefined : value.trim()));

export class SettingsError extends Error {
  override readonly name = 'SettingsError';
}
