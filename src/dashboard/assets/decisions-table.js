// The recent decisions table: each receipt's time, router, mode, who served it, its tries (each
// failed one with why) and its reason, folded to its first clause.
import { api } from './api.js';
import { clock } from './format.js';
import { emptyRow } from './tables.js';

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

export async function renderDecisions() {
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
