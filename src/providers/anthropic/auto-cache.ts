// Prompt-caching breakpoints the router marks itself (`promptCaching: auto`) on a request whose
// client marked none, as OpenAI-format clients never do. Anthropic caches a prefix only up to a
// block marked `cache_control` (docs: https://docs.claude.com/en/docs/build-with-claude/prompt-caching),
// in the order tools → system → messages, at most 4 marks a request.
import type { ChatRequest } from '../../core/wire-types.js';
import { cacheMark } from './anthropic-content-blocks.js';

type Json = Record<string, unknown>;

const EPHEMERAL = { type: 'ephemeral' } as const;

/** Marked by the client: Anthropic's `cache_control` or OpenAI's `prompt_cache_breakpoint`. */
function marked(part: unknown): boolean {
  return cacheMark(part).cache_control !== undefined;
}

/**
 * Whether the client marked a breakpoint anywhere (a tool, a content part, an assistant turn's
 * tool call): its marks then win.
 */
export function carriesCacheMark(body: ChatRequest): boolean {
  return (
    (body.tools ?? []).some(marked) ||
    body.messages.some(
      (m) =>
        (Array.isArray(m.content) && m.content.some(marked)) ||
        (m.role === 'assistant' && (m.tool_calls ?? []).some(marked)),
    )
  );
}

/** Anthropic refuses a mark on an empty text block; thinking blocks take none. */
function markable(block: Json): boolean {
  if (block.type === 'thinking' || block.type === 'redacted_thinking') return false;
  return block.type !== 'text' || (typeof block.text === 'string' && block.text !== '');
}

/**
 * Marks, on a converted Anthropic request (`out`, changed in place), the last tool (caches the
 * tools), the system prompt as one block (tools + system) and the last markable block of the
 * last user turn, a tool result's or the user's (the whole conversation, which an agent's next
 * turn then reads). Three marks at most, so within Anthropic's four.
 */
export function addCacheBreakpoints(out: Json): void {
  const tools = out.tools as Json[] | undefined;
  const lastTool = tools?.at(-1);
  if (lastTool) tools![tools!.length - 1] = { ...lastTool, cache_control: EPHEMERAL };
  // Unmarked, the system prompt is one string: the same text as one marked block.
  if (typeof out.system === 'string' && out.system !== '')
    out.system = [{ type: 'text', text: out.system, cache_control: EPHEMERAL }];
  const messages = out.messages as { role: string; content: Json[] }[];
  for (let i = messages.length - 1; i >= 0; i--) {
    const turn = messages[i]!;
    if (turn.role !== 'user') continue;
    const at = turn.content.findLastIndex(markable);
    if (at < 0) continue;
    turn.content[at] = { ...turn.content[at], cache_control: EPHEMERAL };
    return;
  }
}

/** OpenAI's `prompt_cache_options` (openai-node 7.60) as the client sent it, if it did. */
function cacheOptionsOf(body: ChatRequest): Json | undefined {
  const options = (body as { prompt_cache_options?: unknown }).prompt_cache_options;
  return options && typeof options === 'object' ? (options as Json) : undefined;
}

/** `prompt_cache_options.mode: explicit`: no implicit breakpoint, so the router adds none. */
export function explicitOnly(body: ChatRequest): boolean {
  return cacheOptionsOf(body)?.mode === 'explicit';
}

/**
 * `prompt_cache_options.ttl` (`30m`, or `12h` on Responses) is a minimum lifetime for every
 * breakpoint the request writes; Claude keeps a mark 5 minutes or an hour, so every mark of `out`
 * (changed in place) that set no lifetime of its own gets an hour, as an explicit breakpoint's
 * `ttl` does (anthropic-content-blocks.ts `cacheMark`).
 */
export function lengthenCacheMarks(out: Json, body: ChatRequest): void {
  if (cacheOptionsOf(body)?.ttl === undefined) return;
  const lengthen = (block: unknown) => {
    const mark = (block as { cache_control?: Json } | null)?.cache_control;
    if (mark && typeof mark === 'object' && mark.type === 'ephemeral' && mark.ttl === undefined)
      (block as Json).cache_control = { ...mark, ttl: '1h' };
  };
  (out.tools as unknown[] | undefined)?.forEach(lengthen);
  if (Array.isArray(out.system)) out.system.forEach(lengthen);
  for (const turn of out.messages as { content: unknown }[])
    if (Array.isArray(turn.content)) turn.content.forEach(lengthen);
  // Anthropic's automatic caching, the request's own mark.
  lengthen(out);
}
