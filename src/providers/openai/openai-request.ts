// What goes to an OpenAI-format upstream: the URL and auth headers per kind (OpenAI, Azure,
// OpenAI-compatible), and the chat body without the fields only other providers read. Shared by
// the adapter (openai-adapter.ts), batches (openai-batch.ts) and realtime (openai-realtime.ts).
import type { ProviderKind } from '../../config/deployment-kinds.js';
import type { DeploymentConfig } from '../../config/deployment-schema.js';
import {
  ANTHROPIC_TOOL_FIELD,
  SERVER_BLOCKS_FIELD,
  type ChatRequest,
} from '../../core/wire-types.js';

export interface Endpoint {
  url: URL;
  headers: Record<string, string>;
}

/**
 * URL and auth per kind: OpenAI Bearer; Azure dated path + `api-key` (CONTRACTS.md §1.1–1.2).
 * `operation` is the path under the base (Azure: under the deployment).
 */
export function describeEndpoint(
  deployment: DeploymentConfig,
  apiKey: string | undefined,
  operation:
    | 'chat/completions'
    | 'embeddings'
    | 'moderations'
    | 'images/generations'
    | 'images/edits'
    | 'images/variations'
    | 'audio/speech'
    | 'audio/transcriptions'
    | 'audio/translations'
    | 'rerank' = 'chat/completions',
): Endpoint {
  const kind: ProviderKind = deployment.provider;
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    ...(deployment.headers ?? {}),
  };
  if (kind === 'azure') {
    const base = (deployment.baseUrl ?? '').replace(/\/+$/, '');
    const url = new URL(
      `${base}/openai/deployments/${encodeURIComponent(deployment.model)}/${operation}?api-version=${encodeURIComponent(deployment.apiVersion ?? '2024-10-21')}`,
    );
    if (apiKey) headers['api-key'] = apiKey;
    return { url, headers };
  }
  const base = (deployment.baseUrl ?? 'https://api.openai.com/v1').replace(/\/+$/, '');
  if (apiKey) headers.authorization = `Bearer ${apiKey}`;
  // Rerank servers differ in where they serve it (vLLM `/v1/rerank`, Cohere `/v2/rerank`).
  const path =
    operation === 'rerank' ? (deployment.rerankPath ?? 'rerank').replace(/^\/+/, '') : operation;
  return { url: new URL(`${base}/${path}`), headers };
}

/** Fields that only make sense to the provider that produced them (e.g. Anthropic thinking). */
const PRIVATE_MESSAGE_FIELDS = ['reasoning_details', SERVER_BLOCKS_FIELD] as const;

/**
 * Anthropic's prompt-caching breakpoints on content parts, assistant tool calls and tools: not
 * OpenAI fields.
 */
const marked = (x: unknown) => (x as { cache_control?: unknown }).cache_control !== undefined;
const unmarked = <T>(x: T): T => {
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  const { cache_control, ...rest } = x as T & { cache_control?: unknown };
  return rest as T;
};

/**
 * An assistant turn of text parts only (an Anthropic client's several text blocks, kept apart for
 * Claude's prompt cache): one string, as the turn was written; some OpenAI-compatible servers
 * take only a string from the assistant.
 */
const textPartsOnly = (m: ChatRequest['messages'][number]) =>
  m.role === 'assistant' &&
  Array.isArray(m.content) &&
  (m.content as { type?: unknown }[]).every((p) => p?.type === 'text');

/** The chat body as sent upstream: without the fields only other providers read. */
export function serializeBody(body: ChatRequest): string {
  let messages = body.messages;
  const calls = (m: (typeof messages)[number]) => (m.role === 'assistant' && m.tool_calls) || [];
  const privateFields = (m: (typeof messages)[number]) =>
    PRIVATE_MESSAGE_FIELDS.some((f) => f in m) ||
    (Array.isArray(m.content) && (m.content as unknown[]).some(marked)) ||
    calls(m).some(marked) ||
    textPartsOnly(m);
  if (messages.some(privateFields)) {
    messages = messages.map((m) => {
      if (!privateFields(m)) return m;
      const copy = { ...m } as Record<string, unknown>;
      for (const f of PRIVATE_MESSAGE_FIELDS) delete copy[f];
      if (textPartsOnly(m))
        copy.content = (m.content as { text?: unknown }[])
          .map((p) => String(p.text ?? ''))
          .join('');
      else if (Array.isArray(m.content)) copy.content = (m.content as unknown[]).map(unmarked);
      if (calls(m).some(marked)) copy.tool_calls = calls(m).map(unmarked);
      return copy as unknown as typeof m;
    });
  }
  const tools = body.tools?.some((t) => marked(t) || ANTHROPIC_TOOL_FIELD in t)
    ? body.tools.map((t) => {
        // eslint-disable-next-line @typescript-eslint/no-unused-vars
        const { [ANTHROPIC_TOOL_FIELD]: anthropic, ...rest } = unmarked(t) as typeof t &
          Record<string, unknown>;
        return rest as typeof t;
      })
    : body.tools;
  return JSON.stringify(
    messages === body.messages && tools === body.tools ? body : { ...body, messages, tools },
  );
}
