// Files uploaded to the router as model input (`user_data`, `assistants`, `vision`), read back
// inline: a `file_id` that names one of the caller tenant's files becomes the file itself (a data
// URL) before routing, so whichever deployment is picked reads it. An id that is not one of the
// tenant's files (another tenant's, an expired or deleted one, one uploaded to a provider) is not
// the router's: the callers leave it as it is.
import type { Clock } from '../core/clock.js';
import type { BatchStore, StoredFile } from '../store/batch-store.js';
import { IMAGE_TYPES, detectMimeType } from './file-type.js';

/** The purposes of files a request may name as model input (OpenAI's CreateFileRequest). */
export const MODEL_INPUT_PURPOSES: ReadonlySet<string> = new Set([
  'user_data',
  'assistants',
  'vision',
]);

/** A router file, inline. */
export interface InlineFile {
  id: string;
  filename: string;
  mimeType: string;
  /** `data:<mimeType>;base64,…` */
  dataUrl: string;
  content: Buffer;
  /** The bytes as base64 (the data URL's tail). */
  base64: string;
  /** An image a vision model reads (IMAGE_TYPES): sent as an image, not a document. */
  image: boolean;
}

/** Whether a stored file is model input and not expired (expired is gone, swept or not). */
export function isModelInputFile(f: StoredFile, now: number): boolean {
  return MODEL_INPUT_PURPOSES.has(f.purpose) && (f.expiresAt === undefined || f.expiresAt > now);
}

/** The MIME type of a stored file (files from before the column: from their bytes and name). */
export function mimeTypeOf(f: StoredFile, content?: Buffer): string {
  return f.mimeType ?? detectMimeType(content ?? Buffer.alloc(0), f.filename);
}

export class RouterFiles {
  constructor(
    private readonly store: BatchStore,
    private readonly clock: Clock,
  ) {}

  /** The tenant's model-input file `id` inline, or undefined when it has none by that id. */
  async load(id: string, owner: string): Promise<InlineFile | undefined> {
    const f = await this.store.getFile(id, owner);
    if (!f || !isModelInputFile(f, this.clock.now())) return undefined;
    const content = await this.store.getFileContent(id, owner);
    if (!content) return undefined;
    const mimeType = mimeTypeOf(f, content);
    const base64 = content.toString('base64');
    return {
      id,
      filename: f.filename,
      mimeType,
      dataUrl: `data:${mimeType};base64,${base64}`,
      content,
      base64,
      image: IMAGE_TYPES.has(mimeType),
    };
  }

  /**
   * Each of `ids` that is the tenant's, loaded once however often it is named. A request names
   * few files: they are read one after another.
   */
  async loadAll(ids: Iterable<string>, owner: string): Promise<Map<string, InlineFile>> {
    const found = new Map<string, InlineFile>();
    for (const id of new Set(ids)) {
      const f = await this.load(id, owner);
      if (f) found.set(id, f);
    }
    return found;
  }
}
