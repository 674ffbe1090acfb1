// Web search on Chat Completions (openapi.yaml `web_search_options`): what a request asks for, as
// the router reads it. Eligibility sends such a request only to deployments that search
// (`capabilities.webSearch`); an OpenAI-format search model gets the field as sent, Claude gets
// Anthropic's web search tool (src/providers/anthropic/anthropic-web-search.ts). Also what every
// bridge reads off a search's answer the same way: its web citations, Claude's search blocks
// (SERVER_BLOCKS_FIELD), and a location's parts.
import { isObject } from './is-object.js';
import { SERVER_BLOCKS_FIELD, type ServerBlock } from './wire-types.js';

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

const LOCATION_PARTS = ['city', 'region', 'country', 'timezone'] as const;

/**
 * The string parts of an approximate location (OpenAI's `approximate`, or the flat
 * `user_location` of Anthropic's web search tool and of the Responses API's): the others dropped.
 */
export function approximateLocation(where: unknown): WebSearchLocation {
  const out: WebSearchLocation = {};
  if (!isObject(where)) return out;
  for (const part of LOCATION_PARTS) if (typeof where[part] === 'string') out[part] = where[part];
  return out;
}

/** The web citations among a message's or delta's `annotations` (other kinds left out). */
export function urlCitationsOf(annotations: unknown): UrlCitation[] {
  if (!Array.isArray(annotations)) return [];
  return annotations.filter(
    (a): a is UrlCitation => isObject(a) && a.type === 'url_citation' && isObject(a.url_citation),
  );
}

/** The server tool blocks a message or delta carries (SERVER_BLOCKS_FIELD), if any. */
export function serverBlocksOf(holder: unknown): ServerBlock[] {
  const list = isObject(holder) ? holder[SERVER_BLOCKS_FIELD] : undefined;
  return Array.isArray(list)
    ? list.filter((s): s is ServerBlock => isObject(s) && isObject(s.block))
    : [];
}
