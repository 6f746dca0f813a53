import type { OrderStatus } from '@paystate/core';
import type { StatusView } from './status-view.js';

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

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]!);

/** JSON inside <script> must not be able to close the tag. */
const scriptJson = (value: unknown) => JSON.stringify(value).replace(/</g, '\\u003c');

/**
 * The customer's status page. It renders the current status on the server (works without
 * JavaScript), then polls the JSON every second and stops once the status is terminal.
 * Device client_info HTML was sanitised when an admin saved it; everything else is text.
 */
export function renderStatusPage(view: StatusView, nonce: string): string {
  return `<!doctype html>
<html lang="ru">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Заказ ${escapeHtml(view.drink_name)}</title>
<style nonce="${nonce}">
body{font-family:system-ui,sans-serif;max-width:28rem;margin:2rem auto;padding:0 1rem;text-align:center;color:#222}
#icon{font-size:4rem}#status{font-size:1.2rem;margin:1rem 0}.muted{color:#666;font-size:.9rem}
#pay{display:inline-block;padding:.8rem 1.6rem;background:#2563eb;color:#fff;border-radius:.5rem;text-decoration:none}
[hidden]{display:none!important}#info{margin-top:1.5rem;text-align:left}
</style>
</head>
<body>
<div id="logo">${view.device.logo_url ? `<img src="${escapeHtml(view.device.logo_url)}" alt="" height="48">` : ''}</div>
<div id="icon" aria-hidden="true">${icons[view.status]}</div>
<h1 id="drink">${escapeHtml(view.drink_name)} · ${escapeHtml(view.drink_size)}</h1>
<p class="muted" id="price">${escapeHtml(view.price.display)}</p>
<p id="status" data-status="${view.status}">${escapeHtml(view.status_description)}</p>
<p class="muted" id="status-en">${escapeHtml(view.status_description_en)}</p>
<a id="pay" href="${escapeHtml(view.confirmation_url ?? '#')}"${view.confirmation_url ? '' : ' hidden'}>Оплатить / Pay</a>
<div id="info"></div>
<script nonce="${nonce}">
const icons = ${scriptJson(icons)};
let view = ${scriptJson(view)};
const $ = (id) => document.getElementById(id);
function render() {
  $('icon').textContent = icons[view.status];
  $('status').textContent = view.status_description;
  $('status').dataset.status = view.status;
  $('status-en').textContent = view.status_description_en;
  const pay = $('pay');
  pay.hidden = !view.confirmation_url;
  if (view.confirmation_url) pay.href = view.confirmation_url;
  $('info').innerHTML = view.device['client_info_' + view.status] ?? view.device.client_info ?? '';
}
async function poll() {
  try {
    const res = await fetch('/v1/order-status/' + encodeURIComponent(view.order_id), { cache: 'no-store' });
    if (res.ok) { view = await res.json(); render(); }
  } catch {}
  if (!view.terminal) setTimeout(poll, 1000);
}
render();
if (!view.terminal) setTimeout(poll, 1000);
</script>
</body>
</html>`;
}
