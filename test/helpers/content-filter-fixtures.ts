// Shared by the content filter's tests: rules, a filter over them, requests, answers as chunks.
import { GatewayError } from '../../src/core/errors.js';
import type { ChatChunk, ChatRequest } from '../../src/core/wire-types.js';
import { createContentFilter, type ContentFilter } from '../../src/policy/content-filter.js';

export type Rule = {
  id: string;
  kind: 'keyword' | 'regex' | 'pii';
  patterns: string[];
  action: 'block' | 'redact' | 'annotate';
  appliesTo: 'input' | 'output' | 'both';
};

export function filter(rules: Rule[], moderationUrl?: string, timeoutMs?: number): ContentFilter {
  const f = createContentFilter(
    { enabled: true, rules, moderationUrl },
    { moderationTimeoutMs: timeoutMs },
  );
  if (!f) throw new Error('filter disabled');
  return f;
}

export const req = (content: string): ChatRequest =>
  ({ model: 'm', messages: [{ role: 'user', content }] }) as ChatRequest;

export async function caught(p: Promise<unknown>): Promise<GatewayError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof GatewayError) return e;
    throw e;
  }
  throw new Error('expected GatewayError');
}

export const RULES: Rule[] = [
  {
    id: 'secret-project',
    kind: 'keyword',
    patterns: ['Bluebird', 'Project X'],
    action: 'block',
    appliesTo: 'both',
  },
  {
    id: 'pii',
    kind: 'pii',
    patterns: ['email', 'phone', 'card'],
    action: 'redact',
    appliesTo: 'both',
  },
  { id: 'ticket', kind: 'regex', patterns: ['TCK-\\d{4}'], action: 'annotate', appliesTo: 'both' },
];

export function chunk(content: string | undefined, finish: string | null = null): ChatChunk {
  return {
    id: 'c',
    object: 'chat.completion.chunk',
    created: 1,
    model: 'm',
    choices: [
      {
        index: 0,
        delta: content === undefined ? {} : { content },
        finish_reason: finish,
        logprobs: null,
      },
    ],
  } as ChatChunk;
}

export async function* from(parts: string[], finish = true): AsyncGenerator<ChatChunk> {
  for (const p of parts) yield chunk(p);
  if (finish) yield chunk(undefined, 'stop');
}

export async function collect(stream: AsyncIterable<ChatChunk>) {
  let text = '';
  let finish: string | null = null;
  const chunks: ChatChunk[] = [];
  for await (const c of stream) {
    chunks.push(c);
    for (const ch of c.choices) {
      if (typeof ch.delta.content === 'string') text += ch.delta.content;
      if (ch.finish_reason) finish = ch.finish_reason;
    }
  }
  return { text, finish, chunks };
}
