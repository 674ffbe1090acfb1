// The overview's answer drawn: the cards, what the live records cover, the request log's health,
// the charts, the routers table and the deployments table.
import { renderCharts } from './charts.js';
import { count, dayAndClock, human, ms, pct, timeZoneLabel, usd } from './format.js';
import { renderHealth } from './health-table.js';
import { editsKept, renderRouters } from './routers-table.js';

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

// The router's own time in its chat requests (x-router-overhead-ms): the median, and the 99th
// percentile with how many requests measured it beneath.
function renderOverhead(overhead) {
  const more = document.getElementById('c-overhead-more');
  document.getElementById('c-overhead').textContent = overhead
    ? `${ms(overhead.p50Ms)} median`
    : '–';
  more.hidden = !overhead;
  more.textContent = overhead
    ? `p99 ${ms(overhead.p99Ms)} over ${count(overhead.requests)} chat requests`
    : '';
}

export function renderOverview(data) {
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
  // What counts as invalid: a disclosure under the figure, which a keyboard opens too.
  document.getElementById('c-invalid-why').hidden = !o.invalidRequests;
  document.getElementById('c-failovers').textContent = pct(o.failoverRate);
  document.getElementById('c-cache').textContent =
    data.cacheEnabled || o.cacheHits > 0 ? `${pct(o.cacheHitRate)} (${count(o.cacheHits)})` : 'off';
  renderOverhead(o.overhead);
  document.getElementById('status').textContent = `config revision ${data.configRevision}`;
  renderLogStatus(data.status?.request_log);
  renderCoverage(data);
  const empty = document.getElementById('empty-note');
  empty.hidden = o.requests > 0;
  empty.textContent = `No request in the last ${human(data.window.sinceMs)} on this replica.`;
  document.getElementById('cost-bucket').textContent = human(data.window.bucketMs);
  renderCharts(data);
  renderRouters(data);
  document.getElementById('routers-note').textContent =
    `Save sends only what you changed in a row. Router edits: ${editsKept(data)}`;
  renderHealth(data.health ?? []);
}
