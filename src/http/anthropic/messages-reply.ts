// The way back to an Anthropic client, whichever provider served (CONTRACTS.md §4–5, reverse
// direction): the chat reply → an Anthropic Message. A stream's way back, chat chunks → Anthropic
// stream events, is messages-stream.ts; the way in is messages-convert.ts.
import { newId } from '../../core/ids.js';
import type { ChatResponse, ReasoningDetail } from '../../core/wire-types.js';
import { claudeReplyOf } from '../../core/wire-types.js';
import { serverBlocksOf } from '../../core/web-search.js';
import { plainText, textAndServerBlocks } from './messages-web-search.js';
import { reasoningTextOf } from '../../core/reasoning-text.js';
import { answerUsageCounts } from '../../gateway/cost.js';
import {
  directCaller,
  documentCitationsOf,
  messageFields,
  refusalOf,
  stopOf,
  stopSequence,
  stopsOf,
  usageOf,
} from './messages-reply-fields.js';

type Json = Record<string, unknown>;

function parseArgs(args: string): unknown {
  try {
    return JSON.parse(args || '{}');
  } catch {
    return { _raw: args };
  }
}

/**
 * Claude's thinking on a served message (`reasoning_details`) as the blocks Claude sent; else,
 * when the client asked for thinking (`showReasoning`), an OpenAI-format model's reasoning text
 * (`reasoning_content`, `reasoning`) as one thinking block. That block is unsigned: only Claude
 * signs, and an unsigned block the client sends back is left out on the way in
 * (messages-convert.ts), so it never reaches Claude, which would refuse it.
 */
function thinkingBlocks(message: unknown, showReasoning: boolean): Json[] {
  const details = (message as { reasoning_details?: ReasoningDetail[] } | undefined)
    ?.reasoning_details;
  const claude = (details ?? []).filter((d) => d.provider === 'anthropic');
  const text = showReasoning && claude.length === 0 ? reasoningTextOf(message) : undefined;
  if (text) return [{ type: 'thinking', thinking: text, signature: '' }];
  return claude.map((d) =>
    d.type === 'redacted_thinking'
      ? { type: 'redacted_thinking', data: d.data ?? '' }
      : { type: 'thinking', thinking: d.thinking ?? '', signature: d.signature ?? '' },
  );
}

/**
 * A chat reply → an Anthropic Message (`model` = the model that served); `stop` the request's
 * stop sequences; `promptTokens` the router's count of the prompt, the input of a reply that came
 * without usage; `showReasoning`: the client asked for thinking (thinkingBlocks).
 */
export function chatToMessage(
  reply: ChatResponse,
  stop?: unknown,
  promptTokens = 0,
  showReasoning = false,
): Json {
  const choice = reply.choices[0];
  const content: Json[] = thinkingBlocks(choice?.message, showReasoning);
  // Web citations (`url_citation` annotations) and Claude's citations of the client's documents
  // as Anthropic's cited text blocks, Claude's own search blocks between them where it put them.
  const server = serverBlocksOf(choice?.message);
  if (choice?.message?.content || server.length)
    content.push(
      ...textAndServerBlocks(
        choice?.message?.content ?? '',
        choice?.message?.annotations,
        server,
        documentCitationsOf(choice?.message),
      ),
    );
  // An OpenAI-format model's refusal (`message.refusal`, no content): its words as the text,
  // and Anthropic's `refusal` stop reason (before, an empty message that ended its turn: audit F4).
  const refusal = refusalOf(choice?.message);
  if (refusal) content.push(plainText(refusal));
  for (const call of choice?.message?.tool_calls ?? []) {
    if (call.type === 'function')
      content.push({
        type: 'tool_use',
        id: call.id,
        name: call.function.name,
        input: parseArgs(call.function.arguments),
        caller: directCaller(),
      });
  }
  // Claude's own reply fields (its refusal details, container, region), where Claude served.
  const claude = claudeReplyOf(reply);
  return {
    id: reply.id?.startsWith('msg_') ? reply.id : newId('msg_'),
    type: 'message',
    role: 'assistant',
    model: reply.model,
    content,
    ...(refusal
      ? { stop_reason: 'refusal', stop_sequence: null }
      : stopOf(choice?.finish_reason, stopSequence(choice, stopsOf(stop)))),
    ...messageFields(claude),
    // Without the upstream's usage, the router's figures, as it accounts the request: its count
    // of the prompt and the answer estimated, as a stream's message_delta gives them (before,
    // zeros: audit F5, 2026-12-06).
    usage: reply.usage
      ? usageOf(reply.usage, reply.service_tier, claude?.usage)
      : {
          ...usageOf(undefined, reply.service_tier, claude?.usage),
          input_tokens: promptTokens,
          output_tokens: answerUsageCounts(reply).completionTokens,
        },
  };
}
