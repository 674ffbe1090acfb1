// An Anthropic client's content blocks → chat content parts (the way in, messages-convert.ts):
// text with its caching breakpoint, images, tool results with their images, documents and search
// results, and documents and search results carried whole for Claude (ANTHROPIC_DOCUMENT).
import { invalidRequest } from '../../core/errors.js';
import { isObject } from '../../core/is-object.js';
import { isImageUrl, quoteUrl } from '../../core/image-url.js';
import { ANTHROPIC_DOCUMENT, CLIENT_PATH, type AnthropicDocument } from '../../core/wire-types.js';

type Json = Record<string, unknown>;

/** Text blocks (or a string) as one text, joined by new lines; other blocks add nothing. */
function textOf(blocks: unknown, path: string): string {
  if (typeof blocks === 'string') return blocks;
  if (!Array.isArray(blocks))
    throw invalidRequest(`${path} must be a string or an array of text blocks.`, path);
  return blocks
    .map((b) => (isObject(b) && b.type === 'text' ? String(b.text ?? '') : ''))
    .join('\n');
}

/**
 * A block's prompt-caching breakpoint (`cache_control`), carried on the chat part or tool it
 * becomes, as OpenAI-format gateways carry it, so an Anthropic deployment gets it back.
 */
export function cacheMark(block: Json): { cache_control?: unknown } {
  return isObject(block.cache_control) ? { cache_control: block.cache_control } : {};
}

/** Text blocks with a caching breakpoint stay blocks (chat text parts); others join as text. */
export function textOrParts(blocks: unknown, path: string): string | Json[] {
  if (Array.isArray(blocks) && blocks.some((b) => isObject(b) && isObject(b.cache_control)))
    return (blocks as Json[])
      .filter((b) => isObject(b) && b.type === 'text')
      .map((b) => ({ type: 'text', text: String(b.text ?? ''), ...cacheMark(b) }));
  return textOf(blocks, path);
}

/** An image block → a chat image part, which keeps the block's place for errors about it. */
export function imagePart(block: Json, path: string) {
  const src = block.source;
  if (isObject(src) && src.type === 'base64') {
    if (typeof src.media_type !== 'string' || typeof src.data !== 'string')
      throw invalidRequest(
        `${path}.source needs media_type (image/jpeg, image/png, image/gif or image/webp) and data (base64) as strings.`,
        `${path}.source`,
      );
    return {
      type: 'image_url' as const,
      image_url: { url: `data:${src.media_type};base64,${src.data}` },
      [CLIENT_PATH]: `${path}.source`,
    };
  }
  if (isObject(src) && src.type === 'url') {
    if (typeof src.url !== 'string' || !isImageUrl(src.url, false))
      throw invalidRequest(
        `${path}.source.url: must be an http(s) URL of the image (inline images go as {type: 'base64', media_type, data}); got ${quoteUrl(String(src.url))}.`,
        `${path}.source.url`,
      );
    return { type: 'image_url' as const, image_url: { url: src.url } };
  }
  throw invalidRequest(
    `${path}.source must be {type:'base64', media_type, data} or {type:'url', url}.`,
    `${path}.source`,
  );
}

/**
 * A tool_result's content: its text for the chat tool message, and its images and documents
 * (Claude Code's Read tool returns screenshots and PDFs so), which a chat tool message cannot
 * hold, as parts for the user message after the tool messages, each tool's under a line naming
 * its call (before, they were dropped without a word). An Anthropic deployment gets them back in
 * the same user turn, after the tool_result blocks.
 */
export function toolResultContent(b: Json, path: string): { text: string; media: unknown[] } {
  if (typeof b.content === 'string' || b.content === undefined)
    return { text: String(b.content ?? ''), media: [] };
  if (!Array.isArray(b.content))
    throw invalidRequest(`${path} must be a string or an array of content blocks.`, path);
  const texts: string[] = [];
  const media: unknown[] = [];
  (b.content as unknown[]).forEach((c, k) => {
    const cp = `${path}.${k}`;
    if (!isObject(c)) throw invalidRequest(`${cp}: a content block must be an object`, cp);
    if (c.type === 'text') texts.push(String(c.text ?? ''));
    else if (c.type === 'image') media.push(imagePart(c, cp));
    else if (c.type === 'document') {
      const part = documentPart(c, cp);
      if (part.type === 'text') texts.push(String(part.text));
      else media.push(part);
    }
    // A search tool's results (Anthropic's documented use of the block): parts after the tool
    // results, as images are, so Claude gets the blocks and can cite them.
    else if (c.type === 'search_result') media.push(searchResultPart(c, cp));
    else
      throw invalidRequest(
        `${cp}.type "${String(c.type)}" is not supported in a tool_result; use text, image, document or search_result blocks.`,
        `${cp}.type`,
      );
  });
  if (media.length)
    media.unshift({
      type: 'text',
      text: `Attached to the result of tool call ${String(b.tool_use_id)}:`,
    });
  return { text: texts.join('\n'), media };
}

/**
 * A document block: plain text (`source.type` "text") or text content blocks ("content") become
 * text with its title and context, which any provider reads; a base64 PDF becomes a chat `file`
 * part, which routing sends only where files are read (`capabilities.files`). Either part keeps
 * the block's breakpoint and carries the block itself (ANTHROPIC_DOCUMENT), so Claude gets the
 * document as the client sent it: a plain-text document with its title, context, citations and
 * `cache_control` (before, text documents reached Claude as text blocks without their breakpoint,
 * and `citations` were dropped everywhere: audit F3). URL sources are refused with what to send.
 */
export function documentPart(b: Json, bp: string): Json {
  const source = (b.source ?? {}) as Json;
  // The block for Claude, its media type filled in where the router takes it as the default.
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  const { cache_control, ...block } = b;
  const defaultType = source.type === 'base64' ? 'application/pdf' : 'text/plain';
  if ((source.type === 'base64' || source.type === 'text') && source.media_type === undefined)
    block.source = { ...source, media_type: defaultType };
  const carried = (madeFrom: string): { [ANTHROPIC_DOCUMENT]: AnthropicDocument } => ({
    [ANTHROPIC_DOCUMENT]: { block, madeFrom },
  });
  if (source.type === 'base64' && typeof source.data === 'string') {
    const mediaType = typeof source.media_type === 'string' ? source.media_type : defaultType;
    const fileData = `data:${mediaType};base64,${source.data}`;
    return {
      type: 'file',
      file: {
        file_data: fileData,
        ...(typeof b.title === 'string' && b.title ? { filename: b.title } : {}),
      },
      ...cacheMark(b),
      ...carried(fileData),
    };
  }
  let text: string;
  if (source.type === 'text' && typeof source.data === 'string') text = source.data;
  else if (
    source.type === 'content' &&
    (Array.isArray(source.content) || typeof source.content === 'string')
  )
    text = textOf(source.content, `${bp}.source.content`);
  else
    throw invalidRequest(
      `${bp}: document blocks with a ${String(source.type ?? 'missing')} source are not supported by this router (it may route to a provider that cannot fetch them): send the document inline (source.type "base64" or "text").`,
      `${bp}.source.type`,
    );
  const head = [b.title, b.context].filter((x): x is string => typeof x === 'string' && x !== '');
  const joined = [...head, text].join('\n\n');
  return { type: 'text', text: joined, ...cacheMark(b), ...carried(joined) };
}

/**
 * A search result block (`search_result`: Anthropic's citations for RAG, docs "Search results";
 * the SDK's `SearchResultBlockParam`): its title, source and text as one text part any model
 * reads, carrying the block (ANTHROPIC_DOCUMENT) so that Claude gets it as sent, with its
 * `citations` and breakpoint, and cites it (`search_result_location`) as it cites documents.
 * Before, a 400 "not supported" (hE sweep, 2026-12-07).
 */
export function searchResultPart(b: Json, bp: string): Json {
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  const { cache_control, ...block } = b;
  const text = [String(b.title), String(b.source), textOf(b.content, `${bp}.content`)].join('\n\n');
  return {
    type: 'text',
    text,
    ...cacheMark(b),
    [ANTHROPIC_DOCUMENT]: { block, madeFrom: text } satisfies AnthropicDocument,
  };
}
