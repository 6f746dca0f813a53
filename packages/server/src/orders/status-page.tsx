import type { OrderStatus, Vocabulary } from '@paystate/core';
import { raw } from 'hono/html';
import { CustomerPage, LanguageLink, LocalTime, scriptJson } from '../http/customer-page.js';
import { livePageScript } from '../http/live-page-script.js';
import type { StatusView } from './status-view.js';

export type StatusPageLanguage = 'ru' | 'en';

const icons: Record<OrderStatus, string> = {
  created: '🧾',
  pending: '⏳',
  paid: '💳',
  make_pending: '☕',
  successful: '✅',
  manual_make: '🙋',
  make_failed: '⚠️',
  not_paid: '✖️',
  failed: '⚠️',
  expired: '⌛',
  requires_manual_review: '🔎',
  refunded: '↩️',
};

/** Why the last press of Pay did not reach the provider; the codes are the pay route's errors. */
export type PayProblem = 'unavailable' | 'phone_needed' | 'in_progress';

const labels = {
  ru: {
    number: 'Номер заказа',
    time: 'Время',
    machine: { drinks: 'Автомат', tickets: 'Касса' },
    place: 'Место',
    pay: 'Оплатить',
    retry: 'Попробовать снова',
    phone: 'Номер телефона для оплаты (с кодом страны, только цифры)',
    help: 'Покажите номер заказа персоналу.',
    offline: 'Нет связи. Переподключаемся…',
    other: 'English',
    problems: {
      unavailable: 'Платёжная система сейчас не отвечает. Попробуйте ещё раз через минуту.',
      phone_needed: 'Укажите номер телефона, с которого будете платить.',
      in_progress: 'Платёж уже создаётся. Подождите несколько секунд.',
    },
  },
  en: {
    number: 'Order number',
    time: 'Time',
    machine: { drinks: 'Machine', tickets: 'Sales point' },
    place: 'Place',
    pay: 'Pay',
    retry: 'Try again',
    phone: 'Phone number to pay from (with country code, digits only)',
    help: 'Show this order number to the staff.',
    offline: 'No connection. Reconnecting…',
    other: 'Русский',
    problems: {
      unavailable: 'The payment system is not answering right now. Please try again in a minute.',
      phone_needed: 'Please enter the phone number you will pay from.',
      in_progress: 'The payment is being created. Please wait a few seconds.',
    },
  },
} as const;

/** The order status page's script: the shared live loop with the order's own rendering. */
function statusPageScript(data: { viewJson: string; iconsJson: string; orderId: string }): string {
  return livePageScript({
    viewJson: data.viewJson,
    statusPath: `/v1/order-status/${encodeURIComponent(data.orderId)}`,
    active: ['created', 'pending', 'paid', 'make_pending'],
    render: `
  const ICONS = ${data.iconsJson};
  const other = lang === 'ru' ? 'en' : 'ru';
  const text = (v, language) => (language === 'ru' ? v.status_description : v.status_description_en);
  function render(view) {
    document.title = view.title[lang];
    $('icon').textContent = ICONS[view.status];
    const status = $('status');
    // Only news is announced: aria-live reads the region again when its text changes.
    if (status.dataset.status !== view.status || status.textContent !== text(view, lang)) {
      status.textContent = text(view, lang);
      $('status-alt').textContent = text(view, other);
    }
    status.dataset.status = view.status;
    $('pay').hidden = !view.can_pay;
    $('help').hidden = !view.needs_help;
    const contact = $('contact');
    if (contact.innerHTML !== (view.device.contact || '')) contact.innerHTML = view.device.contact || '';
    contact.hidden = !view.device.contact;
    $('help-fallback').hidden = Boolean(view.device.contact);
  }`,
  });
}

export interface StatusPageProps {
  view: StatusView;
  lang: StatusPageLanguage;
  vocabulary: Vocabulary;
  nonce: string;
  problem: PayProblem | null;
}

/**
 * The customer's status page: complete without JavaScript (rendered here from the same view as
 * the JSON), then kept current by its script. Device contact HTML was sanitised when an
 * admin saved it; everything else is text.
 */
export function StatusPage({ view, lang, vocabulary, nonce, problem }: StatusPageProps) {
  const t = labels[lang];
  const other: StatusPageLanguage = lang === 'ru' ? 'en' : 'ru';
  const describe = (language: StatusPageLanguage) =>
    language === 'ru' ? view.status_description : view.status_description_en;
  return (
    <CustomerPage
      lang={lang}
      title={view.title[lang]}
      nonce={nonce}
      script={statusPageScript({ viewJson: scriptJson(view), iconsJson: scriptJson(icons), orderId: view.order_id })}
    >
      {view.device.logo_url ? <img src={view.device.logo_url} alt="" height="48" /> : null}
      <div id="icon" class="icon" aria-hidden="true">
        {icons[view.status]}
      </div>
      <h1 id="item">
        {view.item_name} · {view.item_size}
      </h1>
      <p id="price" class="price">
        {lang === 'ru' ? view.price.display : view.price.display_en}
      </p>
      <div role="status" aria-live="polite" aria-atomic="true">
        <p id="status" class="status" data-status={view.status}>
          {describe(lang)}
        </p>
        <p id="status-alt" class="alt" lang={other}>
          {describe(other)}
        </p>
      </div>
      <p id="offline" class="notice" role="alert" hidden>
        {t.offline}
      </p>
      {problem ? (
        <p id="problem" class="notice" role="alert">
          {t.problems[problem]}
        </p>
      ) : null}
      <form id="pay" method="post" action={`/orders/${view.order_id}/pay`} hidden={!view.can_pay}>
        <input type="hidden" name="lang" value={lang} />
        {problem === 'phone_needed' ? (
          <label>
            {t.phone}
            <input name="payer_msisdn" inputmode="numeric" autocomplete="tel" pattern="[1-9][0-9]{7,14}" required />
          </label>
        ) : null}
        <button class="button" type="submit">
          {problem === 'unavailable'
            ? t.retry
            : `${t.pay} ${lang === 'ru' ? view.price.display : view.price.display_en}`}
        </button>
      </form>
      <section id="help" class="help" hidden={!view.needs_help} aria-labelledby="help-title">
        <p id="help-title">
          <strong>{t.help}</strong>
        </p>
        <p id="help-fallback" hidden={Boolean(view.device.contact)}>
          {[view.device.name, view.device.location].filter(Boolean).join(', ')}
        </p>
      </section>
      <div id="contact" class="help" hidden={!view.device.contact}>
        {raw(view.device.contact ?? '')}
      </div>
      <dl>
        <dt>{t.number}</dt>
        <dd id="number">{view.order_number}</dd>
        <dt>{t.time}</dt>
        <dd>
          <LocalTime id="created" iso={view.created_at} locale={lang === 'ru' ? 'ru-RU' : 'en-GB'} />
        </dd>
        {view.device.name ? (
          <>
            <dt>{t.machine[vocabulary]}</dt>
            <dd id="machine">{view.device.name}</dd>
          </>
        ) : null}
        {view.device.location ? (
          <>
            <dt>{t.place}</dt>
            <dd id="location">{view.device.location}</dd>
          </>
        ) : null}
      </dl>
      <LanguageLink lang={other} label={t.other} />
    </CustomerPage>
  );
}
