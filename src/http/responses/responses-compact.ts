// `POST /v1/responses/compact` (openapi.yaml `Compactconversation`): the Agents SDK's
// `OpenAIResponsesCompactionSession` and the Codex CLI call it to shrink a long conversation and
// pass its `output` as the next request's `input`. The routed model (the request's `model`,
// routed and governed as any Responses call; the request log's endpoint `responses.compact`)
// writes a summary of the conversation; the reply keeps the conversation's user messages, as
// OpenAI's does, and adds one `compaction` item carrying the summary (compaction-item.ts), which
// any deployment can continue from. A native upstream's own compaction is not used: its item
// could be read by that upstream only, and the next turn may be routed elsewhere.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { GatewayError, invalidRequest } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import { isObject } from '../../core/is-object.js';
import type { ChatMessage, ChatRequest } from '../../core/wire-types.js';
import { openAiAttribution, type Attribution } from '../../gateway/attribution.js';
import type { ChatGateway } from '../../gateway/chat-gateway.js';
import type { ChatOutcome } from '../../gateway/gateway-types.js';
import type { ConversationObjectStore } from '../../store/conversation-object-store.js';
import type { ResponseStore } from '../../store/response-store.js';
import { callGateway, type GatewayCaller } from '../routes/chat-routes.js';
import { checkFieldType } from '../check-fields.js';
import { compactionItem, isCompactionSummary, SUMMARY_HEADING } from './compaction-item.js';
import type { Json } from './responses-convert.js';
import { chatToInputItems } from './chat-to-input-items.js';
import { mapUsage } from './responses-reply.js';
import { prepareResponse, type PreparedResponse } from './responses-run.js';

/** What the routed model is told to do with the conversation (the system message). */
export const COMPACTION_INSTRUCTIONS = [
  'You compact a long conversation between a user and an AI assistant (which may have called tools) so that the assistant can continue it from your summary alone.',
  'The conversation is given between <conversation> tags. Write a faithful, self-contained summary of it for the assistant that continues:',
  "the user's goals, requests and constraints; what was done, decided and found, with the exact names, paths, identifiers, numbers, code and tool results that still matter; the current state; and what remains to do next.",
  'Do not invent anything, do not answer or continue the conversation, and do not address the user. Write only the summary.',
].join(' ');

/** openapi.yaml `CompactResponseMethodPublicBody`: the fields OpenAI's compact takes. */
const COMPACT_FIELDS = [
  'model',
  'input',
  'previous_response_id',
  'instructions',
  'prompt_cache_key',
  'prompt_cache_retention',
  'prompt_cache_options',
  'service_tier',
];
/**
 * Fields the Codex CLI sends with every compact request (codex-rs `CompactionInput`: the turn's
 * tools and settings), which OpenAI takes though its spec does not list them; and the attribution
 * every OpenAI route of the router reads. Checked as POST /v1/responses checks them.
 */
const ALSO_TAKEN = [
  'tools',
  'parallel_tool_calls',
  'reasoning',
  'text',
  'user',
  'safety_identifier',
  'metadata',
];
const TAKEN = new Set([...COMPACT_FIELDS, ...ALSO_TAKEN]);
/** What to do instead, for fields of POST /v1/responses a compact request cannot honour. */
const INSTEAD: Record<string, string> = {
  stream: 'a compaction is answered as one JSON object, never streamed: remove it',
  background: 'a compaction is answered in the same request: remove it',
  conversation:
    "to compact a conversation of the Conversations API, send its items (GET /v1/conversations/{id}/items) as 'input'",
  store: "a compaction is not stored; its output is the next request's input: remove it",
};

/**
 * The body `prepareResponse` checks: the fields of `CompactResponseMethodPublicBody` the router
 * reads (a conversation given by `previous_response_id` alone has an empty `input`), and those it
 * takes to check only (ALSO_TAKEN, the prompt cache and service tier: the summary is the router's
 * own call). Any other field is a 400 `unknown_parameter` naming it, as OpenAI answers, not
 * ignored: a client's `stream: true` or `conversation` would have been answered as if unsent.
 */
export function compactableBody(sent: unknown): Json | null {
  if (!isObject(sent)) return null;
  const unknown = Object.keys(sent).find((key) => !TAKEN.has(key));
  if (unknown !== undefined) {
    const name = JSON.stringify(unknown.slice(0, 64)).slice(1, -1);
    throw invalidRequest(
      `Unknown parameter: '${name}'. ${INSTEAD[unknown] ? `POST /v1/responses/compact takes no '${name}': ${INSTEAD[unknown]}.` : `POST /v1/responses/compact takes ${COMPACT_FIELDS.join(', ')} (and ${ALSO_TAKEN.join(', ')}).`}`,
      unknown,
      'unknown_parameter',
    );
  }
  checkFieldType(sent, 'prompt_cache_options', 'object');
  // An empty id named no response: it was read as no conversation ("'input' must not be empty").
  if (sent.previous_response_id === '')
    throw invalidRequest(
      "Invalid 'previous_response_id': empty string. Send the id of a stored response (resp_…), or leave it out and send the conversation as 'input'.",
      'previous_response_id',
      'empty_string',
    );
  const body: Json = { model: sent.model, input: sent.input };
  if (sent.input === undefined || sent.input === null)
    body.input = typeof sent.previous_response_id === 'string' ? [] : undefined;
  for (const key of TAKEN)
    if (key !== 'model' && key !== 'input' && key !== 'prompt_cache_options')
      if (sent[key] !== undefined && sent[key] !== null) body[key] = sent[key];
  return body;
}

/** Compacts the conversation of a `/responses/compact` request; answers `CompactResource`. */
export async function compactResponse(
  gateway: ChatGateway,
  store: ResponseStore,
  conversations: ConversationObjectStore,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<FastifyReply> {
  const sent = request.body as Json | null;
  const p = await prepareResponse(compactableBody(sent), request.auth.tenant, store, conversations);
  const { summary, outcome } = await summarizeConversation(gateway, request, reply, p, {
    attribution: openAiAttribution(sent ?? {}, request.headers),
  });
  const createdAt = Math.floor(p.ctx.createdAt / 1000);
  return reply.headers(outcome.headers).send({
    id: p.ctx.id,
    object: 'response.compaction',
    created_at: createdAt,
    output: [
      ...keptUserMessages(p.history),
      compactionItem(summary, outcome.response.model, createdAt),
    ],
    usage: mapUsage(outcome.response.usage) ?? {
      input_tokens: 0,
      input_tokens_details: { cached_tokens: 0 },
      output_tokens: 0,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: 0,
    },
  });
}

/**
 * The compaction pass: the routed model (`p.chat.model`) writes the summary of the conversation
 * `p` holds (its history and instructions). Logged as a Responses call of its own kind (the
 * request log's endpoint `responses.compact`), with its own cost; a 502 when it wrote none.
 */
export async function summarizeConversation(
  gateway: ChatGateway,
  request: GatewayCaller,
  reply: FastifyReply | undefined,
  p: PreparedResponse,
  opts: { attribution: Attribution; signal?: AbortSignal },
): Promise<{ summary: string; outcome: Extract<ChatOutcome, { kind: 'json' }> }> {
  const chat: ChatRequest = {
    model: p.chat.model,
    messages: [
      { role: 'system', content: COMPACTION_INSTRUCTIONS },
      {
        role: 'user',
        content: `<conversation>\n${conversationTranscript(p.history, p.instructions)}</conversation>\n\nWrite the summary of this conversation now.`,
      },
    ],
    ...(p.chat.prompt_cache_key ? { prompt_cache_key: p.chat.prompt_cache_key } : {}),
  };
  const outcome = await callGateway(gateway, request, reply, chat, {
    endpoint: 'responses.compact',
    ...opts,
  });
  if (outcome.kind !== 'json') throw new Error('a compaction call is not streamed');
  const answer = outcome.response.choices[0]?.message;
  const summary = typeof answer?.content === 'string' ? answer.content.trim() : '';
  if (!summary)
    throw new GatewayError({
      status: 502,
      type: 'server_error',
      code: 'empty_summary',
      message: `${outcome.response.model} wrote no summary of the conversation; try again, or compact with another model.`,
    });
  return { summary, outcome };
}

/** The user's own messages of a conversation (not the summaries of earlier compactions). */
export function userMessagesOf(history: readonly ChatMessage[]): ChatMessage[] {
  return history.filter((m) => m.role === 'user' && !isCompactionSummary(m));
}

/** The user's own messages of a conversation, as `message` output items (OpenAI keeps these). */
function keptUserMessages(history: readonly ChatMessage[]): Json[] {
  return chatToInputItems(userMessagesOf(history)).map((item) => ({
    id: newId('msg_'),
    type: 'message',
    status: 'completed',
    role: 'user',
    content:
      typeof item.content === 'string'
        ? [{ type: 'input_text', text: item.content }]
        : item.content,
  }));
}

/** A chat message's content as text (images and files as a mark, not their bytes). */
function contentText(content: ChatMessage['content']): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return (content as { type?: string; text?: unknown; file?: { filename?: unknown } }[])
    .map((part) =>
      typeof part.text === 'string'
        ? part.text
        : part.type === 'image_url'
          ? '[an image]'
          : part.type === 'file'
            ? `[a file${typeof part.file?.filename === 'string' ? `: ${part.file.filename}` : ''}]`
            : '',
    )
    .filter(Boolean)
    .join('\n');
}

/**
 * The conversation as one text for the summarising model: one labelled block a turn, tool calls
 * with their arguments and results. As text, not as chat turns, so any model can read it
 * whatever tools the conversation used (Claude refuses tool turns without the tools' definitions,
 * which a compact request does not send).
 */
export function conversationTranscript(
  history: readonly ChatMessage[],
  instructions: string | undefined,
): string {
  const blocks: string[] = [];
  if (instructions) blocks.push(`[instructions]\n${instructions}`);
  for (const m of history) {
    if (m.role === 'user' && isCompactionSummary(m)) {
      const text = contentText(m.content).slice(SUMMARY_HEADING.length).trim();
      blocks.push(`[summary of the conversation before this point]\n${text}`);
    } else if (m.role === 'tool')
      blocks.push(`[result of tool call ${m.tool_call_id}]\n${contentText(m.content)}`);
    else if (m.role === 'assistant') {
      const text = contentText(m.content);
      if (text) blocks.push(`[assistant]\n${text}`);
      for (const call of m.tool_calls ?? [])
        blocks.push(
          call.type === 'function'
            ? `[assistant calls tool ${call.function.name} (call ${call.id})]\n${call.function.arguments}`
            : `[assistant calls tool ${call.custom.name} (call ${call.id})]\n${call.custom.input}`,
        );
    } else blocks.push(`[${m.role}]\n${contentText(m.content)}`);
  }
  return blocks.map((b) => `${b}\n\n`).join('');
}
