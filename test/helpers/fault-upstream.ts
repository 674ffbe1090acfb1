// A loopback upstream that misbehaves on request, for failover tests through the real HTTP client.
// One port serves three wire shapes: OpenAI-compatible `/v1/chat/completions`, Azure's
// `/openai/deployments/{name}/chat/completions`, and Anthropic's `/v1/messages`. What each model
// does is set per model name (`fault(model, kind)`); a model without one answers "pong" (JSON, or
// an SSE stream in its API's shape). Every request received is counted per model.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { readJsonBody } from './fake-http.js';
import { listenServerInRange } from './listen-in-range.js';

export type Fault =
  /** The API's error reply with this status (and headers, e.g. `retry-after`). */
  | { kind: 'status'; status: number; headers?: Record<string, string> }
  /** The connection is destroyed before any response byte. */
  | { kind: 'reset-before-headers' }
  /** A 200 whose body stops mid-way (JSON half written; SSE after two text chunks): socket reset. */
  | { kind: 'reset-mid-body' }
  /**
   * No byte at all until the router hangs up: only its deadline ends the call, however slowly the
   * machine runs (a fixed delay could elapse before a loaded router's deadline fires).
   */
  | { kind: 'no-first-byte' }
  /** Two text chunks (or half the JSON), then silence until the router hangs up. */
  | { kind: 'idle-mid-body' }
  /** A 200 whose JSON body is not JSON, or whose SSE data is not JSON (first event). */
  | { kind: 'malformed' }
  /** Two good text chunks, then an SSE event whose data is not JSON. */
  | { kind: 'malformed-mid-stream' }
  /** A stream that ends cleanly after two text chunks, without its end event. */
  | { kind: 'eof-mid-stream' }
  /** A 200 stream that ends cleanly with no event at all. */
  | { kind: 'empty-stream' }
  /** The API's in-band stream error as the very first event. */
  | { kind: 'error-event-first' }
  /** Two text chunks, then the API's in-band stream error. */
  | { kind: 'error-event-mid' }
  /** A 200 whose JSON body is the API's error object (no answer in it). */
  | { kind: 'error-body-200' }
  /** Bytes that are not HTTP at all, then the connection closes. */
  | { kind: 'not-http' }
  /**
   * A 200 JSON answer padded with whitespace to `bytes` (still valid JSON), written in 16 KB
   * pieces as the reader takes them, with its `Content-Length` or chunked without one.
   */
  | { kind: 'large-body'; bytes: number; declareLength: boolean }
  /** The API's error reply with this status and body (e.g. a context-length 400). */
  | { kind: 'error-body'; status: number; body: Record<string, unknown> };

export interface FaultUpstream {
  /** `http://127.0.0.1:<port>` (Anthropic's and Azure's baseUrl; OpenAI-compatible: `${base}/v1`). */
  base: string;
  /** Sets what `model` does from now on (undefined: answers normally). */
  fault(model: string, fault: Fault | undefined): void;
  /** How many requests each model received. */
  calls: Map<string, number>;
  /** The bodies received, in order. */
  bodies: Record<string, unknown>[];
  /** Large-body replies the reader hung up on before they were written whole. */
  cutShort: number;
  close(): Promise<void>;
}

const TEXT = ['po', 'ng'];

function openAiChunk(model: string, delta: Record<string, unknown>, finish: string | null = null) {
  return JSON.stringify({
    id: 'chatcmpl-fault',
    object: 'chat.completion.chunk',
    created: 1,
    model,
    choices: [{ index: 0, delta, finish_reason: finish }],
  });
}

/** The SSE events of an answer in the API's shape: the text chunks, then the rest. */
function streamEvents(anthropic: boolean, model: string): { text: string[]; end: string[] } {
  if (!anthropic)
    return {
      text: [
        `data: ${openAiChunk(model, { role: 'assistant', content: TEXT[0] })}\n\n`,
        `data: ${openAiChunk(model, { content: TEXT[1] })}\n\n`,
      ],
      end: [
        `data: ${openAiChunk(model, {}, 'stop')}\n\n`,
        `data: ${JSON.stringify({ id: 'chatcmpl-fault', object: 'chat.completion.chunk', created: 1, model, choices: [], usage: { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 } })}\n\n`,
        'data: [DONE]\n\n',
      ],
    };
  const ev = (type: string, data: Record<string, unknown>) =>
    `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
  return {
    text: [
      ev('message_start', {
        message: {
          id: 'msg_fault',
          type: 'message',
          role: 'assistant',
          model,
          content: [],
          stop_reason: null,
          usage: { input_tokens: 5, output_tokens: 1 },
        },
      }) +
        ev('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }) +
        ev('content_block_delta', { index: 0, delta: { type: 'text_delta', text: TEXT[0] } }),
      ev('content_block_delta', { index: 0, delta: { type: 'text_delta', text: TEXT[1] } }),
    ],
    end: [
      ev('content_block_stop', { index: 0 }),
      ev('message_delta', { delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 2 } }),
      ev('message_stop', {}),
    ],
  };
}

function jsonAnswer(anthropic: boolean, model: string): string {
  return JSON.stringify(
    anthropic
      ? {
          id: 'msg_fault',
          type: 'message',
          role: 'assistant',
          model,
          content: [{ type: 'text', text: TEXT.join('') }],
          stop_reason: 'end_turn',
          usage: { input_tokens: 5, output_tokens: 2 },
        }
      : {
          id: 'chatcmpl-fault',
          object: 'chat.completion',
          created: 1,
          model,
          choices: [
            {
              index: 0,
              message: { role: 'assistant', content: TEXT.join('') },
              finish_reason: 'stop',
            },
          ],
          usage: { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 },
        },
  );
}

function errorBody(anthropic: boolean, status: number): string {
  const type =
    status === 429 ? 'rate_limit_error' : status >= 500 ? 'api_error' : 'invalid_request_error';
  return JSON.stringify(
    anthropic
      ? { type: 'error', error: { type, message: `fault ${status}` } }
      : { error: { message: `fault ${status}`, type, code: null, param: null } },
  );
}

function streamErrorEvent(anthropic: boolean): string {
  return anthropic
    ? `event: error\ndata: ${JSON.stringify({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } })}\n\n`
    : `data: ${JSON.stringify({ error: { message: 'The server had an error', type: 'server_error', code: null } })}\n\n`;
}

export async function startFaultUpstream(from: number, to: number): Promise<FaultUpstream> {
  const faults = new Map<string, Fault>();
  const calls = new Map<string, number>();
  const bodies: Record<string, unknown>[] = [];
  const sockets = new Set<Socket>();
  /** Until `res` can take more, or is gone. */
  const drained = (res: ServerResponse) =>
    new Promise<void>((resolve) => {
      const done = () => (res.off('drain', done), res.off('close', done), resolve());
      res.once('drain', done);
      res.once('close', done);
    });

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const body = await readJsonBody(req);
    bodies.push(body);
    const anthropic = req.url?.startsWith('/v1/messages') ?? false;
    // Azure's path names the deployment; the body has no model there.
    const azure = /^\/openai\/deployments\/([^/]+)\//.exec(req.url ?? '');
    const model = String(azure ? decodeURIComponent(azure[1]!) : body.model);
    calls.set(model, (calls.get(model) ?? 0) + 1);
    const stream = body.stream === true;
    const fault = faults.get(model);
    const events = streamEvents(anthropic, model);
    const sse = () => res.writeHead(200, { 'content-type': 'text/event-stream' });
    const json = () => res.writeHead(200, { 'content-type': 'application/json' });
    switch (fault?.kind) {
      case 'error-body-200':
        json();
        return res.end(errorBody(anthropic, 500));
      case 'error-body':
        res.writeHead(fault.status, { 'content-type': 'application/json' });
        return res.end(JSON.stringify(fault.body));
      case 'large-body': {
        const answer = jsonAnswer(anthropic, model);
        const pad = Math.max(0, fault.bytes - answer.length);
        res.writeHead(200, {
          'content-type': 'application/json',
          ...(fault.declareLength ? { 'content-length': String(answer.length + pad) } : {}),
        });
        if (!res.write(answer)) await drained(res);
        const piece = ' '.repeat(16 * 1024);
        for (let left = pad; left > 0; left -= piece.length) {
          if (res.destroyed) break;
          if (!res.write(piece.slice(0, Math.min(left, piece.length)))) await drained(res);
        }
        if (res.destroyed) up.cutShort++;
        return res.end();
      }
      case 'not-http':
        req.socket.end('SSH-2.0-OpenSSH_9.6\r\n\r\n');
        return;
      case 'status':
        res.writeHead(fault.status, { 'content-type': 'application/json', ...fault.headers });
        return res.end(errorBody(anthropic, fault.status));
      case 'reset-before-headers':
        return req.socket.destroy();
      case 'reset-mid-body': {
        // The reset once the bytes have left (a destroy before would drop them unsent).
        const reset = () => req.socket.destroy();
        if (stream) {
          sse();
          events.text.forEach((e, i) =>
            res.write(e, i === events.text.length - 1 ? reset : undefined),
          );
        } else {
          json();
          res.write(jsonAnswer(anthropic, model).slice(0, 40), reset);
        }
        return;
      }
      case 'no-first-byte':
        return; // until the router hangs up
      case 'idle-mid-body':
        if (stream) {
          sse();
          for (const e of events.text) res.write(e);
        } else {
          json();
          res.write(jsonAnswer(anthropic, model).slice(0, 40));
        }
        return; // until the router hangs up
      case 'malformed':
        if (stream) {
          sse();
          return res.end(
            anthropic ? 'event: message_start\ndata: {not json\n\n' : 'data: {not json\n\n',
          );
        }
        json();
        return res.end('{"id": "x", "choices": [');
      case 'malformed-mid-stream':
        sse();
        for (const e of events.text) res.write(e);
        return res.end(
          anthropic ? 'event: content_block_delta\ndata: {oops\n\n' : 'data: {oops\n\n',
        );
      case 'eof-mid-stream':
        sse();
        for (const e of events.text) res.write(e);
        return res.end();
      case 'empty-stream':
        sse();
        return res.end();
      case 'error-event-first':
        sse();
        return res.end(streamErrorEvent(anthropic));
      case 'error-event-mid':
        sse();
        for (const e of events.text) res.write(e);
        return res.end(streamErrorEvent(anthropic));
    }
    if (stream) {
      sse();
      for (const e of [...events.text, ...events.end]) res.write(e);
      return res.end();
    }
    json();
    res.end(jsonAnswer(anthropic, model));
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch(() => req.socket.destroy());
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  const port = await listenServerInRange(server, from, to);
  const up: FaultUpstream = {
    base: `http://127.0.0.1:${port}`,
    fault: (model, f) => (f ? faults.set(model, f) : faults.delete(model)),
    calls,
    bodies,
    cutShort: 0,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  return up;
}

export type FaultProvider = 'openai-compatible' | 'azure' | 'anthropic';

/** A deployment's deadlines, as its config names them. */
export interface FaultDeadlines {
  firstTokenTimeoutMs?: number;
  timeoutMs?: number;
  streamIdleTimeoutMs?: number;
}

/**
 * The deadlines that end `fault` for the deployment that has it: one that never answers (no first
 * byte; silence mid-body) waits for the router to hang up, so these only set how long a test
 * takes. No others are short: a deployment that answers keeps the defaults (30 s and more), so a
 * loaded machine cannot turn its answer, or its error, into a timeout.
 */
export function deadlinesEnding(fault: Fault | undefined): FaultDeadlines {
  if (fault?.kind === 'no-first-byte') return { firstTokenTimeoutMs: 300, timeoutMs: 500 };
  // A stream's first chunks arrive and are the first token; JSON waits for its whole body.
  if (fault?.kind === 'idle-mid-body') return { streamIdleTimeoutMs: 300, timeoutMs: 500 };
  return {};
}

/**
 * A deployment of `up` named `name` (its model name too: the fake's faults are set by it), priced
 * `price` per 1M tokens both ways, in the `us` zone, with the default deadlines unless `deadlines`
 * (`deadlinesEnding(fault)` for one whose fault only a deadline ends).
 */
export function faultDeployment(
  up: Pick<FaultUpstream, 'base'>,
  name: string,
  provider: FaultProvider,
  price: number,
  deadlines: FaultDeadlines = {},
) {
  return {
    name,
    provider,
    model: name,
    baseUrl: provider === 'openai-compatible' ? `${up.base}/v1` : up.base,
    ...(provider === 'azure' ? { apiVersion: '2024-10-21' } : {}),
    prices: { inputPer1M: price, outputPer1M: price },
    contextWindow: 128_000,
    maxOutputTokens: 4096,
    capabilities: { tools: true, vision: true, streaming: true },
    region: 'eastus',
    dataZone: 'us',
    ...deadlines,
  };
}
