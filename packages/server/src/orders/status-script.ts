/**
 * The status page's script, sent inline under the page's nonce. It re-renders the parts that
 * follow the status from GET /v1/order-status/:id and keeps asking while the order can still
 * change: every second or so while money or the machine is moving, backing off to half a minute
 * once the order rests (an operator may still act), pausing while the tab is hidden, and saying
 * so on the page while the network is gone. It stops only when the view is `final`.
 */
export function statusPageScript(data: { viewJson: string; iconsJson: string }): string {
  // The page's only script: the data rides in it as JSON the page escaped (no "<" left in it).
  return `
(() => {
  const ACTIVE = ['created', 'pending', 'paid', 'make_pending'];
  const ICONS = ${data.iconsJson};
  let view = ${data.viewJson};
  const lang = document.documentElement.lang;
  const other = lang === 'ru' ? 'en' : 'ru';
  const $ = (id) => document.getElementById(id);
  const text = (v, language) => (language === 'ru' ? v.status_description : v.status_description_en);
  let delay = 1000;
  let failures = 0;
  let timer = null;

  function render() {
    document.title = view.title[lang];
    $('icon').textContent = ICONS[view.status];
    const status = $('status');
    if (status.dataset.status !== view.status || status.textContent !== text(view, lang)) {
      status.textContent = text(view, lang);
      $('status-alt').textContent = text(view, other);
    }
    status.dataset.status = view.status;
    $('pay').hidden = !view.can_pay;
    $('help').hidden = !view.needs_help;
    const contact = $('contact');
    contact.innerHTML = view.device.contact || '';
    contact.hidden = !view.device.contact;
    $('help-fallback').hidden = Boolean(view.device.contact);
  }

  function localTime() {
    const time = $('created');
    if (!time) return;
    try {
      time.textContent = new Date(time.dateTime).toLocaleString(lang === 'ru' ? 'ru-RU' : 'en-GB', {
        dateStyle: 'medium',
        timeStyle: 'short',
      });
    } catch {}
  }

  function schedule(ms) {
    clearTimeout(timer);
    if (view.final) return;
    timer = setTimeout(poll, ms);
  }

  async function poll() {
    if (document.hidden) return; // visibilitychange resumes it
    try {
      const res = await fetch('/v1/order-status/' + encodeURIComponent(view.order_id), { cache: 'no-store' });
      if (!res.ok) throw new Error('HTTP ' + res.status);
      const next = await res.json();
      const changed = next.status !== view.status;
      view = next;
      failures = 0;
      $('offline').hidden = true;
      render();
      delay = ACTIVE.includes(view.status) ? 1000 : changed ? 2000 : Math.min(delay * 1.5, 30000);
      schedule(delay);
    } catch {
      failures += 1;
      $('offline').hidden = false;
      schedule(Math.min(1000 * 2 ** failures, 15000));
    }
  }

  document.addEventListener('visibilitychange', () => {
    if (!document.hidden) schedule(0);
  });
  window.addEventListener('online', () => schedule(0));
  localTime();
  render();
  schedule(delay);
})();
`;
}
