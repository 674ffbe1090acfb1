// The traffic chart's figures as a table under it (behind "Show the figures"): each bucket that had
// requests, per series, and all of them. A bar says its figure only by its length and colour, and
// one too small to see (3 requests beside millions) says nothing: the table says each exactly, to
// a keyboard and a screen reader as to the eye (WCAG 1.1.1, 1.4.1).
import { count } from './format.js';

/**
 * Fills `#traffic-figures` from the chart's `labels` (the buckets' times) and `datasets` (each a
 * series' `label` and `data`, per bucket); `caption` names the table, `none` is said when no
 * bucket had a request.
 */
export function renderTrafficTable(labels, datasets, caption, none) {
  const box = document.querySelector('#traffic-figures .table-scroll');
  const rows = [];
  labels.forEach((label, i) => {
    const figures = datasets.map((d) => d.data[i] || 0);
    const all = figures.reduce((n, v) => n + v, 0);
    if (all > 0) rows.push([label, ...figures.map(count), count(all)]);
  });
  if (rows.length === 0) {
    const p = document.createElement('p');
    p.dataset.empty = '';
    p.textContent = none;
    box.replaceChildren(p);
    return;
  }
  const table = document.createElement('table');
  const cap = document.createElement('caption');
  cap.textContent = caption;
  const head = document.createElement('tr');
  for (const name of ['Bucket starting', ...datasets.map((d) => d.label), 'All']) {
    const th = document.createElement('th');
    th.scope = 'col';
    th.textContent = name;
    head.append(th);
  }
  const thead = document.createElement('thead');
  thead.append(head);
  const tbody = document.createElement('tbody');
  for (const [label, ...figures] of rows) {
    const tr = document.createElement('tr');
    const th = document.createElement('th');
    th.scope = 'row';
    th.textContent = label;
    tr.append(th);
    for (const f of figures) {
      const td = document.createElement('td');
      td.textContent = f;
      tr.append(td);
    }
    tbody.append(tr);
  }
  table.append(cap, thead, tbody);
  box.replaceChildren(table);
}
