// The searches Claude ran for a bridged Responses request (its hosted `web_search` tool, which
// reaches a Claude deployment that searches as Anthropic's web search tool): Claude's
// `server_tool_use` and `web_search_tool_result` blocks (SERVER_BLOCKS_FIELD, kept by the
// Anthropic adapter) as the Responses API's `web_search_call` items (openapi.yaml
// `WebSearchToolCall`): the query as a `search` action, its pages as `sources` when the request
// includes `web_search_call.action.sources`, `failed` where Anthropic's result is an error.
import { newId } from '../../core/ids.js';
import { isObject } from '../../core/is-object.js';
import type { ServerBlock } from '../../core/wire-types.js';
import type { Json } from './responses-convert.js';

/** The request asks for each search's sources (`include: ["web_search_call.action.sources"]`). */
export function wantsSources(request: Json): boolean {
  return (
    Array.isArray(request.include) && request.include.includes('web_search_call.action.sources')
  );
}

/** Claude's web search (a `server_tool_use` named web_search), as opposed to its other blocks. */
export function isWebSearchUse(block: Json): boolean {
  return block.type === 'server_tool_use' && block.name === 'web_search';
}

/** A web search's call item, in progress (before its results) or finished with them. */
export function webSearchCall(use: Json, id: string, result?: Json, sources = false): Json {
  const input = isObject(use.input) ? use.input : {};
  const query = typeof input.query === 'string' ? input.query : '';
  const pages = Array.isArray(result?.content) ? (result.content as unknown[]) : undefined;
  const failed = result !== undefined && pages === undefined;
  return {
    type: 'web_search_call',
    id,
    status: result === undefined ? 'in_progress' : failed ? 'failed' : 'completed',
    action: {
      type: 'search',
      query,
      queries: [query],
      ...(sources && pages
        ? {
            sources: pages
              .filter((p): p is Json => isObject(p) && typeof p.url === 'string')
              .map((p) => ({ type: 'url', url: p.url })),
          }
        : {}),
    },
  };
}

/** The web search call items of a whole answer's server blocks, in order. */
export function webSearchCalls(server: readonly ServerBlock[], sources: boolean): Json[] {
  const results = new Map<unknown, Json>();
  for (const s of server)
    if (s.block.type === 'web_search_tool_result') results.set(s.block.tool_use_id, s.block);
  return server
    .filter((s) => isWebSearchUse(s.block))
    .map((s) =>
      webSearchCall(s.block, newId('ws_'), results.get(s.block.id) ?? { content: [] }, sources),
    );
}
