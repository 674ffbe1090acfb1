// Anthropic's web search tool on /v1/messages (`web_search_20250305`, anthropic_openapi_curated.yaml
// `ToolWebSearch`; Claude Code's WebSearch sends it): checked, then served as chat's web search
// (src/core/web-search.ts): `web_search_options` with its `user_location`, so routing keeps to
// deployments that search, and the tool itself in a private field, so Claude gets it whole (its
// `max_uses` and domains). On the way back, the answer's `url_citation` annotations become text
// blocks with Anthropic's `web_search_result_location` citations. Claude's own search blocks
// (`server_tool_use`, `web_search_tool_result`), which the Anthropic adapter keeps for this
// bridge, stand between them where Claude put them; what the chat answer does not carry is not
// made up: an OpenAI search model's answer has no search blocks, and a citation's
// `encrypted_index` is empty (Anthropic's is opaque, for its own use).
import { invalidRequest } from '../../core/errors.js';
import { isObject } from '../../core/is-object.js';
import { approximateLocation, urlCitationsOf, type UrlCitation } from '../../core/web-search.js';
import type { DocumentCitations, ServerBlock } from '../../core/wire-types.js';

type Json = Record<string, unknown>;

/** Anthropic's web search tool: a `web_search_` type with its version date. */
export function isWebSearchTool(t: Json): boolean {
  return typeof t.type === 'string' && /^web_search_\d{8}$/.test(t.type);
}

const LOCATION_PARTS = ['city', 'region', 'country', 'timezone'] as const;

/** Anthropic's rules for the tool, so a malformed one is a 400 whichever deployment is picked. */
export function checkWebSearchTool(t: Json, path: string): void {
  if (t.name !== 'web_search')
    throw invalidRequest(
      `${path}.name: the web search tool's name must be "web_search"`,
      `${path}.name`,
    );
  for (const key of ['allowed_domains', 'blocked_domains'])
    if (
      t[key] != null &&
      !(Array.isArray(t[key]) && (t[key] as unknown[]).every((d) => typeof d === 'string'))
    )
      throw invalidRequest(`${path}.${key}: Input should be a list of domains`, `${path}.${key}`);
  // An empty list filters nothing (Claude Code sends one beside the other).
  if (hasDomains(t.allowed_domains) && hasDomains(t.blocked_domains))
    throw invalidRequest(
      `${path}: allowed_domains and blocked_domains cannot be used together; send one`,
      `${path}.allowed_domains`,
    );
  if (t.max_uses != null && !(Number.isInteger(t.max_uses) && (t.max_uses as number) > 0))
    throw invalidRequest(
      `${path}.max_uses: Input should be a positive integer`,
      `${path}.max_uses`,
    );
  const loc = t.user_location;
  if (loc == null) return;
  if (!isObject(loc) || (loc.type != null && loc.type !== 'approximate'))
    throw invalidRequest(
      `${path}.user_location: Input should be {"type": "approximate", "city", "region", "country", "timezone"}`,
      `${path}.user_location`,
    );
  for (const part of LOCATION_PARTS)
    if (loc[part] != null && typeof loc[part] !== 'string')
      throw invalidRequest(
        `${path}.user_location.${part}: Input should be a valid string`,
        `${path}.user_location.${part}`,
      );
}

const hasDomains = (v: unknown) => Array.isArray(v) && v.length > 0;

/** The tool without a domain list that is empty (it filters nothing, and Claude need not see it). */
export function withoutEmptyDomains(t: Json): Json {
  const out = { ...t };
  for (const key of ['allowed_domains', 'blocked_domains'])
    if (Array.isArray(out[key]) && (out[key] as unknown[]).length === 0) delete out[key];
  return out;
}

/**
 * Chat's `web_search_options` for the tool (its `user_location` as OpenAI's); the Responses API's
 * hosted web search tool has the same flat `user_location`.
 */
export function webSearchOptionsOf(t: Json): Json {
  const approximate = approximateLocation(t.user_location);
  return Object.keys(approximate).length
    ? { user_location: { type: 'approximate', approximate } }
    : {};
}

/** An annotation as Anthropic's citation of a web page, quoting the text it spans. */
export function webCitation(a: UrlCitation, text: string): Json {
  const { start_index: start, end_index: end, url, title } = a.url_citation;
  return {
    type: 'web_search_result_location',
    url,
    title,
    // Anthropic quotes at most 150 characters.
    cited_text: text.slice(start, end).slice(0, 150),
    encrypted_index: '',
  };
}

/**
 * A message's text as Anthropic's text blocks: each span the annotations (web pages) or `documents`
 * (Claude's citations of the client's documents, as it sent them) cite a block with its
 * citations, the text between them plain blocks (`citations: null`, as Anthropic sends a block
 * that cites nothing: the SDK's `TextBlock` types the field as always there). Spans that overlap
 * one before are cited there.
 */
export function citedTextBlocks(
  text: string,
  annotations: unknown,
  documents: readonly DocumentCitations[] = [],
): Json[] {
  const cites = [
    ...urlCitationsOf(annotations).map((a) => ({
      start: a.url_citation.start_index,
      end: a.url_citation.end_index,
      citations: [webCitation(a, text)],
    })),
    ...documents.map((d) => ({ start: d.start_index, end: d.end_index, citations: d.citations })),
  ]
    .filter((c) => c.citations.length > 0)
    .sort((a, b) => a.start - b.start);
  if (cites.length === 0) return text ? [plainText(text)] : [];
  const blocks: Json[] = [];
  let at = 0;
  let last: { end: number; citations: Json[] } | undefined;
  for (const c of cites) {
    const start = Math.max(0, Math.min(c.start, text.length));
    const end = Math.max(start, Math.min(c.end, text.length));
    if (last && start < last.end) {
      last.citations.push(...c.citations);
      continue;
    }
    if (start > at) blocks.push(plainText(text.slice(at, start)));
    const citations = [...c.citations];
    blocks.push({ type: 'text', text: text.slice(start, end), citations });
    last = { end, citations };
    at = end;
  }
  if (at < text.length) blocks.push(plainText(text.slice(at)));
  return blocks;
}

/** A text block that cites nothing, as Anthropic sends one (SDK `TextBlock`). */
export function plainText(text: string): Json {
  return { type: 'text', text, citations: null };
}

/** The citations over `[from, to)` of the text, clipped to it and counted from `from`. */
function citationsWithin(annotations: unknown, from: number, to: number): UrlCitation[] {
  const out: UrlCitation[] = [];
  for (const { url_citation: c } of urlCitationsOf(annotations)) {
    const start = Math.max(c.start_index, from);
    const end = Math.min(c.end_index, to);
    if (end <= start) continue;
    out.push({
      type: 'url_citation',
      url_citation: { ...c, start_index: start - from, end_index: end - from },
    });
  }
  return out;
}

/** The document citation spans over `[from, to)` of the text, clipped to it and counted from `from`. */
function documentsWithin(
  documents: readonly DocumentCitations[],
  from: number,
  to: number,
): DocumentCitations[] {
  const out: DocumentCitations[] = [];
  for (const d of documents) {
    const start = Math.max(d.start_index, from);
    const end = Math.min(d.end_index, to);
    if (end > start) out.push({ ...d, start_index: start - from, end_index: end - from });
  }
  return out;
}

/**
 * A message's text as Anthropic's (cited) text blocks with Claude's server tool blocks where they
 * stood: each after the first `at` characters of the text.
 */
export function textAndServerBlocks(
  text: string,
  annotations: unknown,
  server: readonly ServerBlock[],
  documents: readonly DocumentCitations[] = [],
): Json[] {
  if (server.length === 0) return citedTextBlocks(text, annotations, documents);
  const out: Json[] = [];
  let from = 0;
  const piece = (to: number) =>
    citedTextBlocks(
      text.slice(from, to),
      citationsWithin(annotations, from, to),
      documentsWithin(documents, from, to),
    );
  for (const s of [...server].sort((a, b) => a.at - b.at)) {
    const at = Math.max(from, Math.min(s.at, text.length));
    out.push(...piece(at));
    out.push(s.block);
    from = at;
  }
  out.push(...piece(text.length));
  return out;
}

/**
 * A server tool block as stream events at `index`: a tool use starts with an empty input that
 * one `input_json_delta` fills (as Anthropic streams it), a result starts whole.
 */
export function serverBlockEvents(block: Json, index: number): { type: string; payload: Json }[] {
  if (block.type !== 'server_tool_use')
    return [
      { type: 'content_block_start', payload: { index, content_block: block } },
      { type: 'content_block_stop', payload: { index } },
    ];
  return [
    { type: 'content_block_start', payload: { index, content_block: { ...block, input: {} } } },
    {
      type: 'content_block_delta',
      payload: {
        index,
        delta: { type: 'input_json_delta', partial_json: JSON.stringify(block.input ?? {}) },
      },
    },
    { type: 'content_block_stop', payload: { index } },
  ];
}
