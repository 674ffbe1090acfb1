// Chat Completions chunks from the SSE parser's messages (parseSse's `map`): `[DONE]` ends the
// stream, upstream errors in the stream become GatewayErrors, and plain deltas may pass through
// unparsed (`RAW_JSON`). Shared by every OpenAI-format adapter.
import { GatewayError } from '../core/errors.js';
import { hasQuoted } from '../core/has-quoted.js';
import { NO_CHOICES, RAW_JSON, type ChatChunk, type PassThroughChunk } from '../core/wire-types.js';
import type { SseMessage } from './sse-parser.js';

/** `data: [DONE]`, the end of a Chat Completions stream. */
export const isDoneMessage = (m: SseMessage): boolean => m.data === '[DONE]';

/**
 * A mapper (for `parseSse`'s `map`) from SSE messages to Chat Completions chunks: `[DONE]` ends
 * the stream (later messages are skipped); an `{"error":…}` payload or an `event: error` becomes a
 * GatewayError thrown mid-stream; malformed JSON is an error too. With `defaultModel`, chunks are
 * also normalised in the same pass: a missing `choices` becomes `[]`, a missing `model` the
 * deployment's, and Azure's first chunk `{"id":"","choices":[],"prompt_filter_results":[…]}`
 * (CONTRACTS.md §1.5) is merged into the next real chunk instead of being forwarded with an empty id.
 *
 * With `passThrough`, a chunk after the first that is a plain delta (it names its `model`, has
 * choices, and carries no usage, error or filter results: nothing the gateway reads or changes) is
 * not parsed: it is handed over as its text (`RAW_JSON`), which saves a parse and a re-encode per
 * chunk. The tests are on the text and err towards parsing: in JSON, `"usage"` followed by `:` can
 * only be a key (inside a string a quote is escaped), so a delta whose text merely mentions usage
 * is parsed, never passed through by mistake.
 */
export function chatChunkReader(
  opts: { defaultModel?: string; passThrough?: boolean } = {},
): ChatChunkReader {
  const normalise = opts.defaultModel !== undefined;
  const passThrough = opts.passThrough === true;
  let pendingFilter: unknown[] | undefined;
  let yielded = false;
  let done = false;
  let finished = false;
  let lastPlain: string | undefined;
  const read = (m: SseMessage): ChatChunk | undefined => {
    if (done) return undefined;
    const data = m.data;
    if (data === '[DONE]') {
      done = true;
      return undefined;
    }
    if (passThrough && yielded && m.event === undefined && isPlainDelta(data)) {
      // Read only if the stream ends without [DONE]: the finish chunk is the last plain delta.
      lastPlain = data;
      return { choices: NO_CHOICES, [RAW_JSON]: data } as PassThroughChunk;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(data);
    } catch {
      throw new GatewayError({
        status: 502,
        type: 'server_error',
        code: 'upstream_malformed_chunk',
        message: `The upstream sent a malformed stream chunk: ${data.slice(0, 200)}`,
        retryable: true,
      });
    }
    const err = (parsed as { error?: unknown }).error;
    if (m.event === 'error' || (err !== undefined && err !== null))
      throw streamError(err ?? parsed);
    const chunk = parsed as ChatChunk;
    if (!finished && Array.isArray(chunk.choices))
      finished = chunk.choices.some((c) => c?.finish_reason != null);
    if (normalise) {
      if (!Array.isArray(chunk.choices)) (chunk as { choices: unknown[] }).choices = [];
      if (!chunk.id && chunk.choices.length === 0 && chunk.prompt_filter_results && !chunk.usage) {
        pendingFilter = chunk.prompt_filter_results;
        return undefined;
      }
      if (!chunk.model) chunk.model = opts.defaultModel!;
      if (pendingFilter) {
        chunk.prompt_filter_results = pendingFilter;
        pendingFilter = undefined;
      }
    }
    yielded = true;
    return chunk;
  };
  return Object.assign(read, {
    finished: () => done || finished || (lastPlain !== undefined && FINISHED.test(lastPlain)),
  });
}

/**
 * A chunk mapper that also tells whether the answer was finished: `finished()` is true once
 * `data: [DONE]` was read, or a choice's `finish_reason` (in a parsed chunk, or in the last one
 * passed through unparsed), so a body that ends before either (a closed connection) is not taken
 * for a whole answer.
 */
export type ChatChunkReader = ((m: SseMessage) => ChatChunk | undefined) & {
  finished(): boolean;
};

/**
 * A finish reason given (not `null`), in a chunk's text: in JSON a quote before a key is never
 * escaped, and inside a string it always is, so text that quotes one does not match.
 */
const FINISHED = /"finish_reason"\s*:\s*"/;

function isPlainDelta(data: string): boolean {
  return (
    hasQuoted(data, 'choices":[{') &&
    hasQuoted(data, 'model":"') &&
    !hasQuoted(data, 'usage"') &&
    !hasQuoted(data, 'error"') &&
    !hasQuoted(data, 'prompt_filter_results"')
  );
}

function streamError(err: unknown): GatewayError {
  const e = (typeof err === 'object' && err ? err : { message: String(err) }) as {
    message?: unknown;
    code?: unknown;
    type?: unknown;
  };
  return new GatewayError({
    status: 502,
    type: typeof e.type === 'string' ? e.type : 'server_error',
    code: e.code === undefined || e.code === null ? 'upstream_stream_error' : String(e.code),
    message: `The upstream sent an error in its stream: ${typeof e.message === 'string' ? e.message : JSON.stringify(err).slice(0, 300)}`,
    retryable: true,
  });
}
