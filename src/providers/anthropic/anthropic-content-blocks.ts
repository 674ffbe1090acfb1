// A chat message's content as Claude's blocks (Anthropic docs: https://docs.claude.com/en/api/messages):
// text with the caching breakpoints the client set, images, inline files as documents, an
// Anthropic client's documents as it sent them, and an assistant turn's text with Claude's search
// blocks where they stood. The request around them is anthropic-convert.ts.
import { isTextType } from '../../files/file-type.js';
import { describeImageFault, partImageType } from '../../files/inline-image.js';
import { invalidRequest } from '../../core/errors.js';
import { isObject } from '../../core/is-object.js';
import {
  ANTHROPIC_DOCUMENT,
  WEB_SEARCH_TOOL_FIELD,
  type AnthropicDocument,
  type ChatMessage,
  type ChatRequest,
} from '../../core/wire-types.js';
import { serverBlocksOf } from '../../core/web-search.js';

type Json = Record<string, unknown>;

/** A message's text: a string, or its parts' texts joined by new lines. */
export function textContent(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content))
    return content
      .map((p) =>
        p && typeof p === 'object' && 'text' in p ? String((p as { text: unknown }).text) : '',
      )
      .join('\n');
  return '';
}

/**
 * An image part → Claude's image block. Inline, with the type its bytes are, not the one the data
 * URL declares: Claude refuses an image whose `media_type` is not its bytes' type, where OpenAI
 * reads the bytes (docs: "Vision"). Eligibility keeps an image Claude cannot read (rule
 * `image_type`) from Claude; this is the same check where a request reaches here another way.
 */
function imageBlock(part: unknown, url: string, at: string): Json {
  const image = partImageType(part, at);
  if (image && 'param' in image)
    throw invalidRequest(`${describeImageFault(image)}.`, image.param, 'invalid_image_format');
  if (image)
    return {
      type: 'image',
      source: { type: 'base64', media_type: image.type, data: url.slice(url.indexOf(',') + 1) },
    };
  return { type: 'image', source: { type: 'url', url } };
}

/**
 * An inline file (OpenAI's `file` part: `file_data` a data URL, or bare base64 of a PDF) → Claude's
 * `document` block: a PDF as base64, text (`text/*`, JSON) as a plain-text document, an image as
 * an image block (https://docs.claude.com/en/docs/build-with-claude/pdf-support). A `file_id`
 * names a file uploaded to OpenAI or Azure, which Claude cannot read (the router's own files are
 * inline by now): eligibility never sends one here, and this says so if it were.
 */
function documentBlock(
  part: unknown,
  file: { file_data?: string; file_id?: string; filename?: string },
  at: string,
): Json {
  if (typeof file.file_data !== 'string')
    throw invalidRequest(
      'A file part sent to Claude needs file_data (inline); a file_id names a file uploaded elsewhere.',
      'messages',
    );
  const m = /^data:([^;,]+);base64,(.*)$/s.exec(file.file_data);
  const mediaType = m ? m[1]! : 'application/pdf';
  const data = m ? m[2]! : file.file_data;
  if (mediaType.startsWith('image/')) return imageBlock(part, file.file_data, at);
  const title = file.filename ? { title: file.filename } : {};
  if (isTextType(mediaType))
    return {
      type: 'document',
      source: {
        type: 'text',
        media_type: 'text/plain',
        data: Buffer.from(data, 'base64').toString('utf8'),
      },
      ...title,
    };
  return { type: 'document', source: { type: 'base64', media_type: mediaType, data }, ...title };
}

/**
 * A part's or tool's prompt-caching breakpoint, as OpenAI-format clients mark it for Claude:
 * Anthropic's `cache_control`, or OpenAI's own `prompt_cache_breakpoint` (openai-node's content
 * parts; `@langchain/openai` 1.6 and the AI SDK send it), an ephemeral mark for Claude, kept an
 * hour where it asks for a lifetime (`30m` or `12h`: Claude keeps a mark 5 minutes or an hour).
 */
export function cacheMark(p: unknown): { cache_control?: unknown } {
  const mark = (p as { cache_control?: unknown } | null)?.cache_control;
  if (mark && typeof mark === 'object') return { cache_control: mark };
  const breakpoint = (p as { prompt_cache_breakpoint?: unknown } | null)?.prompt_cache_breakpoint;
  if (!isObject(breakpoint) || breakpoint.mode !== 'explicit') return {};
  return {
    cache_control: breakpoint.ttl ? { type: 'ephemeral', ttl: '1h' } : { type: 'ephemeral' },
  };
}

/** Whether any part of `content` marks a caching breakpoint. */
export function hasCacheMark(content: unknown): boolean {
  return Array.isArray(content) && content.some((p) => cacheMark(p).cache_control !== undefined);
}

/**
 * A part made from an Anthropic client's `document` block (ANTHROPIC_DOCUMENT) as that block, with
 * the part's breakpoint; undefined for any other part. Where the part's text is no longer what it
 * was made with (the content filter redacted it, a context cut shortened it), a plain-text
 * document of the part's text as it is now, so nothing taken out reaches Claude; a `file` part so
 * changed goes as any file part does.
 */
function clientDocument(p: unknown): Json | undefined {
  const doc = (p as { [ANTHROPIC_DOCUMENT]?: AnthropicDocument })[ANTHROPIC_DOCUMENT];
  if (!doc) return undefined;
  const part = p as { type?: string; text?: unknown; file?: { file_data?: unknown } };
  const now = part.type === 'text' ? part.text : part.file?.file_data;
  if (now === doc.madeFrom) return { ...doc.block, ...cacheMark(p) };
  if (part.type !== 'text' || typeof part.text !== 'string') return undefined;
  return {
    type: 'document',
    source: { type: 'text', media_type: 'text/plain', data: part.text },
    ...(doc.block.citations !== undefined ? { citations: doc.block.citations } : {}),
    ...cacheMark(p),
  };
}

/** A user (or system) turn's parts as Claude's blocks; `at` is its place, `messages[i]`. */
export function userBlocks(content: ChatMessage['content'], at: string): Json[] {
  if (typeof content === 'string') return content ? [{ type: 'text', text: content }] : [];
  if (!Array.isArray(content)) return [];
  return content.flatMap((p, j): Json[] => {
    const part = `${at}.content[${j}]`;
    const document = clientDocument(p);
    if (document) return [document];
    if (p.type === 'text') return [{ type: 'text', text: p.text, ...cacheMark(p) }];
    if (p.type === 'image_url')
      return [{ ...imageBlock(p, p.image_url.url, part), ...cacheMark(p) }];
    if (p.type === 'file') return [{ ...documentBlock(p, p.file, part), ...cacheMark(p) }];
    return [];
  });
}

/**
 * An assistant turn's text as Claude's text blocks: a string is one block; text parts are one
 * block each, with the caching breakpoint the client set on it. Empty text, which Anthropic
 * refuses, is left out.
 */
export function assistantTextBlocks(content: ChatMessage['content']): Json[] {
  if (typeof content === 'string') return content ? [{ type: 'text', text: content }] : [];
  if (!Array.isArray(content)) return [];
  return content.flatMap((p): Json[] =>
    p.type === 'text' && p.text ? [{ type: 'text', text: p.text, ...cacheMark(p) }] : [],
  );
}

/**
 * An assistant turn's text blocks with Claude's search blocks of that turn where they stood
 * (SERVER_BLOCKS_FIELD, each after `at` characters of the text), for a request that has the web
 * search tool (Anthropic's multi-turn search: the results are the cited text's context).
 */
export function withServerBlocks(texts: Json[], m: ChatMessage, body: ChatRequest): Json[] {
  if (!isObject(body[WEB_SEARCH_TOOL_FIELD])) return texts;
  const pending = serverBlocksOf(m);
  if (pending.length === 0) return texts;
  const out: Json[] = [];
  let chars = 0;
  for (const t of texts) {
    while (pending.length && pending[0]!.at <= chars) out.push(pending.shift()!.block);
    out.push(t);
    chars += String(t.text ?? '').length;
  }
  for (const s of pending) out.push(s.block);
  return out;
}
