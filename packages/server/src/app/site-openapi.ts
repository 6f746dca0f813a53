import { documented, text } from '../http/openapi.js';
import { FAVICON_SVG } from '../http/customer-page.js';

const home =
  '<!doctype html><html lang="en"><head><title>paystate</title>…</head><body><main id="main"><h1>paystate</h1>…<a href="/docs/api">API reference</a>…</main></body></html>';

const favicon = (path: '/favicon.svg' | '/favicon.ico') =>
  documented(path, () => ({
    operationId: path === '/favicon.svg' ? 'getFavicon' : 'getFaviconIco',
    summary: path === '/favicon.svg' ? "The pages' icon" : 'The icon where browsers look for it by habit',
    description:
      path === '/favicon.ico'
        ? 'The same SVG: browsers ask for /favicon.ico whatever a page links, and all current ones show an SVG answer.'
        : 'Cached for a day.',
    tags: ['Customer pages'],
    access: 'public',
    responses: { 200: { description: 'The icon.', content: text('image/svg+xml', { icon: FAVICON_SVG }) } },
  }));

/** The site's own pages (app/site-pages.tsx). */
export const siteDocs = {
  home: documented('/', () => ({
    operationId: 'getHome',
    summary: 'What `/` says to a visitor',
    description:
      'A short page: what paystate is, where a customer finds their order, links to this reference and the console.',
    tags: ['Customer pages'],
    access: 'public',
    responses: { 200: { description: 'The page.', content: text('text/html', { home }) } },
  })),
  favicon: favicon('/favicon.svg'),
  faviconIco: favicon('/favicon.ico'),
};
