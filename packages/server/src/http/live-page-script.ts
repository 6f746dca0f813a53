/**
 * The script shared by the customer pages that follow a status (order status, POS return): it
 * keeps asking the status URL while the status can still change, every second or so while it is
 * moving, backing off to half a minute once it rests (an operator may still act), pausing while
 * the tab is hidden, and saying so on the page (#offline) while the network is gone. It stops
 * only once the view is `final`. Each page brings its `render(view)`, run on load and on news.
 */
export interface LivePageScript {
  /** The page's view, JSON the caller escaped for a script element (no "<" left in it). */
  viewJson: string;
  /** Path of the JSON status, relative to the site. */
  statusPath: string;
  /** Statuses that move on their own within seconds: asked about every second. */
  active: readonly string[];
  /** JavaScript defining `function render(view)` (and any constants it needs). */
  render: string;
}

export function livePageScript({ viewJson, statusPath, active, render }: LivePageScript): string {
  return `
(() => {
  const ACTIVE = ${JSON.stringify(active)};
  const STATUS_URL = ${JSON.stringify(statusPath).replace(/</g, '\\u003c')};
  const lang = document.documentElement.lang;
  const $ = (id) => document.getElementById(id);
  let view = ${viewJson};
  ${render}
  let delay = 1000;
  let failures = 0;
  let timer = null;

  function schedule(ms) {
    clearTimeout(timer);
    if (view.final) return;
    timer = setTimeout(poll, ms);
  }

  async function poll() {
    if (document.hidden) return; // visibilitychange resumes it
    try {
      const res = await fetch(STATUS_URL, { cache: 'no-store' });
      if (!res.ok) throw new Error('HTTP ' + res.status);
      const next = await res.json();
      const changed = next.status !== view.status;
      view = next;
      failures = 0;
      $('offline').hidden = true;
      render(view);
      delay = ACTIVE.includes(view.status) ? 1000 : changed ? 2000 : Math.min(delay * 1.5, 30000);
      schedule(delay);
    } catch {
      failures += 1;
      $('offline').hidden = false;
      schedule(Math.min(1000 * 2 ** failures, 15000));
    }
  }

  function localTimes() {
    for (const time of document.querySelectorAll('time[data-local]')) {
      try {
        time.textContent = new Date(time.dateTime).toLocaleString(time.dataset.local, { dateStyle: 'medium', timeStyle: 'short' });
      } catch {}
    }
  }

  document.addEventListener('visibilitychange', () => {
    if (!document.hidden) schedule(0);
  });
  window.addEventListener('online', () => schedule(0));
  localTimes();
  render(view);
  schedule(delay);
})();
`;
}
