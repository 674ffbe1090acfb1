// Dashboard page script: fetches /dashboard/api/* with the admin key kept in sessionStorage (never
// in a URL), draws Chart.js charts, edits routers through the admin API (PATCH
// /admin/v1/routers/{name}) and sends given-up batch webhook deliveries again (POST
// /admin/v1/batch-webhooks/{id}/retry). Refreshes every 3 s; says when the router cannot be
// reached (and how old the figures are) and clears that once it answers again; a key the router
// refuses is forgotten, so the page asks for one rather than polling with it.
/* global Chart */
import { chartSummaries, nameChart } from './chart-text.js';

const KEY = 'model-router-admin-key';
const REFRESH_MS = 3000;
/** Models drawn apart in the charts; the rest are summed as "other models" (the table lists all). */
const TOP_MODELS = 8;
/** Groups the Spend-by table shows: the busiest (GET /admin/v1/usage lists them all). */
const USAGE_ROWS = 50;
const charts = {};
const COLORS = [
  '#3b6fd8',
  '#e07b39',
  '#3a9d5d',
  '#c24d7c',
  '#8a63d2',
  '#d4a72c',
  '#4aa3b5',
  '#b5523b',
  '#7d8591',
];
/** The colour of "other models": the last, never one of the top models'. */
const OTHER_COLOR = COLORS[COLORS.length - 1];

function key() {
  return sessionStorage.getItem(KEY) || '';
}

// The message bar: `error` messages are the refresh's own and clear when the router answers
// again; `info` ones (a save, a retry) stay until the next action, and so do `failed` ones (a
// save or retry the router refused), which look and are announced as errors. It is a live
// region: the refresh's own messages (`error`, `prompt`), said again every 3 s, are rewritten only
// when they change, or screen readers would read them out again at each refresh; a user's action
// is always said, even when it says what the last one did.
let messageKind = '';
function show(message, kind = 'info') {
  const el = document.getElementById('message');
  const fromRefresh = kind === 'error' || kind === 'prompt';
  if (fromRefresh && kind === messageKind && el.textContent === message && !el.hidden) return;
  el.textContent = message;
  el.hidden = !message;
  el.className = `message ${kind}`;
  el.setAttribute('role', kind === 'error' || kind === 'failed' ? 'alert' : 'status');
  messageKind = message ? kind : '';
}

/** An API answer that was not OK: its status, and the error envelope's message when it has one. */
class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

async function api(path, init = {}) {
  return (await apiWithTag(path, init)).body;
}

/** `api`, with the reply's ETag (an admin item's entity tag, for If-Match). */
async function apiWithTag(path, init = {}) {
  const res = await fetch(path, {
    ...init,
    headers: {
      'content-type': 'application/json',
      authorization: `Bearer ${key()}`,
      ...(init.headers || {}),
    },
  });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new ApiError(res.status, body?.error?.message || `HTTP ${res.status}`);
  return { body, etag: res.headers.get('etag') };
}

const money2 = new Intl.NumberFormat('en-US', {
  style: 'currency',
  currency: 'USD',
  minimumFractionDigits: 2,
  maximumFractionDigits: 2,
});
const moneySmall = new Intl.NumberFormat('en-US', {
  style: 'currency',
  currency: 'USD',
  maximumSignificantDigits: 3,
});
/** USD: cents from a dollar up, three significant digits below (a request costs fractions of a cent). */
const usd = (v) => (v === 0 ? '$0.00' : (Math.abs(v) >= 1 ? money2 : moneySmall).format(v));
const count = (v) => new Intl.NumberFormat('en-US').format(v);
const pct = (v) => `${(v * 100).toFixed(1)}%`;

/** The browser's time zone, named and as an offset from UTC: every time on the page is in it. */
function timeZoneLabel(at = new Date()) {
  const name = Intl.DateTimeFormat().resolvedOptions().timeZone || 'local time';
  const off = -at.getTimezoneOffset();
  const hhmm = `${String(Math.floor(Math.abs(off) / 60)).padStart(2, '0')}:${String(Math.abs(off) % 60).padStart(2, '0')}`;
  return name === 'UTC' ? 'UTC' : `${name} (UTC${off < 0 ? '−' : '+'}${hhmm})`;
}
const clock = (t) =>
  new Date(t).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
const dayAndClock = (t) =>
  new Date(t).toLocaleString([], {
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
  });

/** A name cut for a legend or an axis (the tooltip shows it whole). */
const short = (name, max = 28) => (name.length > max ? `${name.slice(0, max - 1)}…` : name);
/** Requests no model served (refused or failed before one did): the summary's `(none)`. */
const modelLabel = (key) => (key === '(none)' ? '(not served)' : key);

function drawChart(id, config) {
  if (charts[id]) {
    charts[id].data = config.data;
    charts[id].update('none');
    return;
  }
  const type = config.type;
  // Legends cut long model names; the default label maker of the chart's type does the rest.
  const labels =
    Chart.overrides[type]?.plugins?.legend?.labels?.generateLabels ??
    Chart.defaults.plugins.legend.labels.generateLabels;
  const options = config.options || {};
  charts[id] = new Chart(document.getElementById(id), {
    ...config,
    options: {
      animation: false,
      maintainAspectRatio: false,
      responsive: true,
      ...options,
      plugins: {
        ...(options.plugins || {}),
        legend: {
          labels: {
            generateLabels: (chart) => labels(chart).map((l) => ({ ...l, text: short(l.text) })),
          },
        },
      },
    },
  });
}

/**
 * Every bucket of the window, empty ones as zeros, so the time axis spans the window the
 * selector names (the API sends only buckets that had requests).
 */
function fillBuckets(series, now, windowMs, bucketMs) {
  const first = Math.floor((now - windowMs) / bucketMs) * bucketMs;
  const last = Math.floor(now / bucketMs) * bucketMs;
  if ((last - first) / bucketMs > 2000) return series; // a tiny custom bucket: as sent
  const byT = new Map(series.map((b) => [b.t, b]));
  const out = [];
  for (let t = first; t <= last; t += bucketMs)
    out.push(byT.get(t) ?? { t, byModel: {}, costUsd: 0, baselineCostUsd: 0 });
  return out;
}

const human = (ms) =>
  ms % 86_400_000 === 0
    ? `${ms / 86_400_000} d`
    : ms % 3_600_000 === 0
      ? `${ms / 3_600_000} h`
      : ms % 60_000 === 0
        ? `${ms / 60_000} min`
        : `${Math.round(ms / 1000)} s`;

// What the cards and charts read: this replica's live records, which a restart empties and which
// keep its last 20,000 requests; the Spend-by table reads the request log (every replica).
function renderCoverage(data) {
  const note = document.getElementById('live-note');
  const live = data.live ?? { from: 0, capacity: 20000 };
  const partial = live.from > data.now - data.window.sinceMs;
  note.textContent =
    `Cards and charts: this replica's live records (its last ${count(live.capacity)} requests)` +
    (partial
      ? `, which hold only requests since ${dayAndClock(live.from)}: ` +
        (live.reason === 'started'
          ? 'this replica started then.'
          : `older ones have left its last ${count(live.capacity)}.`)
      : '.') +
    ` Spend by: the request log. Times: ${timeZoneLabel()}.`;
  note.className = partial ? 'note partial' : 'note';
}

// The request log's health (the Spend-by table reads it): quiet while it writes, loud when not.
function renderLogStatus(log) {
  const el = document.getElementById('log-status');
  const trouble = log && (!log.ok || log.dropped > 0);
  el.textContent = !log
    ? 'request log off'
    : `request log (${log.kind}): ${log.ok ? 'writing' : `failing${log.lastError ? `: ${log.lastError}` : ''}`}` +
      (log.buffered ? `, ${count(log.buffered)} queued` : '') +
      (log.dropped ? `, ${count(log.dropped)} dropped` : '');
  el.className = trouble ? 'log-trouble' : 'muted';
}

function render(data) {
  const o = data.overview;
  document.getElementById('c-requests').textContent = count(o.requests);
  // ≈ only where some of the spend is an estimate (a failed request's estimate is $0).
  document.getElementById('c-spend').textContent =
    o.usageEstimatedCostUsd > 0 ? `≈${usd(o.costUsd)}` : usd(o.costUsd);
  // Requests whose upstream reported no usage: their tokens, and so their cost, are estimates.
  const estimated = document.getElementById('c-spend-estimated');
  estimated.hidden = !o.usageEstimated;
  estimated.textContent = o.usageEstimated
    ? `${usd(o.usageEstimatedCostUsd)} estimated (${count(o.usageEstimated)} requests, ${pct(o.usageEstimatedRate)})`
    : '';
  document.getElementById('c-baseline').textContent = usd(o.baselineCostUsd);
  document.getElementById('c-savings').textContent =
    `${usd(o.savingsUsd)} (${pct(o.savingsRatio)})`;
  document.getElementById('c-errors').textContent = pct(o.errorRate);
  // Requests the router refused as invalid (the client's to fix): not in the error rate.
  const invalid = document.getElementById('c-invalid');
  invalid.hidden = !o.invalidRequests;
  invalid.textContent = o.invalidRequests
    ? `and ${count(o.invalidRequests)} invalid requests (${pct(o.invalidRequestRate)}), refused`
    : '';
  invalid.title =
    'Refused by the router itself, not by an upstream: malformed, an unknown model, too large (400, 404, 413, 415, 422).';
  document.getElementById('c-failovers').textContent = pct(o.failoverRate);
  document.getElementById('c-cache').textContent =
    data.cacheEnabled || o.cacheHits > 0 ? `${pct(o.cacheHitRate)} (${count(o.cacheHits)})` : 'off';
  document.getElementById('status').textContent = `config revision ${data.configRevision}`;
  renderLogStatus(data.status?.request_log);
  renderCoverage(data);
  const empty = document.getElementById('empty-note');
  empty.hidden = o.requests > 0;
  empty.textContent = `No request in the last ${human(data.window.sinceMs)} on this replica.`;
  document.getElementById('cost-bucket').textContent = human(data.window.bucketMs);

  // The busiest models apart (the summary lists them busiest first), the rest as one.
  const top = o.models.slice(0, TOP_MODELS);
  const rest = o.models.slice(TOP_MODELS);
  const topKeys = top.map((m) => m.key);
  const otherLabel = `other models (${rest.length})`;
  const series = fillBuckets(o.series, data.now, data.window.sinceMs, data.window.bucketMs);
  const withDate = data.window.sinceMs > 86_400_000 - 1;
  const labels = series.map((b) => (withDate ? dayAndClock(b.t) : clock(b.t)));
  const othersIn = (b) =>
    Object.entries(b.byModel).reduce((n, [m, k]) => (topKeys.includes(m) ? n : n + k), 0);
  drawChart('chart-traffic', {
    type: 'bar',
    data: {
      labels,
      datasets: [
        ...top.map((m, i) => ({
          label: modelLabel(m.key),
          data: series.map((b) => b.byModel[m.key] || 0),
          backgroundColor: COLORS[i],
        })),
        ...(rest.length
          ? [{ label: otherLabel, data: series.map(othersIn), backgroundColor: OTHER_COLOR }]
          : []),
      ],
    },
    options: { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } } },
  });
  drawChart('chart-share', {
    type: 'doughnut',
    data: {
      labels: [...top.map((m) => modelLabel(m.key)), ...(rest.length ? [otherLabel] : [])],
      datasets: [
        {
          data: [
            ...top.map((m) => m.requests),
            ...(rest.length ? [rest.reduce((n, m) => n + m.requests, 0)] : []),
          ],
          backgroundColor: [...top.map((_, i) => COLORS[i]), OTHER_COLOR],
        },
      ],
    },
  });
  drawChart('chart-cost', {
    type: 'line',
    data: {
      labels,
      datasets: [
        {
          label: 'spend',
          data: series.map((b) => b.costUsd),
          borderColor: COLORS[0],
          pointRadius: 1,
        },
        {
          label: 'top-model baseline',
          data: series.map((b) => b.baselineCostUsd),
          borderColor: COLORS[1],
          pointRadius: 1,
        },
      ],
    },
    options: { scales: { y: { beginAtZero: true, ticks: { callback: (v) => usd(v) } } } },
  });
  // Requests no model served have no latency worth drawing; TTFT only where streams measured it.
  const timed = top.filter((m) => m.key !== '(none)');
  drawChart('chart-latency', {
    type: 'bar',
    data: {
      labels: timed.map((m) => modelLabel(m.key)),
      datasets: [
        {
          label: 'latency p50',
          data: timed.map((m) => m.latencyP50Ms),
          backgroundColor: COLORS[0],
        },
        {
          label: 'TTFT p50',
          data: timed.map((m) => m.ttftP50Ms ?? null),
          backgroundColor: COLORS[2],
        },
      ],
    },
    options: {
      scales: {
        x: {
          ticks: {
            callback(value) {
              return short(this.getLabelForValue(value), 20);
            },
          },
        },
        y: { beginAtZero: true, title: { display: true, text: 'ms' } },
      },
    },
  });
  const names = chartSummaries(o, data.window, top, rest, {
    count,
    pct,
    usd,
    human,
    label: modelLabel,
  });
  nameChart('chart-traffic', names.traffic);
  nameChart('chart-share', names.share);
  nameChart('chart-cost', names.cost);
  nameChart('chart-latency', names.latency);
  renderRouters(data);
  document.getElementById('routers-note').textContent =
    `Save sends only what you changed in a row. Router edits: ${editsKept(data)}`;
  renderHealth(data.health ?? []);
}

/** A table body's one row saying it is empty. */
function emptyRow(tbody, text) {
  const tr = document.createElement('tr');
  const td = document.createElement('td');
  td.colSpan = tbody.parentElement.querySelectorAll('thead th').length;
  td.className = 'empty';
  td.textContent = text;
  tr.append(td);
  tbody.replaceChildren(tr);
}

function renderHealth(rows) {
  // A figure and its unit read as one: a no-break space, so a narrow cell never sets "ms" under it.
  const ms = (v) => (v === undefined ? '' : `${v}\u00a0ms`);
  const tbody = document.querySelector('#health tbody');
  tbody.replaceChildren(
    ...rows.map((d) => {
      const tr = document.createElement('tr');
      tr.dataset.deployment = d.name;
      const cells = [
        d.name,
        d.kind === 'embeddings' ? `${d.model} (embeddings)` : d.model,
        d.region ?? '',
        d.pools.join(', '),
        d.circuit,
        d.coolingDownSeconds ? `${d.coolingDownSeconds} s` : '',
        String(d.inFlight),
        ms(d.firstTokenMs),
        ms(d.answerMs),
        d.budgetUsed === undefined ? '' : `${Math.round(d.budgetUsed * 100)}%`,
      ];
      for (const text of cells) {
        const td = document.createElement('td');
        td.textContent = text;
        tr.append(td);
      }
      if (d.circuit !== 'closed' || d.coolingDownSeconds || d.budgetUsed >= 1)
        tr.className = 'unhealthy';
      return tr;
    }),
  );
}

/** The router just saved: its row is drawn again once, with the focus back on its Save button. */
let saved = '';
/** Each router row and the router it was drawn from: a Save sends what differs from it. */
const drawnRouters = new WeakMap();
/** The latest overview: a Cancel draws its row from it. */
let lastData;

function cell(...children) {
  const td = document.createElement('td');
  td.append(...children);
  return td;
}

const models = (n) => `${n} model${n === 1 ? '' : 's'}`;
const sameMembers = (a, b) => a.length === b.length && a.every((n) => b.includes(n));

/**
 * What the user changed in a router's row, against the router it was drawn from: the mode (when
 * another), and the boxes ticked and unticked. Un-doing a change is no change.
 */
function rowEdits(tr) {
  const { router } = drawnRouters.get(tr);
  const mode = tr.querySelector('select.mode').value;
  const boxes = [...tr.querySelectorAll('input.member')];
  const was = (b) => router.modelSubset.includes(b.value);
  return {
    routingMode: mode === router.routingMode ? undefined : mode,
    added: boxes.filter((b) => b.checked && !was(b)).map((b) => b.value),
    removed: boxes.filter((b) => !b.checked && was(b)).map((b) => b.value),
  };
}
const isEdited = (e) => e.routingMode !== undefined || e.added.length > 0 || e.removed.length > 0;

/** A row being edited is marked, and offers Cancel. */
function markEdited(tr) {
  const edited = isEdited(rowEdits(tr));
  tr.classList.toggle('edited', edited);
  tr.querySelector('button.cancel').hidden = !edited;
}

/**
 * An edited row is not drawn again (it would lose the edit): it says when its router changed on
 * the server meanwhile, or left the config. `r` is the router now (undefined: gone).
 */
function noteServerChange(tr, r) {
  const { router } = drawnRouters.get(tr);
  const note = tr.querySelector('.row-note.changed');
  const changed =
    !r || r.routingMode !== router.routingMode || !sameMembers(r.modelSubset, router.modelSubset);
  note.hidden = !changed;
  // A status region: rewritten only when what it says changes (not at every refresh).
  const text = !r
    ? 'This router is no longer in the config.'
    : changed
      ? `Changed on the server since this row was drawn: now ${r.routingMode}, ${r.modelSubset.join(', ')}. ` +
        'Save applies only what you changed here to it; Cancel shows it as it is now.'
      : '';
  if (note.textContent !== text) note.textContent = text;
}

/** Subset members the row draws no box for, each with why: they are shown, and a Save keeps them. */
function hiddenMembers(r, data, shown) {
  return r.modelSubset
    .filter((n) => !shown.includes(n))
    .map((n) => {
      const d = data.deployments.find((x) => x.name === n);
      if (d) return `${n} (zone ${d.dataZone})`;
      return (data.health ?? []).some((x) => x.name === n)
        ? `${n} (not a chat deployment)`
        : `${n} (no such deployment)`;
    });
}

/**
 * What a router's row shows: a box for each chat deployment of its zone, and the members it has
 * none for; `drawnFrom` (all of it with the router) changes when the row must be drawn again.
 */
function rowContent(r, data) {
  const eligible = data.deployments.filter((d) => !r.dataZone || d.dataZone === r.dataZone);
  const shown = eligible.map((d) => d.name);
  const others = hiddenMembers(r, data, shown);
  return { eligible, others, drawnFrom: JSON.stringify([r, shown, others]) };
}

// Built with DOM calls, not HTML text: a deployment or router name is any string an admin gave it.
function routerRow(r, data) {
  const tr = document.createElement('tr');
  tr.dataset.router = r.name;
  const { eligible, others, drawnFrom } = rowContent(r, data);
  const mode = document.createElement('select');
  mode.className = 'mode';
  mode.setAttribute('aria-label', `routing mode of ${r.name}`);
  for (const m of ['balanced', 'quality', 'cost']) {
    const option = new Option(m, m, false, m === r.routingMode);
    mode.append(option);
  }
  const subset = eligible.map((d) => {
    const label = document.createElement('label');
    label.className = 'subset';
    const box = document.createElement('input');
    box.type = 'checkbox';
    box.className = 'member';
    box.value = d.name;
    box.checked = r.modelSubset.includes(d.name);
    const name = document.createElement('span');
    name.textContent = d.name;
    label.append(box, name);
    return label;
  });
  const also = document.createElement('p');
  also.className = 'row-note also';
  also.hidden = others.length === 0;
  also.textContent = `Also in its subset, with no box here: ${others.join(', ')}. A Save keeps them.`;
  const changed = document.createElement('p');
  changed.className = 'row-note changed';
  changed.setAttribute('role', 'status');
  changed.hidden = true;
  const save = document.createElement('button');
  save.className = 'save';
  save.textContent = 'Save';
  save.setAttribute('aria-label', `Save ${r.name}`);
  save.addEventListener('click', () => void saveRouter(tr));
  const cancel = document.createElement('button');
  cancel.className = 'cancel';
  cancel.textContent = 'Cancel';
  cancel.setAttribute('aria-label', `Cancel the changes to ${r.name}`);
  cancel.hidden = true;
  // Drawn again from the latest config (a router gone from it leaves the table).
  cancel.addEventListener('click', () => {
    saved = r.name;
    tr.remove();
    renderRouters(lastData);
  });
  tr.append(
    cell(r.name),
    cell(mode),
    cell(...subset, also, changed),
    cell(r.version),
    cell(save, ' ', cancel),
  );
  tr.addEventListener('change', () => markEdited(tr));
  drawnRouters.set(tr, {
    router: { routingMode: r.routingMode, modelSubset: [...r.modelSubset] },
    drawnFrom,
  });
  return tr;
}

/** The control of a new row that stands where `el` stood in the old one (same kind, same box). */
function sameControl(tr, el) {
  if (el.matches('input.member'))
    return [...tr.querySelectorAll('input.member')].find((b) => b.value === el.value);
  const kind = ['select.mode', 'button.save', 'button.cancel'].find((k) => el.matches(k));
  return kind ? tr.querySelector(kind) : undefined;
}

/**
 * The routers table follows the config on every refresh, a row at a time: a row is drawn again
 * only when its router changed, and never while it is being edited (it says so when its router
 * changed on the server meanwhile). The keyboard's focus stays on its control.
 */
function renderRouters(data) {
  lastData = data;
  const tbody = document.querySelector('#routers tbody');
  const focused = document.activeElement;
  const old = new Map([...tbody.rows].map((tr) => [tr.dataset.router, tr]));
  let refocus;
  const rows = data.routers.map((r) => {
    const tr = old.get(r.name);
    if (tr && r.name !== saved) {
      if (isEdited(rowEdits(tr))) {
        noteServerChange(tr, r);
        return tr;
      }
      if (drawnRouters.get(tr).drawnFrom === rowContent(r, data).drawnFrom) return tr;
    }
    const fresh = routerRow(r, data);
    if (tr?.contains(focused)) refocus = sameControl(fresh, focused);
    return fresh;
  });
  // A row being edited whose router left the config stays, saying so (its Save would say "No router").
  for (const [name, tr] of old)
    if (!data.routers.some((r) => r.name === name) && isEdited(rowEdits(tr))) {
      noteServerChange(tr, undefined);
      rows.push(tr);
    }
  // Rows kept are left in place (moving one would take the keyboard's focus from it).
  for (const tr of [...tbody.rows]) if (!rows.includes(tr)) tr.remove();
  rows.forEach((tr, i) => {
    if (tbody.rows[i] !== tr) tbody.insertBefore(tr, tbody.rows[i] ?? null);
  });
  refocus?.focus();
  if (saved) {
    const name = saved;
    saved = '';
    [...tbody.rows]
      .find((tr) => tr.dataset.router === name)
      ?.querySelector('.save')
      ?.focus();
  }
}

/** Where the page's router edits are kept: said under the table and after a Save. */
function editsKept(data) {
  return data?.status?.shared_state?.kind === 'memory'
    ? "Kept in this replica's memory (state.kind: memory): a restart, or a change to the config file, undoes it. Make the change in the config file too to keep it."
    : 'Kept until the config file changes (the file wins then): make the change there too to keep it.';
}

/**
 * Sends only what the user changed: the mode alone when only it changed; for the subset, the
 * boxes ticked and unticked applied to the subset as it is on the server now (read just before),
 * so another admin's change, and members the row has no box for, are kept. The PATCH carries the
 * read's ETag (If-Match): a change landing between the read and the PATCH makes it a 412, and the
 * page reads again and applies the user's changes to that (three tries), so none is overwritten.
 */
async function saveRouter(tr) {
  const name = tr.dataset.router;
  const edits = rowEdits(tr);
  if (!isEdited(edits)) {
    show(`Nothing to save for ${name}: its row is as drawn.`);
    return;
  }
  const drawn = drawnRouters.get(tr).router;
  const path = `/admin/v1/routers/${encodeURIComponent(name)}`;
  try {
    let now;
    let result;
    for (let attempt = 1; !result; attempt++) {
      const read = await apiWithTag(path);
      now = read.body;
      const body = {};
      if (edits.routingMode) body.routingMode = edits.routingMode;
      if (edits.added.length || edits.removed.length)
        body.modelSubset = [
          ...now.modelSubset.filter((n) => !edits.removed.includes(n)),
          ...edits.added.filter((n) => !now.modelSubset.includes(n)),
        ];
      try {
        result = await api(path, {
          method: 'PATCH',
          body: JSON.stringify(body),
          headers: read.etag ? { 'if-match': read.etag } : {},
        });
      } catch (err) {
        if (!(err instanceof ApiError && err.status === 412) || attempt >= 3) throw err;
      }
    }
    const changes = [
      ...(edits.routingMode ? [`mode ${edits.routingMode}`] : []),
      ...(edits.added.length ? [`added ${edits.added.join(', ')}`] : []),
      ...(edits.removed.length ? [`removed ${edits.removed.join(', ')}`] : []),
    ];
    const meanwhile =
      now.routingMode !== drawn.routingMode || !sameMembers(now.modelSubset, drawn.modelSubset)
        ? ` It had changed on the server since its row was drawn (to ${now.routingMode}, ${models(now.modelSubset.length)}): only your changes were applied to that.`
        : '';
    const warnings = (result.warnings || []).filter((w) => w.includes(`router ${name} `));
    show(
      `Saved ${name} (${changes.join('; ')}): now ${result.routingMode}, ${models(result.modelSubset.length)}.` +
        meanwhile +
        (warnings.length ? ` Note: ${warnings.join(' ')}` : '') +
        ` ${editsKept(lastData)}`,
    );
    saved = name;
  } catch (err) {
    // The row keeps the edit, to be put right and saved again (or cancelled).
    show(`Could not save ${name}: ${err.message}`, 'failed');
  }
  await refresh();
}

/**
 * A receipt's reason, folded: its first clause (why the pick won) shows; the whole summary (the
 * band's arithmetic, fallbacks, exclusions) opens on a click, so the table stays a table.
 */
function whyCell(d) {
  const td = document.createElement('td');
  td.className = 'why';
  const clause = String(d.reason ?? '').split('; ')[0];
  if (!clause || clause === d.reason) {
    td.textContent = d.summary;
    return td;
  }
  const details = document.createElement('details');
  const head = document.createElement('summary');
  head.textContent = clause;
  const full = document.createElement('p');
  full.textContent = d.summary;
  details.append(head, full);
  td.append(details);
  return td;
}

/**
 * Who answered: the deployment that served (after any failover); none when every try failed, not
 * the pick, which "why" names.
 */
function servedText(d) {
  if (d.servedBy) return d.servedBy;
  return d.attempts.length ? 'none: every try failed' : `none yet (picked ${d.pick})`;
}

/** How many tries, and each that failed with why: what a failover went past. */
function attemptsCell(d) {
  const td = document.createElement('td');
  td.textContent = String(d.attempts.length);
  for (const a of d.attempts.filter((t) => t.outcome !== 'ok')) {
    const note = document.createElement('p');
    note.className = 'row-note failed-try';
    note.textContent = `${a.deployment}: ${[a.httpStatus, a.errorCode ?? a.outcome].filter(Boolean).join(' ')}`;
    td.append(note);
  }
  return td;
}

async function renderDecisions() {
  const { data } = await api('/dashboard/api/decisions?limit=15');
  const tbody = document.querySelector('#decisions tbody');
  // A receipt under the keyboard's focus (a clicked summary has it) stays where it is.
  if (tbody.contains(document.activeElement)) return;
  if (data.length === 0) return emptyRow(tbody, 'No routing decision yet on this replica.');
  // Receipts opened stay open when the table is drawn again (each is known by its id).
  const open = new Set(
    [...tbody.querySelectorAll('tr[data-decision]')]
      .filter((tr) => tr.querySelector('details')?.open)
      .map((tr) => tr.dataset.decision),
  );
  tbody.replaceChildren(
    ...data.map((d) => {
      const tr = document.createElement('tr');
      tr.dataset.decision = d.id;
      for (const text of [clock(d.time), d.router, d.mode, servedText(d)]) {
        const td = document.createElement('td');
        td.textContent = text;
        tr.append(td);
      }
      tr.append(attemptsCell(d), whyCell(d));
      const details = tr.querySelector('details');
      if (details && open.has(d.id)) details.open = true;
      return tr;
    }),
  );
}

// Every tenant's batches (OpenAI's and Anthropic's): the unfinished ones, then the latest that
// have finished, greyed. A runaway one is stopped with POST /admin/v1/batches/{id}/cancel.
async function renderBatches() {
  const tbody = document.querySelector('#batches tbody');
  const note = document.getElementById('batches-note');
  try {
    const b = await api('/dashboard/api/batches');
    tbody.replaceChildren(
      ...[...b.unfinished, ...b.finished].map((batch, i) => {
        const tr = document.createElement('tr');
        tr.dataset.batch = batch.id;
        const { total, completed, failed } = batch.requestCounts;
        const cells = [
          batch.id,
          batch.tenant,
          batch.api === 'anthropic' ? 'Anthropic' : 'OpenAI',
          batch.status,
          `${completed} completed, ${failed} failed of ${total}`,
          new Date(batch.createdAt).toLocaleString(),
          batch.endpoint,
        ];
        for (const text of cells) {
          const td = document.createElement('td');
          td.textContent = text;
          tr.append(td);
        }
        if (i >= b.unfinished.length) tr.className = 'finished';
        return tr;
      }),
    );
    // An empty table says so in its body, as the others do; the note speaks of the rows shown.
    if (b.unfinished.length + b.finished.length === 0) emptyRow(tbody, 'No batch yet.');
    note.textContent =
      (b.unfinished.length === 0 ? 'No batch is running. ' : '') +
      (b.moreUnfinished
        ? `The first ${b.unfinished.length} unfinished batches; GET /admin/v1/batches?status=unfinished lists them all. `
        : '') +
      (b.finished.length ? 'Greyed: the latest batches to have finished. ' : '') +
      (b.unfinished.length ? 'Stop one with POST /admin/v1/batches/{id}/cancel.' : '');
  } catch (err) {
    tbody.replaceChildren();
    note.textContent = err.message;
  }
}

// Batch webhook deliveries that want an operator's eye, from the outbox through the admin API: the
// ones given up (failed), each with a Retry button (POST /admin/v1/batch-webhooks/{id}/retry), then
// the ones still pending. Delivered ones are left out: GET /admin/v1/batch-webhooks lists them.
const WEBHOOKS_SHOWN = 20;
const when = (seconds) => (seconds ? new Date(seconds * 1000).toLocaleString() : '');

async function retryWebhook(id) {
  try {
    await api(`/admin/v1/batch-webhooks/${encodeURIComponent(id)}/retry`, {
      method: 'POST',
      body: '{}',
    });
    show(`Delivery ${id} is pending again.`);
  } catch (err) {
    show(`Cannot retry ${id}: ${err.message}`, 'failed');
  }
  await renderWebhooks(true);
}

async function renderWebhooks(force = false) {
  const tbody = document.querySelector('#webhooks tbody');
  // A Retry button under the keyboard's focus stays where it is until it moves on.
  if (!force && tbody.contains(document.activeElement)) return;
  const note = document.getElementById('webhooks-note');
  try {
    const [failed, pending] = await Promise.all(
      ['failed', 'pending'].map((status) =>
        api(`/admin/v1/batch-webhooks?status=${status}&limit=${WEBHOOKS_SHOWN}`),
      ),
    );
    tbody.replaceChildren(
      ...[...failed.data, ...pending.data].map((d) => {
        const tr = document.createElement('tr');
        tr.dataset.delivery = d.id;
        const cells = [
          d.id,
          d.status === 'failed' ? 'given up' : 'pending',
          d.type,
          d.batch_id,
          d.tenant,
          d.host,
          String(d.attempts),
          d.status === 'pending' ? `next ${when(d.next_attempt_at)}` : when(d.finished_at),
          d.last_error || '',
        ];
        for (const text of cells) {
          const td = document.createElement('td');
          td.textContent = text;
          tr.append(td);
        }
        const action = document.createElement('td');
        if (d.status === 'failed') {
          const button = document.createElement('button');
          button.className = 'retry';
          button.textContent = 'Retry';
          button.setAttribute('aria-label', `Retry delivery ${d.id}`);
          button.addEventListener('click', () => void retryWebhook(d.id));
          action.append(button);
        }
        tr.append(action);
        return tr;
      }),
    );
    const more = failed.has_more || pending.has_more;
    if (failed.data.length + pending.data.length === 0)
      emptyRow(tbody, 'No delivery is pending or given up.');
    note.textContent =
      (more ? `The newest ${WEBHOOKS_SHOWN} of each status are shown. ` : '') +
      'Delivered ones, and all the others: GET /admin/v1/batch-webhooks.';
  } catch (err) {
    tbody.replaceChildren();
    note.textContent = err.message;
  }
}

// Spend by tag, end user, tenant, key, model, deployment or router, with the feedback on each group's answers,
// from the request log (GET /admin/v1/usage): read when the grouping or the window changes and
// every 30 s, not on every 3 s refresh (it reads the log).
const USAGE_EVERY_MS = 30_000;
let usageReadAt = 0;
/** The latest usage read: an older one's answer, come late, is not drawn over it. */
let usageRead = 0;

// Feedback on a group's answers (POST /v1/feedback): how many, and their weighted mean score.
function feedbackText(g) {
  if (!g.feedback) return '–';
  const mean = g.meanScore === null || g.meanScore === undefined ? '–' : g.meanScore.toFixed(2);
  return `${mean} (${g.feedback})`;
}

async function renderUsage(force) {
  if (!force && Date.now() - usageReadAt < USAGE_EVERY_MS) return;
  usageReadAt = Date.now();
  const read = ++usageRead;
  const by = document.getElementById('usage-by').value;
  const group = document.getElementById('usage-by').selectedOptions[0].textContent;
  const seconds = Math.round(Number(document.getElementById('window').value) / 1000);
  const note = document.getElementById('usage-note');
  const tbody = document.querySelector('#usage tbody');
  try {
    const query = `since=${seconds}s&by=${by}`;
    const u = await api(`/admin/v1/usage?${query}&limit=${USAGE_ROWS}`);
    if (read !== usageRead) return;
    // The column is named when its rows come, so the two always agree.
    document.getElementById('usage-group').textContent = group;
    if (u.groups.length === 0) emptyRow(tbody, 'No request in the request log for this window.');
    else
      tbody.replaceChildren(
        ...u.groups.map((g) => {
          const tr = document.createElement('tr');
          for (const text of [
            // The charts' word for requests no deployment served, so the two agree.
            by === 'model' || by === 'deployment' ? modelLabel(g.key) : g.key,
            count(g.requests),
            // ≈: some of the group's tokens are the router's estimate (no usage from the upstream).
            g.usageEstimatedCostUsd > 0 ? `≈${usd(g.costUsd)}` : usd(g.costUsd),
            usd(g.savingsUsd),
            count(g.cacheHits),
            feedbackText(g),
          ]) {
            const td = document.createElement('td');
            td.textContent = text;
            tr.append(td);
          }
          // By model or deployment, the calls made there (a timed-out first try's too).
          if (by === 'model' || by === 'deployment')
            tr.children[1].title = `${count(g.attempts)} upstream calls made here`;
          if (g.usageEstimated)
            tr.children[2].title = `${count(g.usageEstimated)} of ${count(g.requests)} requests with usage estimated by the router: ${usd(g.usageEstimatedCostUsd)}`;
          return tr;
        }),
      );
    const estimatedNote = u.groups.some((g) => g.usageEstimatedCostUsd > 0)
      ? ' ≈: spend in part estimated by the router, for requests whose upstream reported no usage.'
      : '';
    const total = u.groupsTotal ?? u.groups.length;
    note.textContent =
      `${count(u.requests)} requests, ${usd(u.costUsd)} spent, from the request log. ` +
      (total > u.groups.length
        ? `The ${u.groups.length} busiest of ${count(total)} groups; all of them: GET /admin/v1/usage?${query}&format=csv. `
        : '') +
      (by === 'tag'
        ? 'A request with several tags counts in each of their rows. Tags: the x-router-tags header, and OpenAI metadata as key=value.'
        : by === 'user'
          ? 'End users as clients name them: user or safety_identifier (OpenAI), metadata.user_id (Anthropic).'
          : by === 'model' || by === 'deployment'
            ? `Requests under the ${by} that served them (after routing and failover); a request that failed is under the deployment it last tried, and (not served): requests that reached no deployment (refused, or none could be tried). Spend is where each upstream call was made: a first try that timed out elsewhere is charged there, so a row may have spend and no request.`
            : '') +
      estimatedNote;
  } catch (err) {
    if (read !== usageRead) return;
    tbody.replaceChildren();
    note.textContent = err.message;
  }
}

/**
 * A table wider than its box (on a phone) scrolls sideways; the keyboard reaches its box then
 * (tabindex 0: arrow keys scroll it), and passes it by when the whole table shows (WCAG 2.1.1).
 */
function markScrollers() {
  for (const box of document.querySelectorAll('.table-scroll')) {
    const scrolls = box.scrollWidth > box.clientWidth;
    if (scrolls && box.tabIndex !== 0) box.tabIndex = 0;
    else if (!scrolls && box.hasAttribute('tabindex')) box.removeAttribute('tabindex');
  }
}
window.addEventListener('resize', markScrollers);

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
    render(await api(`/dashboard/api/overview?since=${seconds}s`));
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
  usageReadAt = 0;
  void refresh();
});
document.getElementById('usage-by').addEventListener('change', () => void renderUsage(true));
void refresh();
setInterval(() => void refresh(), REFRESH_MS);
