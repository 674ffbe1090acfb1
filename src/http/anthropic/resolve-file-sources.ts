// Anthropic content blocks that name an uploaded file (`{type:"document"|"image", source:{type:
// "file", file_id}}`, Anthropic's Files API shape) made inline before the request is converted: a
// PDF as a base64 document, text as a plain-text document, an image as a base64 image block. The
// file must be one of the caller tenant's router files: a file uploaded to Anthropic itself cannot
// be read by whichever provider the router picks, so any other id is a 404 (not_found_error).
import { invalidRequest, notFound } from '../../core/errors.js';
import { isTextType } from '../../files/file-type.js';
import type { InlineFile, RouterFiles } from '../../files/router-files.js';

type Block = Record<string, unknown>;

function blockFileId(b: Block | null | undefined): string | undefined {
  if (b?.type !== 'document' && b?.type !== 'image') return undefined;
  const source = b.source as { type?: unknown; file_id?: unknown } | undefined;
  return source?.type === 'file' && typeof source.file_id === 'string' ? source.file_id : undefined;
}

/** Calls `visit` on each block of each message, and on each block of a tool_result's content. */
function eachBlock(messages: unknown, visit: (b: Block, path: string) => void): void {
  if (!Array.isArray(messages)) return;
  messages.forEach((m: { content?: unknown } | null, i) => {
    if (!Array.isArray(m?.content)) return;
    (m.content as Block[]).forEach((b, j) => {
      visit(b, `messages.${i}.content.${j}`);
      if (b?.type === 'tool_result' && Array.isArray(b.content))
        (b.content as Block[]).forEach((c, k) =>
          visit(c, `messages.${i}.content.${j}.content.${k}`),
        );
    });
  });
}

/** The block naming `f`, inline. */
function inlineBlock(b: Block, f: InlineFile, path: string): Block {
  const { source: _source, ...rest } = b;
  if (f.image) {
    const { title: _t, context: _c, citations: _ci, ...imageRest } = rest;
    return {
      ...imageRest,
      type: 'image',
      source: { type: 'base64', media_type: f.mimeType, data: f.base64 },
    };
  }
  if (b.type === 'image')
    throw invalidRequest(
      `${path}: file ${f.id} is ${f.mimeType}, not an image; send it in a document block.`,
      `${path}.source.file_id`,
    );
  const title = typeof b.title === 'string' && b.title ? b.title : f.filename;
  if (isTextType(f.mimeType))
    return {
      ...rest,
      title,
      source: { type: 'text', media_type: 'text/plain', data: f.content.toString('utf8') },
    };
  return { ...rest, title, source: { type: 'base64', media_type: f.mimeType, data: f.base64 } };
}

/** The file ids a Messages body's blocks name; undefined for none (the hot path: no allocation). */
export function messagesFileIds(body: unknown): string[] | undefined {
  let ids: string[] | undefined;
  eachBlock((body as { messages?: unknown } | null)?.messages, (b) => {
    const id = blockFileId(b);
    if (id) (ids ??= []).push(id);
  });
  return ids;
}

/**
 * A Messages body with each file source inline; the body itself when it names no file. A file
 * that is not `owner`'s is a 404.
 */
export async function resolveFileSources(
  body: unknown,
  owner: string,
  files: RouterFiles | undefined,
): Promise<unknown> {
  const ids = messagesFileIds(body);
  if (!ids) return body;
  const messages = (body as { messages: unknown[] }).messages;
  const found = files ? await files.loadAll(ids, owner) : new Map<string, InlineFile>();
  const out = structuredClone(messages) as unknown[];
  const replace = (list: Block[], index: number, path: string) => {
    const id = blockFileId(list[index]);
    if (id === undefined) return;
    const f = found.get(id);
    if (!f)
      throw notFound(
        `${path}: file not found: ${id} (a file named in a message must be uploaded to this router, POST /v1/files).`,
        'file_not_found',
        `${path}.source.file_id`,
      );
    list[index] = inlineBlock(list[index]!, f, path);
  };
  out.forEach((m, i) => {
    const content = (m as { content?: unknown } | null)?.content;
    if (!Array.isArray(content)) return;
    (content as Block[]).forEach((b, j) => {
      replace(content as Block[], j, `messages.${i}.content.${j}`);
      if (b?.type === 'tool_result' && Array.isArray(b.content))
        (b.content as Block[]).forEach((_c, k) =>
          replace(b.content as Block[], k, `messages.${i}.content.${j}.content.${k}`),
        );
    });
  });
  return { ...(body as object), messages: out };
}
