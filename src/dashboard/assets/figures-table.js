// A chart's figures as a table under it (behind "Show the figures", a disclosure the keyboard
// opens), one for each chart (charts.js). A chart says a figure only by a bar's length, a slice's
// angle or a point's height, and its hover tooltip only to a pointer; a bar too small to see (3
// requests beside millions) says nothing: the table says each figure exactly, to a keyboard and a
// screen reader as to the eye (WCAG 1.1.1, 1.4.1, 2.1.1).

/**
 * Fills the `.table-scroll` of `#<id>` from a chart's data: a row per label (`labels`; only those
 * `keep(i)` accepts), headed by it under `rowHeader`, then a cell per column (`columns`, each a
 * `name`, its `values` per label and the `format` that writes one). `caption` names the table;
 * `none` is said instead when no row is kept.
 */
export function renderFigures(
  id,
  { caption, rowHeader, labels, columns, keep = () => true, none },
) {
  const box = document.querySelector(`#${id} .table-scroll`);
  const rows = [];
  labels.forEach((label, i) => {
    if (keep(i)) rows.push([label, ...columns.map((c) => c.format(c.values[i]))]);
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
  for (const name of [rowHeader, ...columns.map((c) => c.name)]) {
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
