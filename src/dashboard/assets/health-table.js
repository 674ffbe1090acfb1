// The deployments table: every deployment with its health and load as this replica sees it
// (circuit, cool-down, calls in flight, moving latencies, budget); an unhealthy one's row is red.

export function renderHealth(rows) {
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
