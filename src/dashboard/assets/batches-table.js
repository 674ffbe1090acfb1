// Every tenant's batches (OpenAI's and Anthropic's): the unfinished ones, then the latest that
// have finished, greyed. A runaway one is stopped with POST /admin/v1/batches/{id}/cancel.
import { api } from './api.js';
import { emptyRow } from './tables.js';

export async function renderBatches() {
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
