import { Writable } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createLogger, loadSettings, redactedSettings, redactorFor, redactUrl } from '@paystate/server';
import { paystate } from '../../support/cli.js';

/** Secret shapes as the providers and paystate issue them, and passwords people choose. */
const CORPUS = [
  'live_aW5zZWN1cmVfc2VjcmV0X2tleV8xMjM0NTY3ODkw', // YooKassa secret key
  'Tb4nk!pass#2026', // T-Bank terminal password
  'wave_sn_prod_AbCdEf0123456789_xyz', // Wave API key
  '0123456789abcdef0123456789abcdef', // MTN MoMo subscription key
  'OrAnGe-Cl1ent_S3cret/+=', // Orange client secret
  'sup_sk_LIVE_abcdefghijklmnop', // SumUp API key
  `psk_0123456789ab_${'x'.repeat(43)}`, // a paystate API key
  'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl', // a JWT bearer token
  'p@ss:w/rd?#1', // a password with URL delimiters
  'пароль-секрет-1', // a non-ASCII password
  '12345/abcdef', // digits then a slash: not a port
];

/** A logger whose lines are collected, built exactly as the server builds its own. */
function capturedLogger(env: Record<string, string>) {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  const settings = loadSettings({ LOG_LEVEL: 'info', ...env });
  const redactor = redactorFor(settings);
  return { logger: createLogger(settings, redactor, sink), redactor, text: () => lines.join('') };
}

describe('one redaction path: settings, URLs and log lines never show a secret', () => {
  it.each(CORPUS)('masks %s in database and SMTP URLs, raw or encoded, in userinfo or query', (secret) => {
    for (const url of [
      `postgres://paystate:${encodeURIComponent(secret)}@db.example.com:5432/paystate`,
      `postgres://paystate:${secret}@db.example.com:5432/paystate`,
      `postgres://paystate@db.example.com/paystate?sslmode=require&password=${encodeURIComponent(secret)}`,
      `smtps://mailer:${secret}@smtp.example.com:465`,
      `https://api.example.com/v1?api_key=${encodeURIComponent(secret)}`,
    ]) {
      const shown = redactUrl(url);
      expect(shown, url).not.toContain(secret);
      expect(shown, url).not.toContain(encodeURIComponent(secret));
    }
  });

  it.each(CORPUS)('keeps %s out of config check settings and every log line once the process knows it', (secret) => {
    const env = {
      YOOKASSA_SECRET_KEY: secret,
      ADMIN_TOKEN: `admin-${secret}`,
      SMTP_URL: `smtps://mailer:${encodeURIComponent(secret)}@smtp.example.com:465`,
      DATABASE_URL: `postgres://paystate:${encodeURIComponent(secret)}@db.example.com/paystate`,
    };
    const settings = loadSettings(env);
    expect(JSON.stringify(redactedSettings(settings))).not.toContain(secret);
    expect(JSON.stringify(redactedSettings(settings))).not.toContain(encodeURIComponent(secret));

    const { logger, text } = capturedLogger(env);
    logger.info(`calling the provider with ${secret}`);
    logger.warn({ err: new Error(`401 for key ${secret}`) }, 'provider refused');
    logger.info({ headers: { authorization: `Bearer ${secret}` }, body: { token: secret } }, 'request');
    logger.info({ url: `https://api.example.com/?key=${secret}`, nested: { deeper: { value: secret } } }, 'n');
    expect(text()).not.toContain(secret);
    expect(text()).toContain('provider refused');
  });

  it('masks a provider account credential once it was opened (registered at run time)', () => {
    const { logger, redactor, text } = capturedLogger({});
    const credential = 'wave_sn_prod_merchant_7_only';
    redactor.register(credential);
    logger.error({ response: `{"error":"bad key ${credential}"}` }, `Wave said no to ${credential}`);
    expect(text()).not.toContain(credential);
  });

  it('any password in a URL is masked, and text without secrets is left alone', () => {
    const passwords = fc.string({ minLength: 1, maxLength: 40 }).filter((p) => !p.includes('\n'));
    fc.assert(
      fc.property(passwords, (password) => {
        const shown = redactUrl(`postgres://u:${password}@db.example.com/paystate`);
        expect(shown).toBe('postgres://u:********@db.example.com/paystate');
      }),
    );
    expect(redactUrl('file:./paystate.db')).toBe('file:./paystate.db');
    expect(redactUrl('https://pay.example.com/orders/1?lang=fr')).toBe('https://pay.example.com/orders/1?lang=fr');
  });

  it('`paystate config check` prints no secret of the corpus (the real binary)', async () => {
    const secret = CORPUS[8]!;
    const run = await paystate(['config', 'check'], {
      YOOKASSA_SHOP_ID: 'shop',
      YOOKASSA_SECRET_KEY: CORPUS[0]!,
      TMETR_API_URL: 'http://127.0.0.1:9',
      TMETR_TOKEN: CORPUS[7]!,
      SMTP_URL: `smtps://mailer:${encodeURIComponent(secret)}@smtp.example.com:465`,
      DATABASE_URL: `postgres://paystate@127.0.0.1:1/paystate?password=${encodeURIComponent(CORPUS[3]!)}`,
      PAYSTATE_MASTER_KEY: Buffer.alloc(32, 7).toString('base64'),
      DEVICE_TOKEN: CORPUS[6]!,
    });
    // The database is tried, and the line saying it cannot be reached masks its password too.
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).toContain(
      'paystate: error: cannot reach the PostgreSQL database postgres://paystate@127.0.0.1:1/paystate?password=********: connection refused',
    );
    for (const shown of [secret, encodeURIComponent(secret), CORPUS[0]!, CORPUS[7]!, CORPUS[3]!, CORPUS[6]!])
      expect(run.stdout + run.stderr).not.toContain(shown);
    expect(run.stdout + run.stderr).not.toContain(Buffer.alloc(32, 7).toString('base64'));
    expect(run.stdout).toContain('SMTP_URL=smtps://mailer:********@smtp.example.com:465');

    // A password left unencoded makes no URL: refused in one line that does not repeat it.
    const refused = await paystate(['config', 'check'], { SMTP_URL: `smtps://mailer:${secret}@smtp.example.com:465` });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('SMTP_URL is not a valid URL');
    expect(refused.stdout + refused.stderr).not.toContain(secret);
  });
});
