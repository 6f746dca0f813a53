import { Hono, type Context } from 'hono';
import { CustomerPage, FAVICON_SVG, customerPageHeaders, pickLanguage } from '../http/customer-page.js';
import { errorBody } from '../http/errors.js';
import { siteDocs } from './site-openapi.js';

const notFoundText = {
  ru: {
    title: 'Страница не найдена',
    body: 'Такой страницы нет. Проверьте ссылку или отсканируйте QR-код на автомате ещё раз.',
  },
  en: {
    title: 'Page not found',
    body: 'There is no such page. Check the link, or scan the QR code on the machine again.',
  },
} as const;

/** A person's browser gets a page; an API client (or anything under /v1) gets the JSON error. */
function wantsPage(c: Context): boolean {
  return !c.req.path.startsWith('/v1/') && (c.req.header('accept') ?? '').includes('text/html');
}

/** 404 as a customer reads it: in their language, with the page's security headers. */
export function notFoundPage(c: Context) {
  const lang = pickLanguage(c, ['ru', 'en']);
  const nonce = customerPageHeaders(c);
  const t = notFoundText[lang];
  return c.html(
    <CustomerPage lang={lang} title={t.title} nonce={nonce}>
      <h1>{t.title}</h1>
      <p>{t.body}</p>
    </CustomerPage>,
    404,
  );
}

/** Unknown routes: the HTML 404 for browsers, the JSON error body for everything else. */
export function notFound(c: Context) {
  if (wantsPage(c)) return notFoundPage(c);
  return c.json(errorBody('not_found', `no route for ${c.req.method} ${c.req.path}`), 404);
}

/** The site's own pages: what `/` says to a visitor, and the icon every page's tab shows. */
export function siteRoutes() {
  const app = new Hono();
  const favicon = (c: Context) => {
    c.header('Content-Type', 'image/svg+xml');
    c.header('Cache-Control', 'public, max-age=86400');
    return c.body(FAVICON_SVG);
  };
  app.get('/favicon.svg', siteDocs.favicon, favicon);
  // Browsers ask for /favicon.ico whatever a page links; an SVG answer is shown by all current ones.
  app.get('/favicon.ico', siteDocs.faviconIco, favicon);
  app.get('/', siteDocs.home, (c) => {
    const nonce = customerPageHeaders(c);
    return c.html(
      <CustomerPage lang="en" title="paystate" nonce={nonce}>
        <h1>paystate</h1>
        <p>Paid orders from "Pay" to "made": coffee machines, event tickets and restaurants.</p>
        <p lang="ru">Оплаченные заказы от кнопки «Оплатить» до готового напитка.</p>
        <p>If you paid for an order, open the link from the machine's QR code or your receipt to see its status.</p>
        <p class="muted">
          <a href="/docs/api">API reference</a> · <a href="/console">Console</a>
        </p>
      </CustomerPage>,
    );
  });
  return app;
}
