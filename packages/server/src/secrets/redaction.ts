/**
 * The one redaction path (docs/merchants.md, "Secrets never leave"): what `config check`
 * prints, every log line, and every URL shown to a person pass through here. Two nets: settings
 * and fields named like secrets are masked by name, and every secret value the process knows
 * (the settings' own, each provider account's credentials once opened) is masked wherever it
 * appears, whatever the message around it.
 */

export const REDACTED = '********';

const SECRET_NAME = /SECRET|TOKEN|PASSWORD|PASSWD|PASSPHRASE|CREDENTIAL|AUTHORIZATION|APIKEY|API_KEY|(^|_)KEY$|_KEYS$/i;
const SENSITIVE_QUERY = /^(password|passwd|pass|pwd|secret|token|access_token|api_key|apikey|key|sslpassword|sslkey)$/i;
/** Shorter values (a port, `true`) would mask innocent text; no real credential is this short. */
const MIN_SECRET_LENGTH = 6;

export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name);
}

/**
 * A URL fit for a message or a log line: the password of `user:password@host` masked (also one
 * holding `@`, `/` or `?`), and query parameters such as `?password=` too. Text that is not a URL
 * comes back unchanged.
 */
export function redactUrl(text: string): string {
  const scheme = /^([a-z][a-z0-9+.-]*:\/\/)(.*)$/is.exec(text);
  if (!scheme) return text;
  const prefix = scheme[1]!;
  const rest = scheme[2]!;
  const userinfo = userinfoOf(rest);
  if (!userinfo) return `${prefix}${redactQuery(rest)}`;
  return `${prefix}${userinfo.user}:${REDACTED}${redactQuery(userinfo.after)}`;
}

/** `user:password@…` at the start of a URL's remainder; the last '@' ends it, as a password may hold one. */
function userinfoOf(rest: string): { user: string; password: string; after: string } | null {
  const at = rest.lastIndexOf('@');
  if (at === -1) return null;
  const userinfo = rest.slice(0, at);
  const colon = userinfo.indexOf(':');
  if (colon === -1) return null;
  const user = userinfo.slice(0, colon);
  const password = userinfo.slice(colon + 1);
  // `host/path:x@y` has no user; anything else is masked, even a port that looks like a password (`host:8080/a@b`).
  if (/[/?#]/.test(user)) return null;
  return { user, password, after: rest.slice(at) };
}

function redactQuery(tail: string): string {
  return tail.replace(/([?&;])([^=&#;]+)=([^&#;]*)/g, (whole, separator: string, name: string) =>
    SENSITIVE_QUERY.test(decodeURIComponentSafe(name)) ? `${separator}${name}=${REDACTED}` : whole,
  );
}

function decodeURIComponentSafe(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** Masks every secret value it has been told about, wherever it appears in a text. */
export class Redactor {
  private secrets: string[] = [];

  /** Registers a secret value (and its URL-encoded and JSON-escaped forms, as logs may show them). */
  register(value: string | undefined | null): void {
    if (!value || value.length < MIN_SECRET_LENGTH) return;
    const forms = new Set([value, encodeURIComponent(value), JSON.stringify(value).slice(1, -1)]);
    for (const form of forms) if (!this.secrets.includes(form)) this.secrets.push(form);
    // Longest first: a secret containing another is masked whole.
    this.secrets.sort((a, b) => b.length - a.length);
  }

  /** Registers every value of a settings-like record whose name says it is secret, and URL passwords. */
  registerSettings(settings: Record<string, unknown>): void {
    for (const [name, value] of Object.entries(settings)) {
      if (typeof value !== 'string') continue;
      if (isSecretName(name)) {
        this.register(value);
        for (const part of value.split(',')) this.register(part.trim());
      }
      const password = urlPassword(value);
      if (password) {
        this.register(password);
        this.register(decodeURIComponentSafe(password));
      }
    }
  }

  scrub(text: string): string {
    let scrubbed = text;
    for (const secret of this.secrets) if (scrubbed.includes(secret)) scrubbed = scrubbed.split(secret).join(REDACTED);
    return scrubbed;
  }
}

/** The password of a `scheme://user:password@host` URL, or null. */
function urlPassword(text: string): string | null {
  const scheme = /^[a-z][a-z0-9+.-]*:\/\/(.*)$/is.exec(text);
  return scheme ? (userinfoOf(scheme[1]!)?.password ?? null) : null;
}

/** Settings as `paystate config check` shows them: secrets masked by name, URLs by `redactUrl`. */
export function redactedSettings(settings: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(settings).map(([name, value]) => [
      name,
      value === undefined
        ? undefined
        : isSecretName(name)
          ? REDACTED
          : typeof value === 'string'
            ? redactUrl(value)
            : value,
    ]),
  );
}
