import { pino, type DestinationStream, type Logger } from 'pino';
import type { Settings } from '../app/settings.js';
import { REDACTED, Redactor } from './redaction.js';

/** Fields no log line shows, whatever object they are found in (the first net; the redactor's values are the second). */
const REDACTED_FIELDS = [
  'authorization',
  'password',
  'secret',
  'secretKey',
  'token',
  'apiKey',
  'credentials',
  'key',
].flatMap((field) => [field, `*.${field}`, `*.*.${field}`]);

/** The process's redactor: every secret setting's value, and URL passwords, registered up front. */
export function redactorFor(settings: Settings): Redactor {
  const redactor = new Redactor();
  redactor.registerSettings(settings);
  return redactor;
}

/** A pino logger whose every line passes the redactor before it is written. */
export function createLogger(settings: Settings, redactor: Redactor, destination?: DestinationStream): Logger {
  const options = {
    level: settings.LOG_LEVEL,
    redact: { paths: REDACTED_FIELDS, censor: REDACTED },
    hooks: { streamWrite: (line: string) => redactor.scrub(line) },
  };
  return destination ? pino(options, destination) : pino(options);
}
