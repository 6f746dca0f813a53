import type { Command } from 'commander';
import { openTenants, scopes, type Scope } from '@paystate/server';
import { cliLogging, settingsFrom, type GlobalOptions } from '../context.js';
import { checkId } from '../ids.js';
import { CliError } from '../output.js';

/** Reads the password from standard input (never from argv, which other users of the machine can see). */
async function passwordFromStdin(): Promise<string> {
  if (process.stdin.isTTY)
    throw new CliError('pipe the password on standard input: printf %s "$PASSWORD" | paystate …');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

/** `paystate console-users add`: people who log in to /console with a name and a password (docs/console.md). */
export function consoleUsersCommand(program: Command): void {
  const users = program.command('console-users').description('console logins with a user name and a password');
  users
    .command('add <username>')
    .description('add a console user; the password (12 characters or more) is read from standard input')
    .requiredOption('--scope <scope>', scopes.filter((scope) => scope !== 'device').join(' | '))
    .option('--merchant <id>', 'the merchant they work for (every scope but platform_admin)')
    .action(async (username: string, options: { scope: string; merchant?: string }) => {
      if (!/^[A-Za-z0-9._@-]{2,64}$/.test(username))
        throw new CliError('user names are 2-64 letters, digits, . _ @ or -');
      if (!(scopes as readonly string[]).includes(options.scope))
        throw new CliError(`--scope must be one of ${scopes.join(', ')}`);
      const password = await passwordFromStdin();
      const settings = settingsFrom(program.opts<GlobalOptions>());
      const { logger, redactor } = cliLogging(settings);
      redactor.register(password);
      const tenants = await openTenants(settings, logger, redactor);
      try {
        const user = await tenants.console.createUser({
          username,
          password,
          scope: options.scope as Scope,
          merchantId: options.merchant === undefined ? null : checkId(options.merchant, 'merchant'),
        });
        process.stdout.write(
          `console user ${user.username} (${user.scope}${user.merchantId ? `, ${user.merchantId}` : ''}) added\n`,
        );
      } finally {
        await tenants.close();
      }
    });
}
