import type { PaymentStatus } from '@paystate/core';
import { CustomerPage, LanguageLink, LocalTime, scriptJson } from '../http/customer-page.js';
import { livePageScript } from '../http/live-page-script.js';
import type { ReturnPageLanguage, ReturnView } from './return-view.js';

const icons: Record<PaymentStatus, string> = {
  pending: '⏳',
  processing: '⏳',
  success: '✅',
  failed: '✖️',
  expired: '⌛',
  partially_refunded: '↩️',
  refunded: '↩️',
  requires_manual_review: '🔎',
};

const labels = {
  fr: {
    number: 'Numéro du paiement',
    time: 'Heure',
    offline: 'Pas de connexion. Reconnexion…',
    other: 'English',
  },
  en: {
    number: 'Payment number',
    time: 'Time',
    offline: 'No connection. Reconnecting…',
    other: 'Français',
  },
} as const;

const render = (iconsJson: string) => `
  const ICONS = ${iconsJson};
  const other = lang === 'fr' ? 'en' : 'fr';
  function render(view) {
    document.title = view.title[lang];
    $('icon').textContent = ICONS[view.status];
    const status = $('status');
    if (status.dataset.status !== view.status) {
      status.textContent = view.status_description[lang];
      $('status-alt').textContent = view.status_description[other];
    }
    status.dataset.status = view.status;
  }`;

/** Where a restaurant's customer lands back from Wave or Orange Money: what happened to the money, live. */
export function ReturnPage({ view, lang, nonce }: { view: ReturnView; lang: ReturnPageLanguage; nonce: string }) {
  const t = labels[lang];
  const other: ReturnPageLanguage = lang === 'fr' ? 'en' : 'fr';
  const script = livePageScript({
    viewJson: scriptJson(view),
    statusPath: `/pos/${encodeURIComponent(view.merchant_id)}/payments/${encodeURIComponent(view.payment_id)}/status`,
    active: ['pending', 'processing'],
    render: render(scriptJson(icons)),
  });
  return (
    <CustomerPage lang={lang} title={view.title[lang]} nonce={nonce} script={script}>
      <div id="icon" class="icon" aria-hidden="true">
        {icons[view.status]}
      </div>
      <h1 id="merchant">{view.merchant_name}</h1>
      <p id="amount" class="price">
        {view.amount.display[lang]}
      </p>
      {view.description ? <p class="muted">{view.description}</p> : null}
      <div role="status" aria-live="polite" aria-atomic="true">
        <p id="status" class="status" data-status={view.status}>
          {view.status_description[lang]}
        </p>
        <p id="status-alt" class="alt" lang={other}>
          {view.status_description[other]}
        </p>
      </div>
      <p id="offline" class="notice" role="alert" hidden>
        {t.offline}
      </p>
      <dl>
        <dt>{t.number}</dt>
        <dd id="number">{view.payment_number}</dd>
        <dt>{t.time}</dt>
        <dd>
          <LocalTime iso={view.created_at} locale={lang === 'fr' ? 'fr-FR' : 'en-GB'} />
        </dd>
      </dl>
      <LanguageLink lang={other} label={t.other} />
    </CustomerPage>
  );
}
