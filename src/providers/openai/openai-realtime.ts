// The Realtime API's WebSocket upstream: OpenAI's `wss://api.openai.com/v1/realtime?model=…`
// (Bearer), Azure OpenAI's GA `/openai/v1/realtime?model=<deployment>` or, for a `-preview`
// api-version, its preview `/openai/realtime?api-version=…&deployment=…` (both `api-key`; Microsoft
// Learn, "Use the GPT Realtime API via WebSockets"), and servers that copy OpenAI's path. Frames
// pass as text, unchanged; one past `maxMessageBytes` is refused as its header arrives (ws's
// `maxPayload`: never buffered), and the socket closed 1009.
import { WebSocket } from 'ws';
import type { DeploymentConfig } from '../../config/deployment-schema.js';
import { GatewayError } from '../../core/errors.js';
import type { RealtimeSession, UpstreamRealtimeRequest } from '../types.js';
import { mapUpstreamError } from '../upstream-errors.js';
import { describeEndpoint } from './openai-request.js';

/** Bytes of an upstream's refusal read for its error message. */
const MAX_ERROR_BODY = 2048;

/** The deployment's realtime WebSocket URL (http → ws, https → wss). */
export function realtimeUrl(d: DeploymentConfig): URL {
  const model = encodeURIComponent(d.model);
  let url: URL;
  if (d.provider === 'azure') {
    const base = (d.baseUrl ?? '').replace(/\/+$/, '');
    const version = d.apiVersion ?? '';
    url = version.endsWith('-preview')
      ? new URL(
          `${base}/openai/realtime?api-version=${encodeURIComponent(version)}&deployment=${model}`,
        )
      : new URL(`${base}/openai/v1/realtime?model=${model}`);
  } else {
    const base = (d.baseUrl ?? 'https://api.openai.com/v1').replace(/\/+$/, '');
    url = new URL(`${base}/realtime?model=${model}`);
  }
  url.protocol = url.protocol === 'http:' ? 'ws:' : 'wss:';
  return url;
}

/**
 * Why opening stopped when `signal` aborted: the caller's reason when typed (the router shutting
 * down), a deadline's 504 (retryable), else the client's leaving (499).
 */
function cancelled(signal: AbortSignal, d: DeploymentConfig): GatewayError {
  if (signal.reason instanceof GatewayError) return signal.reason;
  const timedOut = (signal.reason as Error | undefined)?.name === 'TimeoutError';
  return new GatewayError({
    status: timedOut ? 504 : 499,
    type: timedOut ? 'server_error' : 'invalid_request_error',
    code: timedOut ? 'upstream_timeout' : 'client_closed_request',
    message: `${d.name}: the realtime WebSocket did not open in time.`,
    retryable: timedOut,
  });
}

/** Opens the session with the deployment's key (never the client's); not at all if cancelled. */
export function openRealtimeSocket(
  req: UpstreamRealtimeRequest,
  apiKey: string | undefined,
): Promise<RealtimeSession> {
  const d = req.deployment;
  // Cancelled before it began (the client gone, the router closing): no connection is made.
  if (req.signal.aborted) return Promise.reject(cancelled(req.signal, d));
  const headers: Record<string, string> = { ...describeEndpoint(d, apiKey).headers };
  delete headers['content-type'];
  headers['x-request-id'] = req.requestId;
  return new Promise((resolve, reject) => {
    let settled = false;
    let opened = false;
    const fail = (e: GatewayError) => {
      if (settled) return;
      settled = true;
      req.signal.removeEventListener('abort', onAbort);
      reject(e);
      ws.terminate();
    };
    const ws = new WebSocket(realtimeUrl(d), {
      headers,
      handshakeTimeout: d.firstTokenTimeoutMs,
      perMessageDeflate: false,
      maxPayload: req.maxMessageBytes,
      // A redirect would carry the key elsewhere.
      followRedirects: false,
    });
    const onAbort = () => fail(cancelled(req.signal, d));
    req.signal.addEventListener('abort', onAbort, { once: true });
    ws.on('unexpected-response', (_request, res) => {
      const parts: Buffer[] = [];
      let size = 0;
      res.on('data', (b: Buffer) => {
        if (size < MAX_ERROR_BODY) parts.push(b);
        size += b.length;
      });
      res.on('error', () => {});
      res.on('end', () =>
        fail(
          mapUpstreamError(
            res.statusCode ?? 502,
            Buffer.concat(parts).toString('utf8').slice(0, MAX_ERROR_BODY),
            res.headers,
            d.name,
          ),
        ),
      );
    });
    /** A socket error once open: the close that follows (1006) carries it as its reason. */
    let broken: string | undefined;
    let oversized = false;
    ws.on('error', (err) => {
      // ws has sent its close 1009 and stopped reading; the session ends for that reason alone.
      if (opened && (err as { code?: string }).code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') {
        oversized = true;
        req.listener.oversized(req.maxMessageBytes);
      } else if (opened) broken = err.message;
      else
        fail(
          new GatewayError({
            status: 502,
            type: 'server_error',
            code: 'upstream_unreachable',
            message: `${d.name}: could not open the realtime WebSocket (${err.message}).`,
            retryable: true,
          }),
        );
    });
    ws.on('message', (data, isBinary) => {
      // The Realtime API speaks JSON text; a binary frame is passed on as its text.
      void isBinary;
      req.listener.message(String(data));
    });
    ws.on('close', (code, reason) => {
      if (oversized) return;
      if (opened) req.listener.closed(code, String(reason) || (broken ?? ''));
      else
        fail(
          new GatewayError({
            status: 502,
            type: 'server_error',
            code: 'upstream_dropped',
            message: `${d.name}: the realtime WebSocket closed while opening (${code}).`,
            retryable: true,
          }),
        );
    });
    ws.on('open', () => {
      settled = true;
      opened = true;
      req.signal.removeEventListener('abort', onAbort);
      resolve({
        send: (text, written) => {
          if (ws.readyState === WebSocket.OPEN) ws.send(text, written);
        },
        bufferedAmount: () => ws.bufferedAmount,
        pause: () => ws.pause(),
        resume: () => ws.resume(),
        close: (code, reason) => {
          if (ws.readyState === WebSocket.OPEN) {
            // Paused for backpressure, it would never read the upstream's closing frame.
            ws.resume();
            ws.close(code, reason);
          } else if (ws.readyState === WebSocket.CONNECTING) ws.terminate();
        },
      });
    });
  });
}
