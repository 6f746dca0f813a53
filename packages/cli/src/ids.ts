import { idSchema } from '@paystate/server';
import { CliError } from './output.js';

/** An id from the command line, checked as the HTTP API checks ids: `what` names it in the error. */
export function checkId(id: string, what: string): string {
  if (!idSchema.safeParse(id).success)
    throw new CliError(`"${id}" is not a valid ${what} id (1-64 letters, digits, - or _)`);
  return id;
}
