// Spend by tag, end user, tenant, key, model, deployment or router, with the feedback on each group's answers,
// from the request log (GET /admin/v1/usage): read when the grouping or the window changes and
// every 30 s, not on every 3 s refresh (it reads the log).
import { api } from './api.js';
import { count, modelLabel, usd } from './format.js';
import { emptyRow } from './tables.js';

/** Groups the table shows: the busiest (GET /admin/v1/usage lists them all). */
const USAGE_ROWS = 50;
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

/** The next refresh reads the usage again (the window changed). */
export function expireUsage() {
  usageReadAt = 0;
}

export async function renderUsage(force) {
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
    // The columns are named when their rows come, so the two always agree. By model or
    // deployment, the upstream calls made there (a timed-out first try's too) have a column.
    const byWhere = by === 'model' || by === 'deployment';
    document.getElementById('usage-group').textContent = group;
    document.getElementById('usage-calls').hidden = !byWhere;
    if (u.groups.length === 0) emptyRow(tbody, 'No request in the request log for this window.');
    else
      tbody.replaceChildren(
        ...u.groups.map((g) => {
          const tr = document.createElement('tr');
          for (const text of [
            // The charts' word for requests no deployment served, so the two agree.
            byWhere ? modelLabel(g.key) : g.key,
            count(g.requests),
            ...(byWhere ? [count(g.attempts)] : []),
            // ≈: some of the group's tokens are the router's estimate (no usage from the upstream).
            g.usageEstimatedCostUsd > 0 ? `≈${usd(g.costUsd)}` : usd(g.costUsd),
            usd(g.savingsUsd),
            count(g.cacheHits),
            feedbackText(g),
            // What the ≈ stands on: its requests with no usage from the upstream, their spend.
            g.usageEstimated
              ? `${count(g.usageEstimated)} of ${count(g.requests)} requests, ${usd(g.usageEstimatedCostUsd)}`
              : '–',
          ]) {
            const td = document.createElement('td');
            td.textContent = text;
            tr.append(td);
          }
          return tr;
        }),
      );
    const estimatedNote = u.groups.some((g) => g.usageEstimatedCostUsd > 0)
      ? ' ≈: spend in part estimated by the router, for requests whose upstream reported no usage (usage estimated: how many, and their spend).'
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
            ? `Requests under the ${by} that served them (after routing and failover); a request that failed is under the deployment it last tried, and (not served): requests that reached no deployment (refused, or none could be tried). Spend is where each upstream call was made: a first try that timed out elsewhere is charged there, so a row may have spend and no request. Upstream calls: those made there, a timed-out first try's too.`
            : '') +
      estimatedNote;
  } catch (err) {
    if (read !== usageRead) return;
    tbody.replaceChildren();
    note.textContent = err.message;
  }
}
