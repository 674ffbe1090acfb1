// The charts in words: each canvas's accessible name (role="img", WCAG 1.1.1) says the figures it
// draws, so a screen reader, or anyone who cannot tell its colours apart, reads what it shows.
// Names are not live regions: they are read when the chart is reached, not at each refresh.

/**
 * The four charts' names from the overview: `top` are the models drawn apart, `rest` the ones
 * summed as other models; `f` holds the page's formatters (count, pct, usd, human, label).
 */
export function chartSummaries(o, window, top, rest, f) {
  const span = `last ${f.human(window.sinceMs)}`;
  const others = rest.reduce((n, m) => n + m.requests, 0);
  const perModel = [
    ...top.map((m) => [f.label(m.key), m.requests]),
    ...(rest.length ? [[`other models (${rest.length})`, others]] : []),
  ];
  const timed = top.filter((m) => m.key !== '(none)');
  return {
    traffic:
      `Requests per model, ${span}: ` +
      (o.requests
        ? `${f.count(o.requests)} in all; ${perModel.map(([k, n]) => `${k} ${f.count(n)}`).join(', ')}.`
        : 'none.'),
    share:
      'Share of requests: ' +
      (o.requests
        ? `${perModel.map(([k, n]) => `${k} ${f.pct(n / o.requests)} (${f.count(n)})`).join(', ')}.`
        : 'no request.'),
    cost:
      `Spend ${f.usd(o.costUsd)} against a top-model baseline of ${f.usd(o.baselineCostUsd)}, ` +
      `${span}, in ${f.human(window.bucketMs)} buckets.`,
    latency:
      'Latency p50 per model: ' +
      (timed.length
        ? `${timed
            .map(
              (m) =>
                `${f.label(m.key)} ${Math.round(m.latencyP50Ms)} ms` +
                (m.ttftP50Ms === null || m.ttftP50Ms === undefined
                  ? ''
                  : ` (TTFT ${Math.round(m.ttftP50Ms)} ms)`),
            )
            .join(', ')}.`
        : 'no model served a request.'),
  };
}

/** Sets a canvas's name when it changed (an unchanged one is left as it is). */
export function nameChart(id, text) {
  const canvas = document.getElementById(id);
  if (canvas.getAttribute('aria-label') !== text) canvas.setAttribute('aria-label', text);
}
