// Requests answered with an error before the gateway opened a record for them (invalid JSON, a
// missing or bad field, a body too large, an unsupported content type, a bad key). Each is counted
// once in the metrics; one the router refused as invalid (request-summary.ts isInvalidRequest)
// from a caller it knows (authenticated) on one of its APIs is also a request-log record, with its
// endpoint, tenant, key and error code and no deployment, so the usage summary and the dashboard
// show which clients send bad requests, apart from the router's and upstreams' errors. The others
// (no key or a wrong one, an unknown path) are only counted: whoever can reach the port could
// otherwise write rows at will.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { newRequestRecord, type Endpoint, type RequestRecord } from '../store/request-record.js';
import { isInvalidRequest } from '../store/summary-rules.js';

/** What the request log keeps of a request refused as invalid before it had a record. */
export interface RefusedRequest {
  requestId: string;
  endpoint: Endpoint;
  tenant: string;
  keyId?: string;
  stream: boolean;
  status: number;
  errorCode?: string;
  latencyMs: number;
}

export interface RefusalSinks {
  /** Every refusal that is not recorded (in `model_router_requests_total` by status). */
  count(status: number): void;
  /** A refusal recorded instead (its record is counted by the metrics as any other). */
  record?(refusal: RefusedRequest): void;
}

/** The API a route serves, by the end of its path (Azure's and unversioned paths alike). */
const ENDPOINTS: [suffix: string, endpoint: Endpoint][] = [
  ['/chat/completions', 'chat'],
  ['/completions', 'completions'],
  ['/decisions', 'decisions'],
  ['/responses/compact', 'responses.compact'],
  ['/responses', 'responses'],
  ['/messages', 'messages'],
  ['/embeddings', 'embeddings'],
  ['/moderations', 'moderations'],
  ['/rerank', 'rerank'],
  ['/images/generations', 'images.generations'],
  ['/images/edits', 'images.edits'],
  ['/images/variations', 'images.variations'],
  ['/audio/speech', 'audio.speech'],
  ['/audio/transcriptions', 'audio.transcriptions'],
  ['/audio/translations', 'audio.translations'],
];

/** The endpoint a request-log record names for a POST to `url` (a route's path), if any. */
export function endpointOfRoute(method: string, url: string | undefined): Endpoint | undefined {
  if (method !== 'POST' || !url) return undefined;
  return ENDPOINTS.find(([suffix]) => url.endsWith(suffix))?.[1];
}

/** A refusal's request-log record, `now` being when its answer went out. */
export function refusalRecord(refusal: RefusedRequest, now: number): RequestRecord {
  const { status, errorCode, latencyMs } = refusal;
  return {
    ...newRequestRecord({ ...refusal, time: now - Math.round(latencyMs) }),
    status,
    errorCode,
    latencyMs,
  };
}

/**
 * Operator routes (the admin API, the dashboard, health and metrics): not the model API, so none
 * of their answers, successes or errors, is in `model_router_requests_total`.
 */
const OPERATOR_PATHS = ['/admin', '/dashboard', '/healthz', '/readyz', '/metrics'];

/**
 * Whether a request went to an operator route (by its path, before any query): one of those
 * paths or below it, segment by segment (`/dashboardx`, `/metricsfoo` are the model API's 404s).
 */
export function isOperatorRoute(url: string): boolean {
  const path = url.split('?', 1)[0]!;
  return OPERATOR_PATHS.some((p) => path === p || path.startsWith(`${p}/`));
}

/** Counts (or records) each refusal of the model API once its answer went out. */
export function trackRefusals(app: FastifyInstance, sinks: RefusalSinks): void {
  app.addHook('onResponse', async (request, reply) => {
    if (!request.refusedUnrecorded || isOperatorRoute(request.url)) return;
    const status = reply.statusCode;
    const endpoint = recordable(request, status);
    if (!endpoint || !sinks.record) return sinks.count(status);
    sinks.record({
      requestId: String(request.id),
      endpoint,
      tenant: request.auth.tenant,
      keyId: request.auth.keyId,
      stream: (request.body as { stream?: unknown } | undefined)?.stream === true,
      status,
      errorCode: request.refusalCode,
      latencyMs: reply.elapsedTime,
    });
  });
}

/** The endpoint to record a refusal under: an invalid request, of a known caller, to an API. */
function recordable(request: FastifyRequest, status: number): Endpoint | undefined {
  // No caller (refused before or by authentication), or an in-process batch line (its batch
  // keeps what became of it).
  if (!request.auth || request.batchLine) return undefined;
  if (!isInvalidRequest(status, false)) return undefined;
  return endpointOfRoute(request.method, request.routeOptions.url);
}
