// Responses `input` (a string or items) → chat messages, for the bridge (responsesToChat in
// responses-convert.ts) and for a conversation's items (conversation-items.ts): messages and their
// content parts, function and custom tool calls and their outputs, the client's local tools' calls
// (local-tools.ts), and this router's reasoning items.
import { invalidRequest } from '../../core/errors.js';
import { CLIENT_PATH } from '../../core/wire-types.js';
import type { ChatContentPart, ChatMessage, ReasoningDetail } from '../../core/wire-types.js';
import { isObject } from '../../core/is-object.js';
import { isImageUrl, quoteUrl } from '../../core/image-url.js';
import { chatCallName } from '../../core/tool-namespace.js';
import { openReasoningItem } from './responses-reasoning.js';
import { localCallToChat, localOutputText } from './local-tools.js';
import type { Json } from './responses-convert.js';

/**
 * A part's explicit prompt-caching breakpoint (openai-node `prompt_cache_breakpoint`, which
 * `@langchain/openai` 1.6 and the AI SDK set), kept on the chat part: an OpenAI upstream gets it as
 * sent, Claude as its `cache_control` mark (providers/anthropic/anthropic-content-blocks.ts).
 */
function breakpointOf(p: Json): { prompt_cache_breakpoint?: Json } {
  return isObject(p.prompt_cache_breakpoint)
    ? { prompt_cache_breakpoint: p.prompt_cache_breakpoint }
    : {};
}

/**
 * Content parts of a Responses message (`at` its `content`, or a function output's `output`) → chat
 * content (a string when it is text only).
 */
function convertContent(content: unknown, at: string): ChatMessage['content'] {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content))
    throw invalidRequest(`${at} must be a string or an array of content parts.`, at);
  const parts = content.map((p, i) => {
    if (!isObject(p)) throw invalidRequest(`${at}[${i}] must be an object.`, `${at}[${i}]`);
    if (p.type === 'input_text' || p.type === 'output_text' || p.type === 'text')
      return { type: 'text' as const, text: String(p.text ?? ''), ...breakpointOf(p) };
    if (p.type === 'input_image') {
      const url = typeof p.image_url === 'string' ? p.image_url : undefined;
      if (!url)
        throw invalidRequest(
          `${at}[${i}].image_url must be a URL or data URL.`,
          `${at}[${i}].image_url`,
        );
      if (!isImageUrl(url, true))
        throw invalidRequest(
          `${at}[${i}].image_url must be an http(s) URL or a data URL (data:image/png;base64,…); got ${quoteUrl(url)}.`,
          `${at}[${i}].image_url`,
          'invalid_value',
        );
      return {
        type: 'image_url' as const,
        image_url: { url, detail: (p.detail as 'auto' | 'low' | 'high' | undefined) ?? 'auto' },
        [CLIENT_PATH]: `${at}[${i}].image_url`,
        ...breakpointOf(p),
      };
    }
    if (p.type === 'input_file') {
      // Responses' file input → a chat `file` part (routed only where files are read).
      const file = {
        ...(typeof p.file_data === 'string' ? { file_data: p.file_data } : {}),
        ...(typeof p.file_id === 'string' ? { file_id: p.file_id } : {}),
        ...(typeof p.filename === 'string' ? { filename: p.filename } : {}),
      };
      if (!file.file_data && !file.file_id)
        throw invalidRequest(
          `${at}[${i}] needs file_data (a data URL) or file_id; file_url is not supported by this router.`,
          `${at}[${i}]`,
        );
      return {
        type: 'file' as const,
        file,
        [CLIENT_PATH]: `${at}[${i}].file_data`,
        ...breakpointOf(p),
      };
    }
    throw invalidRequest(
      `${at}[${i}].type "${String(p.type)}" is not supported; use input_text, input_image or input_file.`,
      `${at}[${i}].type`,
    );
  });
  // Text only is one string, but for a breakpoint, which marks the end of its own part.
  return parts.every((p) => p.type === 'text' && !('prompt_cache_breakpoint' in p))
    ? parts.map((p) => (p as { text: string }).text).join('\n')
    : (parts as ChatMessage['content']);
}
/** The id prefix of the call given to a function output that answers none (Codex's goal context),
 * by which it goes back to an upstream that speaks Responses as it came: without the call. */
export const CONTEXT_CALL = 'call_context_';

/**
 * `input` (a string or items) → chat messages. An assistant turn's items (a message, function
 * calls) make one assistant message; reasoning items this router returned (Claude's thinking,
 * ./responses-reasoning.ts) go on the assistant message that follows them as `reasoning_details`,
 * which only an Anthropic deployment gets back.
 */
export function convertInput(input: unknown): ChatMessage[] {
  if (typeof input === 'string') return [{ role: 'user', content: input }];
  if (!Array.isArray(input))
    throw invalidRequest("'input' must be a string or an array of input items.", 'input');
  const out: ChatMessage[] = [];
  // Images and files from function outputs, for the user message after the tool messages.
  let toolMedia: ChatContentPart[] = [];
  const flushToolMedia = () => {
    if (toolMedia.length) out.push({ role: 'user', content: toolMedia });
    toolMedia = [];
  };
  let thinking: ReasoningDetail[] = [];
  /** The assistant message this turn's items go on: the last one, or a new one. */
  const assistantTurn = (): ChatMessage & { role: 'assistant' } => {
    const last = out[out.length - 1];
    const turn =
      last?.role === 'assistant'
        ? last
        : (out[out.push({ role: 'assistant', content: null } as ChatMessage) - 1] as ChatMessage);
    if (thinking.length) {
      const carried = turn as { reasoning_details?: ReasoningDetail[] };
      carried.reasoning_details = [...(carried.reasoning_details ?? []), ...thinking];
      thinking = [];
    }
    return turn as ChatMessage & { role: 'assistant' };
  };
  input.forEach((item, i) => {
    const path = `input[${i}]`;
    if (!isObject(item)) throw invalidRequest(`${path} must be an object.`, path);
    const output =
      item.type === 'function_call_output' ||
      item.type === 'custom_tool_call_output' ||
      item.type === 'shell_call_output' ||
      item.type === 'apply_patch_call_output';
    if (!output) flushToolMedia();
    if (item.type === 'reasoning') {
      // Ours: Claude's thinking, for the turn it came with. Another upstream's: provider-private,
      // not replayed across models.
      const detail = openReasoningItem(item, path);
      if (detail) thinking.push(detail);
      return;
    }
    if (item.type === 'function_call' || item.type === 'custom_tool_call') {
      // A namespace member's call, as the bridge names it in chat (responses-tools.ts).
      const name = chatCallName(item);
      const id = String(item.call_id ?? item.id ?? '');
      const call =
        item.type === 'custom_tool_call'
          ? { id, type: 'custom' as const, custom: { name, input: String(item.input ?? '') } }
          : {
              id,
              type: 'function' as const,
              function: { name, arguments: String(item.arguments ?? '{}') },
            };
      // Parallel calls, and calls after the turn's text, arrive as consecutive items: one
      // assistant turn in chat.
      const turn = assistantTurn() as { tool_calls?: unknown[] };
      (turn.tool_calls ??= []).push(call);
      return;
    }
    if (item.type === 'shell_call' || item.type === 'apply_patch_call') {
      // A call of a tool the client runs, as the bridge offered it: a function (local-tools.ts).
      const turn = assistantTurn() as { tool_calls?: unknown[] };
      (turn.tool_calls ??= []).push(localCallToChat(item));
      return;
    }
    if (output) {
      let callId = String(item.call_id ?? '');
      if (!callId) {
        // Context sent as a tool's output with no call (check-responses-request.ts): chat has no
        // such message, so it goes as the call of that tool it would answer, then its output.
        callId = `${CONTEXT_CALL}${typeof item.id === 'string' ? item.id : i}`;
        const turn = assistantTurn() as { tool_calls?: unknown[] };
        (turn.tool_calls ??= []).push({
          id: callId,
          type: 'function',
          function: { name: chatCallName(item), arguments: '{}' },
        });
      }
      thinking = []; // thinking with no assistant turn after it has nothing to go with
      const { text, media } =
        item.type === 'shell_call_output' || item.type === 'apply_patch_call_output'
          ? { text: localOutputText(item), media: [] }
          : functionOutput(item, path);
      out.push({ role: 'tool', tool_call_id: callId, content: text });
      toolMedia.push(...media);
      return;
    }
    // A hosted tool's call, as OpenAI ran it for an earlier turn (a native deployment's answer,
    // or a web search Claude ran for this bridge): its findings are in the answer that follows,
    // and chat has no place for the call itself, so it is left out.
    if (HOSTED_CALL_ITEMS.has(String(item.type))) return;
    // Settings and tools, not a turn: responses-convert.ts applies them to the request.
    if (item.type === 'configuration_update' || item.type === 'additional_tools') return;
    if (item.type === 'item_reference')
      // Resolved before conversion (item-references.ts); one here was not looked up.
      throw invalidRequest(
        `${path} is an item_reference (${JSON.stringify(item.id)}), which is looked up only on POST /v1/responses: send the item itself.`,
        `${path}.type`,
        'unsupported_value',
      );
    if (item.type !== undefined && item.type !== 'message')
      throw invalidRequest(`${path}.type "${String(item.type)}" is not supported.`, `${path}.type`);
    const role = item.role;
    if (role !== 'user' && role !== 'assistant' && role !== 'system' && role !== 'developer')
      throw invalidRequest(
        `${path}.role must be user, assistant, system or developer.`,
        `${path}.role`,
      );
    const message = {
      role,
      content: convertContent(item.content, `${path}.content`),
    } as ChatMessage;
    if (role === 'assistant' && thinking.length)
      (message as { reasoning_details?: ReasoningDetail[] }).reasoning_details = thinking;
    thinking = [];
    out.push(message);
  });
  flushToolMedia();
  return out;
}

/** Items recording a hosted tool's run (openapi.yaml `Item`), which need no answer of the client's. */
const HOSTED_CALL_ITEMS = new Set([
  'web_search_call',
  'file_search_call',
  'code_interpreter_call',
  'image_generation_call',
  'mcp_list_tools',
  'mcp_call',
]);

/**
 * A function_call_output's `output`: a string, or content parts (the Agents SDK sends its tools'
 * text and image outputs so). Text becomes the chat tool message; images and files, which a chat
 * tool message cannot hold, go in a user message after the tool messages under a line naming the
 * call (before, the parts reached the model as their JSON).
 */
function functionOutput(item: Json, path: string): { text: string; media: ChatContentPart[] } {
  const output = item.output;
  if (typeof output === 'string') return { text: output, media: [] };
  if (!Array.isArray(output)) return { text: JSON.stringify(output ?? ''), media: [] };
  const content = convertContent(output, `${path}.output`);
  if (typeof content === 'string') return { text: content, media: [] };
  const parts = (content ?? []) as ChatContentPart[];
  const texts = parts.filter((p) => p.type === 'text').map((p) => (p as { text: string }).text);
  const media: ChatContentPart[] = parts.filter((p) => p.type !== 'text');
  if (media.length)
    media.unshift({
      type: 'text',
      text: `Attached to the result of tool call ${String(item.call_id)}:`,
    });
  return { text: texts.join('\n'), media };
}
