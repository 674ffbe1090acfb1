// Chat Completions parts that name a router file (`{type:"file", file:{file_id}}`, or an
// `image_url` with a `file_id`) made inline before routing: a document as `file_data` (a data URL)
// with its `filename`, an image as an `image_url` data URL. Every provider that reads files or
// images then gets it (Claude as a document or image block), and eligibility judges it as inline.
// Ids that are not the tenant's router files stay as they are (a file uploaded to OpenAI/Azure).
import type { ChatRequest } from '../core/wire-types.js';
import type { InlineFile, RouterFiles } from './router-files.js';

type Part = Record<string, unknown> & { type?: unknown };

/** The id a part names, if it names one. */
function partFileId(p: Part | null | undefined): string | undefined {
  if (p?.type === 'file') {
    const id = (p.file as { file_id?: unknown } | undefined)?.file_id;
    return typeof id === 'string' && id ? id : undefined;
  }
  if (p?.type === 'image_url') {
    const id = (p.image_url as { file_id?: unknown } | undefined)?.file_id;
    return typeof id === 'string' && id ? id : undefined;
  }
  return undefined;
}

/**
 * The file ids a request's parts name; undefined for a request with none. One pass over the
 * messages that allocates nothing unless a part names a file (the hot path).
 */
export function chatFileIds(request: ChatRequest): string[] | undefined {
  let ids: string[] | undefined;
  const messages = request.messages as unknown;
  if (!Array.isArray(messages)) return undefined;
  for (const m of messages as { content?: unknown }[]) {
    const content = m?.content;
    if (!Array.isArray(content)) continue;
    for (const p of content as Part[]) {
      const id = partFileId(p);
      if (id) (ids ??= []).push(id);
    }
  }
  return ids;
}

/** A part naming `f`, inline: an image as `image_url`, anything else as a `file` part. */
function inlinePart(p: Part, f: InlineFile): Part {
  const { file: _file, image_url: imageUrl, ...rest } = p;
  if (f.image) {
    const detail = (imageUrl as { detail?: unknown } | undefined)?.detail;
    return {
      ...rest,
      type: 'image_url',
      image_url: { url: f.dataUrl, ...(detail !== undefined ? { detail } : {}) },
    };
  }
  return { ...rest, type: 'file', file: { file_data: f.dataUrl, filename: f.filename } };
}

/**
 * The request with each part that names one of `owner`'s router files inline; the request itself
 * when it names none of them.
 */
export async function resolveChatFiles(
  request: ChatRequest,
  owner: string,
  files: RouterFiles,
): Promise<ChatRequest> {
  const ids = chatFileIds(request);
  if (!ids) return request;
  const found = await files.loadAll(ids, owner);
  if (found.size === 0) return request;
  const messages = request.messages.map((m) => {
    const content = (m as { content?: unknown }).content;
    if (!Array.isArray(content)) return m;
    let changed = false;
    const parts = (content as Part[]).map((p) => {
      const id = partFileId(p);
      const f = id === undefined ? undefined : found.get(id);
      if (!f) return p;
      changed = true;
      return inlinePart(p, f);
    });
    return changed ? ({ ...m, content: parts } as unknown as typeof m) : m;
  });
  return { ...request, messages };
}
