// Chat's web search (`web_search_options`) on Claude: Anthropic's server-side web search tool
// (`web_search_20250305`, anthropic_openapi_curated.yaml `ToolWebSearch`) in the request, and in
// the answer, the text's web citations (`web_search_result_location`) as OpenAI's `url_citation`
// annotations (openapi.yaml `ChatCompletionResponseMessage.annotations`): each spans the text
// block that cites the page, in the message's characters. The search blocks themselves
// (`server_tool_use`, `web_search_tool_result`) are Anthropic's record of the search and have no
// place in a chat message: they are left out, and the searches are counted in the usage, except
// for an Anthropic client of the Messages bridge, which gets them as Claude sent them
// (SERVER_BLOCKS_FIELD) and sends them back. A paused turn (`pause_turn`) goes on: JSON here
// (joinPausedTurn), streamed in anthropic-stream.ts.
import {
  approximateLocation,
  webSearchOptions,
  type UrlCitation,
  type WebSearchLocation,
} from '../../core/web-search.js';
import { isObject } from '../../core/is-object.js';
import type { DeploymentConfig } from '../../config/deployment-schema.js';
import { WEB_SEARCH_TOOL_FIELD, type ChatRequest } from '../../core/wire-types.js';

type Json = Record<string, unknown>;

export const WEB_SEARCH_TOOL = 'web_search';

/**
 * The web search tool for a request that asks for web search, else none. OpenAI's
 * `search_context_size` has no Anthropic counterpart: Claude decides how many searches to run.
 * The Responses API's hosted web search is a tool Claude may call, without asking for a search
 * (no `web_search_options`): sent only where the deployment searches.
 */
export function webSearchTool(body: ChatRequest, deployment: DeploymentConfig): Json | undefined {
  const options = webSearchOptions(body);
  // A client's own tool (the Messages bridge, with its limits and domains; the Responses bridge).
  const own = body[WEB_SEARCH_TOOL_FIELD];
  if (isObject(own) && isObject(own.tool) && (options || deployment.capabilities.webSearch))
    return own.tool;
  if (!options) return undefined;
  return claudeSearchTool(approximateLocation(options.userLocation));
}

/** Anthropic's web search tool (`web_search_20250305`) near `location`, where one is given. */
export function claudeSearchTool(location: WebSearchLocation): Json {
  return {
    type: 'web_search_20250305',
    name: WEB_SEARCH_TOOL,
    ...(Object.keys(location).length
      ? { user_location: { type: 'approximate', ...location } }
      : {}),
  };
}

/** An Anthropic client's `tool_choice` forced its web search tool (the Messages bridge). */
export function forcesWebSearch(body: ChatRequest): boolean {
  const own = body[WEB_SEARCH_TOOL_FIELD];
  return isObject(own) && own.forced === true;
}

/** The web pages a text block cites, as annotations over `[start, start + its length)`. */
export function urlCitations(citations: unknown, start: number, length: number): UrlCitation[] {
  if (!Array.isArray(citations)) return [];
  const out: UrlCitation[] = [];
  for (const c of citations as Json[]) {
    if (c?.type !== 'web_search_result_location' || typeof c.url !== 'string') continue;
    // One annotation per page: a block may cite several passages of the same one.
    if (out.some((a) => a.url_citation.url === c.url)) continue;
    out.push({
      type: 'url_citation',
      url_citation: {
        start_index: start,
        end_index: start + length,
        url: c.url,
        title: typeof c.title === 'string' ? c.title : '',
      },
    });
  }
  return out;
}

/** How many searches a Message's usage reports (`server_tool_use.web_search_requests`). */
export function webSearchRequests(usage: Json | undefined): number {
  const server = usage?.server_tool_use as Json | undefined;
  const n = Number(server?.web_search_requests ?? 0);
  return Number.isFinite(n) && n > 0 ? n : 0;
}

/** How many times a paused turn (`pause_turn`) is sent back to go on, at most. */
export const PAUSED_TURNS = 4;

/** A paused answer as the assistant turn that lets Claude go on. */
export function pausedTurn(msg: Json): Json {
  return { role: 'assistant', content: msg.content };
}

/** Usage counts a paused turn and its continuation add up (each call is billed). */
const SUMMED = [
  'input_tokens',
  'output_tokens',
  'cache_creation_input_tokens',
  'cache_read_input_tokens',
] as const;

/**
 * The usage of two calls of one answer, added up (each call is billed), searches and thinking
 * tokens (`output_tokens_details.thinking_tokens`, part of `output_tokens`) included.
 */
export function addUsage(a: Json, b: Json): Json {
  const usage: Json = { ...a, ...b };
  for (const key of SUMMED) usage[key] = Number(a[key] ?? 0) + Number(b[key] ?? 0);
  const searches = webSearchRequests(a) + webSearchRequests(b);
  if (searches)
    usage.server_tool_use = { ...(b.server_tool_use as Json), web_search_requests: searches };
  const thinking = thinkingTokens(a) + thinkingTokens(b);
  if (thinking)
    usage.output_tokens_details = {
      ...(b.output_tokens_details as Json),
      thinking_tokens: thinking,
    };
  return usage;
}

/** The thinking tokens a usage reports (`output_tokens_details.thinking_tokens`), else 0. */
export function thinkingTokens(usage: Json): number {
  const n = Number((usage.output_tokens_details as Json | null | undefined)?.thinking_tokens ?? 0);
  return Number.isFinite(n) && n > 0 ? n : 0;
}

/**
 * A paused answer and what came when it was sent back, as one Message: the blocks of both, in
 * order, the continuation's stop, and the usage (searches included) of both calls.
 */
export function joinPausedTurn(first: Json, next: Json): Json {
  const usage = addUsage((first.usage ?? {}) as Json, (next.usage ?? {}) as Json);
  const blocks = (m: Json) => (Array.isArray(m.content) ? (m.content as unknown[]) : []);
  return { ...next, id: first.id, content: [...blocks(first), ...blocks(next)], usage };
}

/** Claude's own tool blocks (a web search's use and its results), as opposed to the client's. */
export function isServerBlock(block: Json): boolean {
  return (
    block.type === 'server_tool_use' ||
    (typeof block.type === 'string' && block.type.endsWith('_tool_result'))
  );
}
