// OpenTelemetry traces, only when `telemetry.otlpEndpoint` is set: each finished request becomes a
// span tree (request → policy → route → one span per upstream attempt) built from its record, with
// the GenAI semantic-convention attributes and the served model as `gen_ai.response.model`. Built
// after the request ends, so tracing adds nothing to the hot path.
import { context, trace, SpanKind, SpanStatusCode, type Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import type { RequestRecord, RequestRecorder } from '../store/request-record.js';

export interface TraceRecorder extends RequestRecorder {
  shutdown(): Promise<void>;
}

const OPERATION: Record<RequestRecord['endpoint'], string> = {
  chat: 'chat',
  // The GenAI conventions' name for the legacy Completions API.
  completions: 'text_completion',
  // A decision is answered by one chat request (http/decisions/decision-chat.ts).
  decisions: 'chat',
  responses: 'chat',
  'responses.compact': 'chat',
  messages: 'chat',
  // OpenTelemetry's GenAI semantic conventions name the operation `embeddings`.
  embeddings: 'embeddings',
  // The GenAI conventions name no moderation operation: ours, after OpenAI's path.
  moderations: 'moderations',
  // The GenAI conventions name none of these either: ours, after OpenAI's paths.
  'images.generations': 'images.generations',
  'images.edits': 'images.edits',
  'images.variations': 'images.variations',
  'audio.speech': 'audio.speech',
  'audio.transcriptions': 'audio.transcriptions',
  'audio.translations': 'audio.translations',
  // Nor rerank: ours, after the path Cohere, Jina and vLLM share.
  rerank: 'rerank',
  // One span per realtime response (`response.done`), after OpenAI's path.
  realtime: 'realtime',
  // And one per realtime session, from its upgrade to its end.
  'realtime.session': 'realtime',
};

export function createTraceRecorder(opts: {
  endpoint?: string;
  exporter?: SpanExporter;
  processor?: SpanProcessor;
}): TraceRecorder {
  const exporter = opts.exporter ?? new OTLPTraceExporter({ url: opts.endpoint });
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'model-router' }),
    spanProcessors: [opts.processor ?? new BatchSpanProcessor(exporter)],
  });
  const tracer: Tracer = provider.getTracer('model-router');
  return {
    record(r) {
      const start = r.time;
      const end = r.time + r.latencyMs;
      const requestedModel = r.router ?? r.deployment ?? '';
      const root = tracer.startSpan(`${OPERATION[r.endpoint]} ${requestedModel}`, {
        kind: SpanKind.SERVER,
        startTime: start,
        attributes: {
          'gen_ai.operation.name': OPERATION[r.endpoint],
          'gen_ai.request.model': requestedModel,
          ...(r.servedModel ? { 'gen_ai.response.model': r.servedModel } : {}),
          'gen_ai.usage.input_tokens': r.promptTokens,
          'gen_ai.usage.output_tokens': r.completionTokens,
          'model_router.request_id': r.requestId,
          'model_router.routing_mode': r.routingMode ?? '',
          'model_router.decision_id': r.decisionId ?? '',
          'model_router.deployment': r.deployment ?? '',
          'model_router.cost_usd': r.costUsd,
          // The router's own time in the request, apart from its upstream (request-timing.ts).
          ...(r.overheadMicros !== undefined
            ? { 'model_router.overhead_ms': r.overheadMicros / 1000 }
            : {}),
          // The token counts above are in part the router's estimate (no usage from upstream).
          ...(r.usageEstimated ? { 'model_router.usage_estimated': true } : {}),
          'http.response.status_code': r.status,
          // Who the spend belongs to, for finding a tenant's, key's, user's or tag's traces.
          ...(r.tenant !== undefined ? { 'model_router.tenant': r.tenant } : {}),
          ...(r.keyId !== undefined ? { 'model_router.key_id': r.keyId } : {}),
          ...(r.endUser !== undefined ? { 'model_router.end_user': r.endUser } : {}),
          ...(r.tags?.length ? { 'model_router.tags': r.tags } : {}),
        },
      });
      if (r.status >= 400) root.setStatus({ code: SpanStatusCode.ERROR, message: r.errorCode });
      const ctx = trace.setSpan(context.active(), root);
      tracer.startSpan('policy', { startTime: start }, ctx).end(start);
      if (r.router) {
        const routeEnd = start + (r.routingMicros ?? 0) / 1000;
        tracer
          .startSpan(
            'route',
            {
              startTime: start,
              attributes: {
                'model_router.router': r.router,
                'model_router.router_version': r.routerVersion ?? '',
              },
            },
            ctx,
          )
          .end(routeEnd);
      }
      let t = start + (r.routingMicros ?? 0) / 1000;
      for (const a of r.attempts) {
        // A round after a wait for headroom starts once the wait is over.
        t += a.waitedMs ?? 0;
        const span = tracer.startSpan(
          `attempt ${a.deployment}`,
          {
            kind: SpanKind.CLIENT,
            startTime: t,
            attributes: {
              'gen_ai.request.model': a.model,
              'model_router.deployment': a.deployment,
              'model_router.outcome': a.outcome,
              ...(a.httpStatus ? { 'http.response.status_code': a.httpStatus } : {}),
              ...(a.round ? { 'model_router.round': a.round } : {}),
            },
          },
          ctx,
        );
        if (a.outcome === 'error' || a.outcome === 'stream_dropped')
          span.setStatus({ code: SpanStatusCode.ERROR, message: a.errorCode });
        t += a.latencyMs;
        span.end(t);
      }
      root.end(end);
    },
    shutdown: () => provider.shutdown(),
  };
}
