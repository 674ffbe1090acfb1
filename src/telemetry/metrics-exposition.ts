// `/metrics` in the format the scraper asks for: Prometheus text (0.0.4) by default, OpenMetrics
// 1.0.0 when its Accept header prefers it (Prometheus sends `application/openmetrics-text` first).
import { Registry, type Metric, type OpenMetricsContentType } from 'prom-client';
import { registry } from './metrics-registry.js';

export interface MetricsExposition {
  contentType: string;
  text: string;
}

/**
 * The registry's metrics as OpenMetrics. Not `registry.setContentType`: prom-client's OpenMetrics
 * writer renames each counter it writes (`x_total` to `x`, for its `# TYPE` line) on the metric
 * itself, so every later Prometheus-text scrape would name the counters without `_total`. Here it
 * writes views of the metrics, named as OpenMetrics names them, and the metrics stay as they are.
 */
const openMetrics = new Registry<OpenMetricsContentType>();
openMetrics.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
let mirrored = 0;

/**
 * A registered metric as prom-client has it (its typings leave get() off and call the type an
 * enum; it is a string: 'counter', 'gauge', 'histogram', 'summary').
 */
interface RegisteredMetric {
  name: string;
  help: string;
  type: string;
  aggregator: string;
  get(): Promise<object>;
}

function mirrorMetrics(): void {
  const metrics = registry.getMetricsAsArray() as unknown as RegisteredMetric[];
  if (metrics.length === mirrored) return;
  openMetrics.clear();
  for (const metric of metrics) {
    const name = metric.type === 'counter' ? metric.name.replace(/_total$/, '') : metric.name;
    const view = {
      name,
      help: metric.help,
      type: metric.type,
      aggregator: metric.aggregator,
      get: async () => ({ ...(await metric.get()), name }),
    };
    openMetrics.registerMetric(view as unknown as Metric);
  }
  mirrored = metrics.length;
}

/** Whether an Accept header ranks OpenMetrics above Prometheus text (q-values; ties: text). */
export function prefersOpenMetrics(accept: string | undefined): boolean {
  if (!accept) return false;
  let openMetricsQ = 0;
  let textQ = 0;
  for (const range of accept.split(',')) {
    const [type = '', ...params] = range.split(';').map((p) => p.trim().toLowerCase());
    const qParam = params.find((p) => p.startsWith('q='));
    const q = qParam === undefined ? 1 : Number(qParam.slice(2));
    if (!(q > 0)) continue;
    if (type === 'application/openmetrics-text') openMetricsQ = Math.max(openMetricsQ, q);
    else if (type === 'text/plain' || type === 'text/*' || type === '*/*')
      textQ = Math.max(textQ, q);
  }
  return openMetricsQ > textQ;
}

/** The metrics as the Accept header asks (see prefersOpenMetrics), with their content type. */
export async function metricsExposition(accept?: string): Promise<MetricsExposition> {
  if (!prefersOpenMetrics(accept))
    return { contentType: registry.contentType, text: await registry.metrics() };
  mirrorMetrics();
  return { contentType: openMetrics.contentType, text: await openMetrics.metrics() };
}
