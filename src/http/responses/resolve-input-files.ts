// Responses input parts that name a router file (`input_file` or `input_image` with a `file_id`)
// made inline before the request is bridged or sent on natively: a document as `input_file` with
// `file_data` (a data URL) and `filename`, an image as `input_image` with a data URL. Ids that are
// not the tenant's router files stay as they are (a file uploaded to OpenAI/Azure).
import type { InlineFile, RouterFiles } from '../../files/router-files.js';

type Part = Record<string, unknown>;

function partFileId(p: Part | null | undefined): string | undefined {
  if (p?.type !== 'input_file' && p?.type !== 'input_image') return undefined;
  return typeof p.file_id === 'string' && p.file_id ? p.file_id : undefined;
}

/** The parts of an input item that may name files: a message's content, a tool output's output. */
function partsOf(item: unknown): Part[] | undefined {
  if (!item || typeof item !== 'object') return undefined;
  const i = item as Record<string, unknown>;
  if (Array.isArray(i.content)) return i.content as Part[];
  if (Array.isArray(i.output)) return i.output as Part[];
  return undefined;
}

/** The file ids `input` names; undefined for none (no allocation: the hot path). */
export function inputFileIds(input: unknown): string[] | undefined {
  if (!Array.isArray(input)) return undefined;
  let ids: string[] | undefined;
  for (const item of input) {
    const parts = partsOf(item);
    if (!parts) continue;
    for (const p of parts) {
      const id = partFileId(p);
      if (id) (ids ??= []).push(id);
    }
  }
  return ids;
}

function inlinePart(p: Part, f: InlineFile): Part {
  const { file_id: _id, file_data: _data, image_url: _url, filename: _name, ...rest } = p;
  if (f.image)
    return {
      ...rest,
      type: 'input_image',
      image_url: f.dataUrl,
      detail: typeof p.detail === 'string' ? p.detail : 'auto',
    };
  const { detail: _detail, ...fileRest } = rest;
  return { ...fileRest, type: 'input_file', file_data: f.dataUrl, filename: f.filename };
}

/**
 * A Responses body with each part of its `input` that names one of `owner`'s router files inline;
 * the body itself when it names none.
 */
export async function resolveInputFiles<T>(body: T, owner: string, files: RouterFiles): Promise<T> {
  if (!body || typeof body !== 'object') return body;
  const input = (body as { input?: unknown }).input;
  const ids = inputFileIds(input);
  if (!ids) return body;
  const found = await files.loadAll(ids, owner);
  if (found.size === 0) return body;
  const resolved = (input as unknown[]).map((item) => {
    const parts = partsOf(item);
    if (!parts) return item;
    let changed = false;
    const next = parts.map((p) => {
      const id = partFileId(p);
      const f = id === undefined ? undefined : found.get(id);
      if (!f) return p;
      changed = true;
      return inlinePart(p, f);
    });
    if (!changed) return item;
    const key = Array.isArray((item as Part).content) ? 'content' : 'output';
    return { ...(item as Part), [key]: next };
  });
  return { ...body, input: resolved };
}

/** The body with the router files its input names inline; as it is (no await) when it names none. */
export function withInputFiles<T>(
  body: T,
  owner: string,
  files: RouterFiles | undefined,
): T | Promise<T> {
  return files && inputFileIds((body as { input?: unknown } | null)?.input)
    ? resolveInputFiles(body, owner, files)
    : body;
}
