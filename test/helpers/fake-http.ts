// Fake upstreams for tests. An HttpClient for adapter tests that answers every request with one
// JSON body (status 200 unless told) and records what was sent (URL, headers, body); and the JSON body of a
// request to a loopback fake upstream server.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { deploymentSchema } from '../../src/config/deployment-schema.js';
import type { ChatRequest } from '../../src/core/wire-types.js';
import type { HttpClient } from '../../src/providers/http-client.js';
import { createOpenAiAdapter } from '../../src/providers/openai/openai-adapter.js';

export interface SentRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
}

export function recordingHttp(
  reply: string,
  status = 200,
): { http: HttpClient; sent: SentRequest[] } {
  return sequenceHttp([{ status, body: reply }]);
}

/** An HttpClient answering its requests with `replies` in turn (the last one again after them). */
export function sequenceHttp(replies: readonly (string | { status: number; body: string })[]): {
  http: HttpClient;
  sent: SentRequest[];
} {
  const sent: SentRequest[] = [];
  const http = {
    request: async (r: { url: URL; headers: Record<string, string>; body?: string }) => {
      sent.push({ url: r.url.toString(), headers: r.headers, body: r.body ?? '' });
      const next = replies[Math.min(sent.length - 1, replies.length - 1)] ?? '';
      const { status, body: reply } = typeof next === 'string' ? { status: 200, body: next } : next;
      return {
        status,
        headers: {},
        body: (async function* () {
          yield Buffer.from(reply);
        })() as never,
      };
    },
    close: async () => {},
  } as unknown as HttpClient;
  return { http, sent };
}

/** An HttpClient whose answer (status 200 unless told; JSON body) `answer` picks per request. */
export function scriptedHttp(
  answer: (url: URL, method: string) => { status?: number; body: unknown },
): { http: HttpClient; sent: SentRequest[] } {
  const sent: SentRequest[] = [];
  const http = {
    request: async (r: {
      url: URL;
      method?: string;
      headers: Record<string, string>;
      body?: string;
    }) => {
      sent.push({ url: r.url.toString(), headers: r.headers, body: r.body ?? '' });
      const a = answer(r.url, r.method ?? 'POST');
      return {
        status: a.status ?? 200,
        headers: {},
        body: (async function* () {
          yield Buffer.from(JSON.stringify(a.body));
        })() as never,
      };
    },
    close: async () => {},
  } as unknown as HttpClient;
  return { http, sent };
}

/** The body of a request a loopback fake upstream received, as text. */
export async function readBody(req: IncomingMessage): Promise<string> {
  let text = '';
  for await (const c of req) text += c;
  return text;
}

/** The JSON body of a request a loopback fake upstream received. */
export async function readJsonBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  return JSON.parse(await readBody(req)) as Record<string, unknown>;
}

/** A loopback fake upstream's JSON answer (a string is sent as it is: JSONL, or a broken body). */
export function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
}

/** The body the OpenAI adapter sends upstream for a chat request (to a `gpt-4o` deployment). */
export async function sentByOpenAiAdapter(body: ChatRequest): Promise<string> {
  const { http, sent } = recordingHttp(
    '{"choices":[{"index":0,"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}]}',
  );
  const gpt = deploymentSchema.parse({
    name: 'o',
    provider: 'openai',
    model: 'gpt-4o',
    prices: { inputPer1M: 1, outputPer1M: 1 },
    contextWindow: 1000,
    maxOutputTokens: 100,
  });
  await createOpenAiAdapter(gpt, http, {}).chat({
    deployment: gpt,
    body,
    signal: new AbortController().signal,
    requestId: 'r',
  });
  return sent[0]!.body;
}
