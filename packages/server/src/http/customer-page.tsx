import { randomBytes } from 'node:crypto';
import type { Context } from 'hono';
import { raw } from 'hono/html';
import type { Child } from 'hono/jsx';

/** The pages a customer opens on a phone: the order status page, the POS return page, 404. */

export const FAVICON_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="3" fill="#1d4ed8"/><path d="M4 8.5l2.5 2.5L12 5.5" stroke="#fff" stroke-width="2" fill="none"/></svg>';

const STYLE = `
*{box-sizing:border-box}
body{font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;max-width:30rem;margin:0 auto;padding:1.5rem 1rem;color:#1b1f24;background:#fff;text-align:center}
a{color:#1d4ed8}a:focus,button:focus,input:focus{outline:3px solid #f59e0b;outline-offset:2px}
h1{font-size:1.4rem;margin:.5rem 0}.icon{font-size:3.5rem;line-height:1.2}
.price{font-size:1.3rem;font-weight:600;margin:.25rem 0}.status{font-size:1.15rem;margin:1rem 0 .25rem}
.alt{color:#57606a;font-size:.95rem;margin:0 0 1rem}.muted{color:#57606a;font-size:.9rem}
.button{display:block;width:100%;padding:.9rem 1rem;font:inherit;font-size:1.1rem;font-weight:600;color:#fff;background:#1d4ed8;border:0;border-radius:.5rem;cursor:pointer}
form{margin:1rem 0}label{display:block;text-align:left;margin:.5rem 0}input{display:block;width:100%;font:inherit;padding:.6rem;border:1px solid #8c959f;border-radius:.4rem}
.notice{border:1px solid #b45309;background:#fff7ed;padding:.6rem;border-radius:.4rem;text-align:left}
.help{border:1px solid #d0d7de;background:#f6f8fa;padding:.75rem;border-radius:.5rem;text-align:left;margin:1rem 0}
dl{display:grid;grid-template-columns:auto 1fr;gap:.25rem .75rem;text-align:left;margin:1.25rem 0}dt{color:#57606a}dd{margin:0;overflow-wrap:anywhere}
.lang{margin-top:1.5rem;font-size:.9rem}[hidden]{display:none!important}
`;

export interface CustomerPageProps {
  lang: string;
  title: string;
  nonce: string;
  /** Runs after the page is parsed; the CSP admits it by nonce. */
  script?: string;
  children?: Child;
}

export function CustomerPage({ lang, title, nonce, script, children }: CustomerPageProps) {
  return (
    <html lang={lang}>
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{title}</title>
        <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
        <style nonce={nonce}>{raw(STYLE)}</style>
      </head>
      <body>
        <main id="main">{children}</main>
        {script ? <script nonce={nonce}>{raw(script)}</script> : null}
      </body>
    </html>
  );
}

/** A time in UTC without script; the live-page script rewrites it in the phone's time zone and `locale`. */
export function LocalTime({ iso, locale, id }: { iso: string; locale: string; id?: string }) {
  return (
    <time id={id} datetime={iso} data-local={locale}>
      {`${iso.slice(0, 16).replace('T', ' ')} UTC`}
    </time>
  );
}

/** The same page in the other language (`?lang=`), marked with that language. */
export function LanguageLink({ lang, label }: { lang: string; label: string }) {
  return (
    <p class="lang">
      <a href={`?lang=${lang}`} lang={lang} hreflang={lang}>
        {label}
      </a>
    </p>
  );
}

/**
 * A fresh nonce and the headers a customer page adds to the app's secure headers (no framing,
 * nosniff, no referrer to other sites): nothing but its own nonce'd script and style runs, and no cache keeps a
 * stale status.
 */
export function customerPageHeaders(c: Context): string {
  const nonce = randomBytes(16).toString('base64');
  c.header(
    'Content-Security-Policy',
    `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; connect-src 'self'; img-src 'self' https: data:; frame-ancestors 'none'; base-uri 'none'`,
  );
  c.header('Cache-Control', 'no-store');
  return nonce;
}

/** The page's language: `?lang=` first, then the browser's Accept-Language, then the first supported. */
export function pickLanguage<L extends string>(c: Context, supported: readonly [L, ...L[]]): L {
  const asked = c.req.query('lang');
  if (asked && (supported as readonly string[]).includes(asked)) return asked as L;
  const header = c.req.header('accept-language') ?? '';
  const ranked = header
    .split(',')
    .map((part) => {
      const [tag = '', ...params] = part.trim().split(';');
      const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
      return { language: tag.toLowerCase().split('-')[0] ?? '', q: q ? Number(q.slice(2)) : 1 };
    })
    .filter((entry) => entry.language && Number.isFinite(entry.q) && entry.q > 0)
    .sort((a, b) => b.q - a.q);
  for (const { language } of ranked) if ((supported as readonly string[]).includes(language)) return language as L;
  return supported[0];
}

/** JSON for a `<script type="application/json">` block: `<` escaped so no value can close the tag. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c');
}
