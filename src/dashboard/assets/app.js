// Dashboard page script: fetches /dashboard/api/* with the admin key kept in sessionStorage,
// draws Chart.js charts, edits routers through the admin API (PATCH /admin/v1/routers/{name}) and
// sends given-up batch webhook deliveries again (POST /admin/v1/batch-webhooks/{id}/retry).
/* global Chart */
const KEY = 'model-router-admin-key';
const charts = {};
const COLORS = [
  '#3b6fd8',
  '#e07b39',
  '#3a9d5d',
  '#c24d7c',
  '#8a63d2',
  '#d4a72c',
  '#4aa3b5',
  '#7d8591',
  '#b5523b',
];

function key() {
  return sessionStorage.getItem(KEY) || '';
}

function show(message) {
  const el = document.getElementById('message');
  el.textContent = message;
  el.hidden = !message;
}

async function api(path, init = {}) {
  const res = await fetch(path, {
    ...init,
    headers: {
      'content-type': 'application/json',
      authorization: `Bearer ${key()}`,
      ...(init.headers || {}),
    },
  });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(body?.error?.message || `HTTP ${res.status}`);
  return body;
}

const usd = (v) => (v < 0.01 ? `$${v.toFixed(5)}` : `$${v.toFixed(2)}`);
const pct = (v) => `${(v * 100).toFixed(1)}%`;

function drawChart(id, config) {
  if (charts[id]) {
    charts[id].data = config.data;
    charts[id].update('none');
    return;
  }
  charts[id] = new Chart(document.getElementById(id), {
    ...config,
    options: {
      animation: false,
      maintainAspectRatio: false,
      responsive: true,
      ...(config.options || {}),
    },
  });
}

function render(data) {
  const o = data.overview;
  document.getElementById('c-requests').textContent = String(o.requests);
  document.getElementById('c-spend').textContent = o.usageEstimated
    ? `≈${usd(o.costUsd)}`
    : usd(o.costUsd);
  // Requests whose upstream reported no usage: their tokens, and so their cost, are estimates.
  const estimated = document.getElementById('c-spend-estimated');
  estimated.hidden = !o.usageEstimated;
  estimated.textContent = o.usageEstimated
    ? `${usd(o.usageEstimatedCostUsd)} estimated (${o.usageEstimated} requests, ${pct(o.usageEstimatedRate)})`
    : '';
  document.getElementById('c-baseline').textContent = usd(o.baselineCostUsd);
  document.getElementById('c-savings').textContent =
    `${usd(o.savingsUsd)} (${pct(o.savingsRatio)})`;
  document.getElementById('c-errors').textContent = pct(o.errorRate);
  document.getElementById('c-failovers').textContent = pct(o.failoverRate);
  document.getElementById('c-cache').textContent =
    data.cacheEnabled || o.cacheHits > 0 ? `${pct(o.cacheHitRate)} (${o.cacheHits})` : 'off';
  document.getElementById('status').textContent = `config revision ${data.configRevision}`;

  const models = o.models.map((m) => m.key);
  const labels = o.series.map((b) => new Date(b.t).toLocaleTimeString());
  drawChart('chart-traffic', {
    type: 'bar',
    data: {
      labels,
      datasets: models.map((m, i) => ({
        label: m,
        data: o.series.map((b) => b.byModel[m] || 0),
        backgroundColor: COLORS[i % COLORS.length],
      })),
    },
    options: { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } } },
  });
  drawChart('chart-share', {
    type: 'doughnut',
    data: {
      labels: models,
      datasets: [
        {
          data: o.models.map((m) => m.requests),
          backgroundColor: models.map((_, i) => COLORS[i % COLORS.length]),
        },
      ],
    },
  });
  drawChart('chart-cost', {
    type: 'line',
    data: {
      labels,
      datasets: [
        { label: 'spend', data: o.series.map((b) => b.costUsd), borderColor: COLORS[0] },
        {
          label: 'top-model baseline',
          data: o.series.map((b) => b.baselineCostUsd),
          borderColor: COLORS[1],
        },
      ],
    },
  });
  drawChart('chart-latency', {
    type: 'bar',
    data: {
      labels: models,
      datasets: [
        {
          label: 'latency p50',
          data: o.models.map((m) => m.latencyP50Ms),
          backgroundColor: COLORS[0],
        },
        {
          label: 'TTFT p50',
          data: o.models.map((m) => m.ttftP50Ms ?? 0),
          backgroundColor: COLORS[2],
        },
      ],
    },
  });
  renderRouters(data);
  renderHealth(data.health ?? []);
}

function renderHealth(rows) {
  const ms = (v) => (v === undefined ? '' : `${v} ms`);
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

let editing = false;

function renderRouters(data) {
  if (editing) return;
  const tbody = document.querySelector('#routers tbody');
  tbody.replaceChildren(
    ...data.routers.map((r) => {
      const tr = document.createElement('tr');
      tr.dataset.router = r.name;
      const eligible = data.deployments.filter((d) => !r.dataZone || d.dataZone === r.dataZone);
      tr.innerHTML = `<td>${r.name}</td>
        <td><select class="mode">${['balanced', 'quality', 'cost'].map((m) => `<option ${m === r.routingMode ? 'selected' : ''}>${m}</option>`).join('')}</select></td>
        <td>${eligible
          .map(
            (d) =>
              `<label class="subset"><input type="checkbox" value="${d.name}" ${r.modelSubset.includes(d.name) ? 'checked' : ''}/> ${d.name}</label>`,
          )
          .join('')}</td>
        <td>${r.version}</td>
        <td><button class="save">Save</button></td>`;
      tr.addEventListener('change', () => (editing = true));
      tr.querySelector('.save').addEventListener('click', () => saveRouter(tr));
      return tr;
    }),
  );
}

async function saveRouter(tr) {
  const name = tr.dataset.router;
  const routingMode = tr.querySelector('.mode').value;
  const modelSubset = [...tr.querySelectorAll('input[type=checkbox]:checked')].map((c) => c.value);
  try {
    const saved = await api(`/admin/v1/routers/${encodeURIComponent(name)}`, {
      method: 'PATCH',
      body: JSON.stringify({ routingMode, modelSubset }),
    });
    const warnings = (saved.warnings || []).filter((w) => w.includes(`router ${name} `));
    show(
      `Saved ${name}: ${routingMode}, ${modelSubset.length} models.` +
        (warnings.length ? ` Note: ${warnings.join(' ')}` : ''),
    );
  } catch (err) {
    show(`Could not save ${name}: ${err.message}`);
  }
  editing = false;
  await refresh();
}

async function renderDecisions() {
  const { data } = await api('/dashboard/api/decisions?limit=15');
  const tbody = document.querySelector('#decisions tbody');
  tbody.replaceChildren(
    ...data.map((d) => {
      const tr = document.createElement('tr');
      const cells = [
        new Date(d.time).toLocaleTimeString(),
        d.router,
        d.mode,
        d.servedBy ?? d.pick,
        String(d.attempts.length),
        d.summary,
      ];
      cells.forEach((text, i) => {
        const td = document.createElement('td');
        td.textContent = text;
        if (i === 5) td.className = 'why';
        tr.append(td);
      });
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
    note.textContent =
      (b.unfinished.length === 0 ? 'No batch is running. ' : '') +
      (b.moreUnfinished
        ? `The first ${b.unfinished.length} unfinished batches; GET /admin/v1/batches?status=unfinished lists them all. `
        : '') +
      'Greyed: the latest batches to have finished. Stop one with POST /admin/v1/batches/{id}/cancel.';
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
    show(`Cannot retry ${id}: ${err.message}`);
  }
  await renderWebhooks();
}

async function renderWebhooks() {
  const tbody = document.querySelector('#webhooks tbody');
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
          button.addEventListener('click', () => void retryWebhook(d.id));
          action.append(button);
        }
        tr.append(action);
        return tr;
      }),
    );
    const more = failed.has_more || pending.has_more;
    note.textContent =
      (failed.data.length + pending.data.length === 0
        ? 'No delivery is pending or given up. '
        : '') +
      (more ? `The newest ${WEBHOOKS_SHOWN} of each status are shown. ` : '') +
      'Delivered ones, and all the others: GET /admin/v1/batch-webhooks.';
  } catch (err) {
    tbody.replaceChildren();
    note.textContent = err.message;
  }
}

// Spend by tag, end user, tenant, key, model or router, with the feedback on each group's answers,
// from the request log (GET /admin/v1/usage): read when the grouping or the window changes and
// every 30 s, not on every 3 s refresh (it reads the log).
const USAGE_EVERY_MS = 30_000;
let usageReadAt = 0;

// Feedback on a group's answers (POST /v1/feedback): how many, and their weighted mean score.
function feedbackText(g) {
  if (!g.feedback) return '–';
  const mean = g.meanScore === null || g.meanScore === undefined ? '–' : g.meanScore.toFixed(2);
  return `${mean} (${g.feedback})`;
}

async function renderUsage(force) {
  if (!force && Date.now() - usageReadAt < USAGE_EVERY_MS) return;
  usageReadAt = Date.now();
  const by = document.getElementById('usage-by').value;
  const seconds = Math.round(Number(document.getElementById('window').value) / 1000);
  const note = document.getElementById('usage-note');
  document.getElementById('usage-group').textContent =
    document.getElementById('usage-by').selectedOptions[0].textContent;
  const tbody = document.querySelector('#usage tbody');
  try {
    const u = await api(`/admin/v1/usage?since=${seconds}s&by=${by}`);
    tbody.replaceChildren(
      ...u.groups.map((g) => {
        const tr = document.createElement('tr');
        for (const text of [
          g.key,
          String(g.requests),
          // ≈: some of the group's tokens are the router's estimate (no usage from the upstream).
          g.usageEstimated ? `≈${usd(g.costUsd)}` : usd(g.costUsd),
          usd(g.savingsUsd),
          String(g.cacheHits),
          feedbackText(g),
        ]) {
          const td = document.createElement('td');
          td.textContent = text;
          tr.append(td);
        }
        if (g.usageEstimated)
          tr.children[2].title = `${g.usageEstimated} of ${g.requests} requests with usage estimated by the router: ${usd(g.usageEstimatedCostUsd)}`;
        return tr;
      }),
    );
    const estimatedNote = u.groups.some((g) => g.usageEstimated)
      ? ' ≈: spend in part estimated by the router, for requests whose upstream reported no usage.'
      : '';
    note.textContent =
      (by === 'tag'
        ? 'A request with several tags counts in each of their rows. Tags: the x-router-tags header, and OpenAI metadata as key=value.'
        : by === 'user'
          ? 'End users as clients name them: user or safety_identifier (OpenAI), metadata.user_id (Anthropic).'
          : by === 'model'
            ? 'The model that served each request (after routing and failover).'
            : '') + estimatedNote;
  } catch (err) {
    tbody.replaceChildren();
    note.textContent = err.message;
  }
}

async function refresh() {
  if (!key()) {
    show('Enter an admin API key to see the dashboard.');
    document.getElementById('main').hidden = true;
    return;
  }
  try {
    // The window select holds milliseconds; the API reads durations as /admin/v1/usage does.
    const seconds = Math.round(Number(document.getElementById('window').value) / 1000);
    render(await api(`/dashboard/api/overview?since=${seconds}s`));
    await renderDecisions();
    await renderBatches();
    await renderWebhooks();
    await renderUsage(false);
    document.getElementById('main').hidden = false;
    if (document.getElementById('message').textContent.startsWith('Enter')) show('');
  } catch (err) {
    show(`Cannot load the dashboard: ${err.message}`);
  }
}

document.getElementById('key-form').addEventListener('submit', (e) => {
  e.preventDefault();
  sessionStorage.setItem(KEY, document.getElementById('key-input').value.trim());
  document.getElementById('key-input').value = '';
  void refresh();
});
document.getElementById('window').addEventListener('change', () => {
  usageReadAt = 0;
  void refresh();
});
document.getElementById('usage-by').addEventListener('change', () => void renderUsage(true));
void refresh();
setInterval(() => void refresh(), 3000);
