// Web search on Chat Completions (openapi.yaml `web_search_options`): what a request asks for, as
// the router reads it. Eligibility sends such a request only to deployments that search
// (`capabilities.webSearch`); an OpenAI-format search model gets the field as sent, Claude gets
// Anthropic's web search tool (src/providers/anthropic/anthropic-web-search.ts).
import { isObject } from './is-object.js';

/** OpenAI's approximate location of the user (`WebSearchLocation`), each part optional. */
export interface WebSearchLocation {
  country?: string;
  region?: string;
  city?: string;
  timezone?: string;
}

/** OpenAI's annotation for a cited web page (openapi.yaml `ChatCompletionResponseMessage`). */
export interface UrlCitation {
  type: 'url_citation';
  url_citation: { start_index: number; end_index: number; url: string; title: string };
}

export interface WebSearchOptions {
  userLocation?: WebSearchLocation;
  searchContextSize?: 'low' | 'medium' | 'high';
}

/** The request's web search options, once checked (src/http/web-search-options.ts); none: no search. */
export function webSearchOptions(request: Record<string, unknown>): WebSearchOptions | undefined {
  const o = request.web_search_options;
  if (!isObject(o)) return undefined;
  const where = isObject(o.user_location) ? o.user_location.approximate : undefined;
  const size = o.search_context_size;
  return {
    ...(isObject(where) ? { userLocation: where as WebSearchLocation } : {}),
    ...(size === 'low' || size === 'medium' || size === 'high' ? { searchContextSize: size } : {}),
  };
}

/**
 * The Responses API's hosted web search tool (openapi.yaml `WebSearchTool`, `WebSearchPreviewTool`,
 * with or without their dates): bridged to chat, a tool Claude may call where it searches.
 */
export function isHostedWebSearch(type: unknown): boolean {
  return typeof type === 'string' && /^web_search(_preview)?(_\d{4}_\d{2}_\d{2})?$/.test(type);
}
