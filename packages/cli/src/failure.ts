import { PaystateError, SettingsError, type ErrorKind } from '@paystate/server';
import { CliError } from './output.js';

/**
 * The only place a failure becomes an exit code: 1 for anything the user can fix and retry as is
 * corrected, the sysexits codes for a provider that refused (69) or did not answer in time (75),
 * so a script can tell "try again later" from "this will never work".
 */
const exitCodeOfKind: Record<ErrorKind, number> = {
  invalid: 1,
  unsupported_media_type: 1,
  unauthorized: 1,
  forbidden: 1,
  not_found: 1,
  conflict: 1,
  rejected: 1,
  upstream_refused: 69,
  upstream_unavailable: 69,
  unavailable: 75,
  upstream_timeout: 75,
};

export interface Failure {
  message: string;
  exitCode: number;
}

export function failureOf(error: unknown): Failure {
  if (error instanceof PaystateError) return { message: error.message, exitCode: exitCodeOfKind[error.kind] };
  if (error instanceof CliError || error instanceof SettingsError) return { message: error.message, exitCode: 1 };
  if (error instanceof Error) return { message: `${error.name}: ${error.message}`, exitCode: 1 };
  return { message: String(error), exitCode: 1 };
}
