// The metrics of the router's own machinery beside requests: open WebSockets, realtime
// backpressure, alert webhooks, the content filter's PDF reader threads. Labels are fixed sets
// and config names.
import { Counter, Gauge, Histogram } from 'prom-client';
import type { PdfTextMetrics } from '../files/pdf-text.js';
import { registry } from './metrics-registry.js';

let webSocketSource: (() => number) | undefined;
new Gauge({
  name: 'model_router_websocket_connections',
  help: "WebSocket connections open on this replica (the Responses API's WebSocket mode and realtime sessions)",
  registers: [registry],
  collect() {
    if (webSocketSource) this.set(webSocketSource());
  },
});

/** Reads the open WebSocket connections (the last app started) when /metrics is scraped. */
export function watchWebSocketConnections(source: () => number): void {
  webSocketSource = source;
}

const alerts = new Counter({
  name: 'model_router_alerts_total',
  help: 'Alerts sent to webhooks, by event and result (sent, failed)',
  labelNames: ['event', 'result'],
  registers: [registry],
});

export function countAlert(event: string, ok: boolean): void {
  alerts.inc({ event, result: ok ? 'sent' : 'failed' });
}

const realtimePauses = new Counter({
  name: 'model_router_realtime_backpressure_pauses_total',
  help: 'Times a realtime session stopped reading one side because the other was not keeping up (realtime.maxBufferedBytes), by deployment and the side paused (upstream: the client was slow; client: the upstream was slow)',
  labelNames: ['deployment', 'paused'],
  registers: [registry],
});

/** A realtime session paused reading `paused` (backpressure). */
export function countRealtimePause(deployment: string, paused: 'client' | 'upstream'): void {
  realtimePauses.inc({ deployment, paused });
}

const pdfTexts = new Counter({
  name: 'model_router_pdf_text_extractions_total',
  help: "Attached PDFs whose text the content filter asked for, by outcome (ok; too_many_pages: past contentFilter.files.maxPdfPages, the first pages read; unreadable: pdf.js could not parse it; timeout: past pdfTimeoutMs while read, its thread terminated; timeout_waiting: past it while waiting for a thread; crashed; out_of_memory: past the thread's heap cap; too_large: its streams decompress past the thread's buffer cap; not_started: the thread failed to start; shutdown)",
  labelNames: ['outcome'],
  registers: [registry],
});
const pdfTextDuration = new Histogram({
  name: 'model_router_pdf_text_duration_seconds',
  help: "Time from asking for an attached PDF's text to its outcome (waiting for a free thread included), by outcome",
  labelNames: ['outcome'],
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  registers: [registry],
});

/** The PDF reader threads' outcomes (files/pdf-text.ts). */
export const pdfTextMetrics: PdfTextMetrics = {
  extracted: (outcome, seconds) => {
    pdfTexts.inc({ outcome });
    pdfTextDuration.observe({ outcome }, seconds);
  },
};
