import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, loadSettings, redactorFor } from '@paystate/server';
import { prettyLogs } from '../../packages/cli/src/context.js';

const SECRET = 'live_aW5zZWN1cmVfc2VjcmV0X2tleV8xMjM0NTY3ODkw';

function sink() {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return { stream, text: () => chunks.join('') };
}

// Which form a run picks (stderr a terminal or not) is tested through the binary in errors-cli.test.ts.
describe('CLI logs on a terminal: pino-pretty, redacted', () => {
  it('the terminal form is pino-pretty, and the redactor runs before it: no secret, no JSON', () => {
    const settings = loadSettings({ LOG_LEVEL: 'info', YOOKASSA_SECRET_KEY: SECRET });
    const out = sink();
    const logger = createLogger(settings, redactorFor(settings), prettyLogs(out.stream, false));
    logger.info({ request: { url: `https://api.example/pay?key=${SECRET}` } }, `calling the provider with ${SECRET}`);
    logger.warn({ token: 'by-name-secret' }, 'second line');
    const text = out.text();
    expect(text).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: calling the provider with \*{8}\n/);
    expect(text).toMatch(/WARN: second line/);
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain('by-name-secret');
    expect(text).not.toMatch(/^\{/m);
  });
});
