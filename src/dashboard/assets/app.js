// Dashboard page script: fetches /dashboard/api/* with the admin key kept in sessionStorage (never
// in a URL), draws Chart.js charts, edits routers through the admin API (PATCH
// /admin/v1/routers/{name}) and sends given-up batch webhook deliveries again (POST
// /admin/v1/batch-webhooks/{id}/retry). Refreshes every 3 s; says when the router cannot be
// reached (and how old the figures are) and clears that once it answers again; a key the router
// refuses is forgotten, so the page asks for one rather than polling with it.
// Each part of the page lives in its own module (tables, charts, cards); this one runs the refresh.
import { api, KEY, key } from './api.js';
import { renderBatches } from './batches-table.js';
import { renderDecisions } from './decisions-table.js';
import { clock } from './format.js';
import { messageKind, show } from './message.js';
import { renderOverview } from './overview.js';
import { onRouterSaved } from './routers-table.js';
import { markScrollers } from './tables.js';
import { expireUsage, renderUsage } from './usage-table.js';
import { renderWebhooks } from './webhooks-table.js';

const REFRESH_MS = 3000;

window.addEventListener('resize', markScrollers);
// A chart's figures opened (or closed): their box may scroll now (toggle does not bubble).
document.addEventListener('toggle', markScrollers, true);

let refreshing = false;
let updatedAt = 0;

/**
 * Why a key cannot be sent in an Authorization header (a character beyond Latin-1, such as a
 * pasted smart quote, or a control character), or '' when it can.
 */
function unsendable(value) {
  const bad = /[^\x20-\x7e\xa0-\xff]/u.exec(value);
  if (!bad) return '';
  const code = bad[0].codePointAt(0).toString(16).toUpperCase().padStart(4, '0');
  return `That key has a character an HTTP header cannot carry ("${bad[0]}", U+${code}, at position ${bad.index + 1}; pasted with smart quotes?), so it was not sent.`;
}

/** Forgets the key: the page asks for another instead of sending it every 3 s. */
function refuseKey(message) {
  sessionStorage.removeItem(KEY);
  document.getElementById('main').hidden = true;
  show(`${message} Enter an admin API key.`, 'error');
  document.getElementById('key-input').focus();
}

async function refresh() {
  const malformed = unsendable(key());
  if (malformed) return refuseKey(malformed);
  if (!key()) {
    if (messageKind !== 'error') show('Enter an admin API key to see the dashboard.', 'prompt');
    document.getElementById('main').hidden = true;
    return;
  }
  // A slow router must not pile refreshes up behind each other.
  if (refreshing) return;
  refreshing = true;
  const main = document.getElementById('main');
  try {
    // The window select holds milliseconds; the API reads durations as /admin/v1/usage does.
    const seconds = Math.round(Number(document.getElementById('window').value) / 1000);
    renderOverview(await api(`/dashboard/api/overview?since=${seconds}s`));
    await renderDecisions();
    await renderBatches();
    await renderWebhooks();
    await renderUsage(false);
    main.hidden = false;
    main.classList.remove('stale');
    markScrollers();
    updatedAt = Date.now();
    document.getElementById('updated').textContent = `updated ${clock(updatedAt)}`;
    if (messageKind === 'error' || messageKind === 'prompt') show('');
  } catch (err) {
    if (err.status === 401 || err.status === 403) {
      refuseKey(`The router refused that key: ${err.message}`);
    } else if (updatedAt) {
      main.classList.add('stale');
      show(
        `Cannot reach the router (${err.message}). The figures below are from ${clock(updatedAt)}; trying again every ${REFRESH_MS / 1000} s.`,
        'error',
      );
    } else {
      show(
        `Cannot load the dashboard: ${err.message}. Trying again every ${REFRESH_MS / 1000} s.`,
        'error',
      );
    }
  } finally {
    refreshing = false;
  }
}

onRouterSaved(refresh);
document.getElementById('key-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const value = document.getElementById('key-input').value.trim();
  document.getElementById('key-input').value = '';
  if (!value) return;
  const malformed = unsendable(value);
  if (malformed) return refuseKey(malformed);
  sessionStorage.setItem(KEY, value);
  show('');
  void refresh();
});
document.getElementById('window').addEventListener('change', () => {
  expireUsage();
  void refresh();
});
document.getElementById('usage-by').addEventListener('change', () => void renderUsage(true));
void refresh();
setInterval(() => void refresh(), REFRESH_MS);
