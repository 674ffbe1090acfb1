// Claude's citations of an Anthropic client's documents (Anthropic docs: build-with-claude/
// citations; anthropic_openapi_curated.yaml `CitationCharLocation`, `CitationPageLocation`,
// `CitationContentBlockLocation`, `CitationsBlockDelta`). Chat's `annotations` hold web pages
// only, so they ride in the message's (and a stream delta's) DOCUMENT_CITATIONS_FIELD, as Claude
// sent them, for a request whose documents asked for them: only the Messages bridge makes such a
// request (a document's block rides on its part, ANTHROPIC_DOCUMENT), and its client gets them.
import { isObject } from '../../core/is-object.js';
import {
  ANTHROPIC_DOCUMENT,
  type AnthropicDocument,
  type ChatRequest,
} from '../../core/wire-types.js';

type Json = Record<string, unknown>;

/** Whether a document of the request (an Anthropic client's) asks for citations. */
export function asksDocumentCitations(body: ChatRequest): boolean {
  const asks = (p: unknown): boolean => {
    const doc = isObject(p)
      ? (p as { [ANTHROPIC_DOCUMENT]?: AnthropicDocument })[ANTHROPIC_DOCUMENT]
      : undefined;
    const citations = doc?.block.citations;
    return isObject(citations) && citations.enabled === true;
  };
  return (body.messages ?? []).some((m) => Array.isArray(m.content) && m.content.some(asks));
}

/**
 * A text block's citations of documents: all but its web pages (`web_search_result_location`,
 * which go as `url_citation` annotations), as Claude sent them.
 */
export function documentCitationsOf(citations: unknown): Json[] {
  if (!Array.isArray(citations)) return [];
  return citations.filter(
    (c): c is Json =>
      isObject(c) && typeof c.type === 'string' && c.type !== 'web_search_result_location',
  );
}
