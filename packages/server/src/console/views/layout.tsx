import { raw } from 'hono/html';
import type { Child } from 'hono/jsx';
import type { Principal } from '../../merchants/scopes.js';

const STYLE = `
:root{--fg:#1b1f24;--muted:#57606a;--line:#d0d7de;--accent:#0b5cad;--warn:#9a3412;--ok:#166534;--bg:#fff;--soft:#f6f8fa}
*{box-sizing:border-box}body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
a{color:var(--accent)}a:focus,button:focus,input:focus,select:focus,textarea:focus{outline:3px solid #f59e0b;outline-offset:1px}
.skip{position:absolute;left:-999px}.skip:focus{left:8px;top:8px;background:#fff;padding:4px;z-index:9}
header{display:flex;flex-wrap:wrap;gap:12px;align-items:center;padding:10px 16px;border-bottom:1px solid var(--line);background:var(--soft)}
header nav{display:flex;flex-wrap:wrap;gap:12px}header .who{margin-left:auto;color:var(--muted);font-size:14px}
main{padding:16px;max-width:1200px}h1{font-size:22px;margin:4px 0 12px}h2{font-size:18px;margin:20px 0 8px}
table{border-collapse:collapse;width:100%;margin:8px 0}th,td{border-bottom:1px solid var(--line);padding:6px 8px;text-align:left;vertical-align:top}
th{font-weight:600;background:var(--soft)}.scroll{overflow-x:auto}
form.inline{display:inline}form.filters{display:flex;flex-wrap:wrap;gap:8px;align-items:flex-end}
label{display:flex;flex-direction:column;font-size:14px;gap:2px}input,select,textarea{font:inherit;padding:6px;border:1px solid #8c959f;border-radius:4px}
button{font:inherit;padding:6px 12px;border:1px solid var(--accent);background:var(--accent);color:#fff;border-radius:4px;cursor:pointer}
button.secondary{background:#fff;color:var(--accent)}.badge{display:inline-block;padding:0 6px;border-radius:10px;background:var(--soft);border:1px solid var(--line);font-size:13px}
.warn{color:var(--warn)}.ok{color:var(--ok)}.muted{color:var(--muted)}.error{border:1px solid var(--warn);background:#fff7ed;padding:8px;border-radius:4px}
.notice{border:1px solid var(--ok);background:#f0fdf4;padding:8px;border-radius:4px}
.states{display:flex;flex-wrap:wrap;gap:6px;list-style:none;padding:0}.states li{padding:2px 8px;border:1px solid var(--line);border-radius:12px;font-size:13px}
.states li[aria-current]{background:var(--accent);color:#fff;border-color:var(--accent);font-weight:600}
pre{white-space:pre-wrap;word-break:break-all;background:var(--soft);padding:8px;border-radius:4px;max-height:400px;overflow:auto}
.cards{display:flex;flex-wrap:wrap;gap:12px}.card{border:1px solid var(--line);border-radius:6px;padding:8px 12px;min-width:150px}.card strong{font-size:22px;display:block}
`;

/** Drawn inline, so no page asks the server for /favicon.ico. */
const FAVICON =
  "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 16 16'%3E%3Crect width='16' height='16' rx='3' fill='%230b5cad'/%3E%3C/svg%3E";

export interface PageProps {
  title: string;
  nonce: string;
  principal?: Principal | undefined;
  csrfToken?: string | undefined;
  children?: Child;
}

/** Every console page: a skip link, the navigation for the operator's role, and the logout form. */
export function Page({ title, nonce, principal, csrfToken, children }: PageProps) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{`${title} · paystate console`}</title>
        <link rel="icon" href={FAVICON} />
        <style nonce={nonce}>{raw(STYLE)}</style>
      </head>
      <body>
        <a class="skip" href="#main">
          Skip to content
        </a>
        {principal ? (
          <header>
            <strong>paystate</strong>
            <nav aria-label="Console">
              <a href="/console">Needs attention</a>
              <a href="/console/orders">Orders</a>
              <a href="/console/alerts">Alerts</a>
              <a href="/console/outbox">Outbox</a>
              <a href="/console/pos">POS</a>
              <a href="/console/devices">Devices</a>
              {principal.scope === 'platform_admin' ? <a href="/console/webhooks">Webhooks</a> : null}
            </nav>
            <span class="who">
              {principal.label} · {principal.scope}
              {principal.merchantId ? ` · ${principal.merchantId}` : ' · all merchants'}
            </span>
            <form class="inline" method="post" action="/console/logout">
              <input type="hidden" name="csrf" value={csrfToken ?? ''} />
              <button class="secondary" type="submit">
                Log out
              </button>
            </form>
          </header>
        ) : null}
        <main id="main">
          <h1>{title}</h1>
          {children}
        </main>
      </body>
    </html>
  );
}

/** An instant as operators read it, with its age. */
export function When({ at, now }: { at: string | null; now: Date }) {
  if (!at) return <span class="muted">-</span>;
  return (
    <time datetime={at} title={at}>
      {at.slice(0, 16).replace('T', ' ')} <span class="muted">({age(Date.parse(at), now.getTime())})</span>
    </time>
  );
}

export function age(then: number, now: number): string {
  const s = Math.max(0, Math.round((now - then) / 1000));
  if (s < 90) return `${s} s ago`;
  if (s < 90 * 60) return `${Math.round(s / 60)} min ago`;
  if (s < 36 * 3600) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} d ago`;
}

/** A table that may scroll sideways on a phone: focusable and named, so keyboards and screen readers reach it. */
export function Scroll({ label, children }: { label: string; children?: Child }) {
  return (
    <div class="scroll" role="region" aria-label={label} tabindex={0}>
      {children}
    </div>
  );
}
