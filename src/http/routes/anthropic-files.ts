// Anthropic's Files API shapes on the router's `/v1/files` (an Anthropic client sends
// `anthropic-version`; its SDK's `client.beta.files` adds `?beta=true`): the file metadata
// (`type: "file"`, RFC 3339 times), the page of a list (`data`, `has_more`, `first_id`, `last_id`,
// and the SDK's cursor `next_page`), and `expires_in_seconds` (one hour to 90 days). Types:
// @anthropic-ai/sdk resources/beta/files.d.ts.
import type { FastifyRequest } from 'fastify';
import { invalidRequest } from '../../core/errors.js';
import type { BatchStore, StoredFile } from '../../store/batch-store.js';
import { filteredPage, filteredPageBefore } from '../../store/filtered-page.js';
import { mimeTypeOf } from '../../files/router-files.js';

const MIN_EXPIRY_S = 3_600;
const MAX_EXPIRY_S = 7_776_000;

/** An Anthropic client: its SDK always sends `anthropic-version` (as models-routes.ts decides). */
export const fromAnthropic = (request: Pick<FastifyRequest, 'headers'>) =>
  request.headers['anthropic-version'] !== undefined;

/** BetaFileMetadata. The router serves every file's bytes, so each is `downloadable`. */
export function anthropicFileObject(f: StoredFile): Record<string, unknown> {
  return {
    type: 'file',
    id: f.id,
    filename: f.filename,
    mime_type: mimeTypeOf(f),
    size_bytes: f.bytes,
    created_at: new Date(f.createdAt).toISOString(),
    expires_at: f.expiresAt === undefined ? null : new Date(f.expiresAt).toISOString(),
    downloadable: true,
  };
}

/** `expires_in_seconds` of an upload, as seconds; undefined when absent. */
export function anthropicExpiry(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const s = Number(value);
  if (!Number.isInteger(s) || s < MIN_EXPIRY_S || s > MAX_EXPIRY_S)
    throw invalidRequest(
      `expires_in_seconds: must be a whole number from ${MIN_EXPIRY_S} (one hour) to ${MAX_EXPIRY_S} (90 days).`,
      'expires_in_seconds',
    );
  return s;
}

/**
 * One page of the tenant's files that `keep` passes, newest first: `limit` (1–1000, 20 by
 * default), after `after_id` (or the SDK's `page` cursor) or before `before_id`.
 */
export async function anthropicFilePage(
  store: BatchStore,
  owner: string,
  query: Record<string, string | undefined>,
  keep: (f: StoredFile) => boolean,
): Promise<Record<string, unknown>> {
  const limit = query.limit === undefined ? 20 : Number(query.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
    throw invalidRequest('limit: Input should be an integer from 1 to 1000', 'limit');
  const read = (after: string | undefined, n: number) =>
    store.listFiles({ owner, limit: n, order: 'desc', ...(after ? { after } : {}) });
  let rows: StoredFile[];
  let more: boolean;
  if (query.before_id) {
    ({ rows, more } = await filteredPageBefore(read, keep, query.before_id, limit));
  } else {
    const after = query.after_id || query.page || undefined;
    const page = await filteredPage(read, keep, after, limit + 1);
    rows = page.slice(0, limit);
    more = page.length > limit;
  }
  const lastId = rows.at(-1)?.id ?? null;
  return {
    data: rows.map(anthropicFileObject),
    has_more: more,
    first_id: rows[0]?.id ?? null,
    last_id: lastId,
    // The SDK's PageCursor follows `next_page` (sent back as `page`); none when paging backwards.
    next_page: more && !query.before_id ? lastId : null,
  };
}
