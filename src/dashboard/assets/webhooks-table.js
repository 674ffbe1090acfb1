// Batch webhook deliveries that want an operator's eye, from the outbox through the admin API: the
// ones given up (failed), each with a Retry button (POST /admin/v1/batch-webhooks/{id}/retry), then
// the ones still pending. Delivered ones are left out: GET /admin/v1/batch-webhooks lists them.
import { api } from './api.js';
import { show } from './message.js';
import { emptyRow } from './tables.js';

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

export async function renderWebhooks(force = false) {
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
