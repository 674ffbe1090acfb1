// Text of a chat request as one string, for token counting, filters and logs. Images and audio
// parts contribute nothing (routing is on text only).
import type { ChatRequest, EmbeddingsRequest } from './wire-types.js';

type CountTokens = (text: string) => number;
let tokenizer: CountTokens | undefined;
let loading: Promise<CountTokens> | undefined;

/**
 * The BPE tokenizer (o200k) costs ≈70 MB of memory and ≈380 ms to import, so it loads only when
 * an exact count is needed: at start-up for a simulated fleet (src/runtime.ts), else on first use
 * (a prompt near a context window, `/v1/messages/count_tokens`). TPM limits are charged an
 * estimate and settled with the upstream's usage, so they need none.
 */
export async function loadTokenizer(): Promise<CountTokens> {
  if (tokenizer) return tokenizer;
  loading ??= import('gpt-tokenizer').then((m) => (tokenizer = countInPieces(m.countTokens)));
  return loading;
}

/** The longest run of letters, of punctuation or of whitespace tokenized in one piece. */
export const MAX_PIECE_CHARS = 256;
/** Such runs, each matched from its start (linear: never retried from inside a run). */
const LONG_RUNS = new RegExp(
  [
    `(?<![\\p{L}\\p{M}])[\\p{L}\\p{M}]{${MAX_PIECE_CHARS + 1},}`,
    `(?<![^\\s\\p{L}\\p{N}])[^\\s\\p{L}\\p{N}]{${MAX_PIECE_CHARS + 1},}`,
    `(?<!\\s)\\s{${MAX_PIECE_CHARS + 1},}`,
  ].join('|'),
  'gu',
);

/**
 * gpt-tokenizer merges each pre-token's byte pairs in quadratic time: one run of 20,000 CJK
 * characters (or letters, or spaces) took ~3 s, and a 4 MB one, which any client can send to
 * `/v1/messages/count_tokens`, would hold the event loop for hours. Runs longer than
 * MAX_PIECE_CHARS are counted in pieces of that length (a token more per piece at most, on text
 * that is no prose: base64, a long URL, padding); everything else is counted as it is.
 */
export function countInPieces(count: CountTokens): CountTokens {
  return (text) => {
    if (text.length <= MAX_PIECE_CHARS) return count(text);
    let tokens = 0;
    let from = 0;
    for (const run of text.matchAll(LONG_RUNS)) {
      tokens += count(text.slice(from, run.index));
      for (let i = 0; i < run[0].length; i += MAX_PIECE_CHARS)
        tokens += count(run[0].slice(i, i + MAX_PIECE_CHARS));
      from = run.index + run[0].length;
    }
    return tokens + (from === 0 ? count(text) : count(text.slice(from)));
  };
}

/** Whether the tokenizer has been loaded in this process (start-up warm-up, or first use). */
export function tokenizerLoaded(): boolean {
  return tokenizer !== undefined;
}

type ContentPart = { type?: unknown; text?: unknown };

/** Every text a chat request carries, in order: message contents, text parts, tool-call arguments. */
function forEachText(request: ChatRequest, visit: (text: string) => void): void {
  for (const message of request.messages) {
    const content = (message as { content?: unknown }).content;
    if (typeof content === 'string') visit(content);
    else if (Array.isArray(content)) {
      for (const part of content as ContentPart[])
        if (part && typeof part.text === 'string') visit(part.text);
    }
    const toolCalls = (
      message as {
        tool_calls?: { function?: { arguments?: unknown }; custom?: { input?: unknown } }[];
      }
    ).tool_calls;
    if (Array.isArray(toolCalls)) {
      for (const call of toolCalls) {
        if (typeof call?.function?.arguments === 'string') visit(call.function.arguments);
        if (typeof call?.custom?.input === 'string') visit(call.custom.input);
      }
    }
  }
}

/** Concatenated text of every message (all roles, all turns), tool definitions excluded. */
export function collectPromptText(request: ChatRequest): string {
  let out = '';
  forEachText(request, (text) => (out += text + '\n'));
  return out;
}

/** Per-message overhead OpenAI's chat format adds (≈3 tokens a message, 3 for the reply primer). */
const TOKENS_PER_MESSAGE = 3;

/**
 * Counts of message texts already tokenized, per caller scope: a conversation resends its whole
 * history every turn (an agent's can be 100k tokens, ≈7 ms to tokenize), so each turn only
 * tokenizes what is new. Only texts of COUNT_CACHE_MIN_CHARS or more are kept, at most
 * COUNT_CACHE_CHARS characters in all (the least recently used go first); scoped by the caller so
 * no one can time whether another tenant sent a text.
 */
const COUNT_CACHE_MIN_CHARS = 256;
const COUNT_CACHE_CHARS = 4_000_000;
const countCache = new Map<string, Map<string, number>>();
let countCacheChars = 0;

function countCached(count: CountTokens, text: string, scope: string): number {
  if (text.length < COUNT_CACHE_MIN_CHARS) return count(text);
  let byText = countCache.get(scope);
  const hit = byText?.get(text);
  if (hit !== undefined) {
    // Most recently used last: delete and re-insert (Maps keep insertion order).
    countCache.delete(scope);
    countCache.set(scope, byText!);
    byText!.delete(text);
    byText!.set(text, hit);
    return hit;
  }
  const n = count(text);
  if (text.length > COUNT_CACHE_CHARS / 4) return n;
  if (byText)
    countCache.delete(scope); // re-inserted below: most recently used last
  else byText = new Map();
  countCache.set(scope, byText);
  byText.set(text, n);
  countCacheChars += text.length;
  // Evict the least recently used texts of the least recently used scopes.
  for (const [key, texts] of countCache) {
    for (const old of texts.keys()) {
      if (countCacheChars <= COUNT_CACHE_CHARS) return n;
      texts.delete(old);
      countCacheChars -= old.length;
    }
    if (texts.size === 0) countCache.delete(key);
  }
  return n;
}

/** What the count cache holds (texts and their characters), for tests and diagnostics. */
export function countCacheSize(): { texts: number; chars: number } {
  let texts = 0;
  for (const byText of countCache.values()) texts += byText.size;
  return { texts, chars: countCacheChars };
}

/**
 * Prompt tokens with a real BPE tokenizer (o200k): each message's text as the chat format frames
 * it (a text part, a tool call's arguments), the per-message overhead, and tool schemas. `scope`
 * (the caller's key) keeps the per-text count cache apart between callers.
 */
export async function countPromptTokens(request: ChatRequest, scope = ''): Promise<number> {
  const count = tokenizer ?? (await loadTokenizer());
  let tokens = TOKENS_PER_MESSAGE * (request.messages.length + 1);
  forEachText(request, (text) => (tokens += countCached(count, text, scope)));
  const { json } = toolSchemas(request);
  if (json) tokens += countCached(count, json, scope);
  return tokens;
}

/**
 * An upper bound on prompt tokens without tokenizing: a BPE token is at least one UTF-8 byte.
 * When even this bound fits every limit, the exact count is not needed.
 */
export function promptTokenUpperBound(request: ChatRequest, text: string): number {
  const bytes = Buffer.byteLength(text, 'utf8') + toolSchemas(request).bytes;
  return bytes + TOKENS_PER_MESSAGE * (request.messages.length + 1);
}

/**
 * A request's tool definitions as JSON and its size, which every provider bills as prompt (an
 * agent's can outweigh its messages: Claude Code's two dozen tools are ≈12k tokens). Kept per
 * tools array, as the bound, the estimate and the exact count all read it for one request.
 */
interface ToolSchemas {
  json: string;
  chars: number;
  bytes: number;
}
const NO_TOOLS: ToolSchemas = { json: '', chars: 0, bytes: 0 };
const schemas = new WeakMap<object, ToolSchemas>();
function toolSchemas(request: ChatRequest): ToolSchemas {
  const tools = request.tools;
  if (!Array.isArray(tools) || tools.length === 0) return NO_TOOLS;
  let found = schemas.get(tools);
  if (!found) {
    const json = JSON.stringify(tools);
    found = { json, chars: json.length, bytes: Buffer.byteLength(json, 'utf8') };
    schemas.set(tools, found);
  }
  return found;
}

/**
 * A quick estimate (≈4 characters a token, message texts and tool definitions) for predictions
 * when no exact count was needed.
 */
export function estimatePromptTokens(request: ChatRequest, text: string): number {
  const chars = text.length + toolSchemas(request).chars;
  return Math.ceil(chars / 4) + TOKENS_PER_MESSAGE * (request.messages.length + 1);
}

/** The output the client asked room for (0 when it set no limit). */
export function requestedOutputTokens(request: ChatRequest): number {
  const v = request.max_completion_tokens ?? request.max_tokens;
  return typeof v === 'number' && v > 0 ? v : 0;
}

/** True when any message carries an image part. */
export function requestHasImages(request: ChatRequest): boolean {
  for (const message of request.messages) {
    const content = (message as { content?: unknown }).content;
    if (Array.isArray(content)) {
      for (const part of content as ContentPart[]) if (part?.type === 'image_url') return true;
    }
  }
  return false;
}

/**
 * The `file` content parts a request carries (PDFs and the like): `id` when one names a provider's
 * uploaded file (`file_id`, readable only where it was uploaded), else `data` (inline `file_data`),
 * `none` without any.
 */
export function requestFiles(request: ChatRequest): 'none' | 'data' | 'id' {
  let found: 'none' | 'data' | 'id' = 'none';
  for (const message of request.messages) {
    const content = (message as { content?: unknown }).content;
    if (!Array.isArray(content)) continue;
    for (const part of content as { type?: string; file?: { file_id?: unknown } }[]) {
      if (part?.type !== 'file') continue;
      if (typeof part.file?.file_id === 'string') return 'id';
      found = 'data';
    }
  }
  return found;
}

/** One embeddings input: a text or one array of token ids. */
export type EmbeddingItem = string | number[];

/** The inputs of a request, one item each (a string or a flat token array is one input). */
export function embeddingItems(input: EmbeddingsRequest['input']): EmbeddingItem[] {
  if (typeof input === 'string') return [input];
  if (!Array.isArray(input) || input.length === 0) return [];
  if (typeof input[0] === 'number') return [input as number[]];
  return input as EmbeddingItem[];
}

/** An input as text (token ids as their ids, one "word" each). */
export const embeddingText = (item: EmbeddingItem): string =>
  typeof item === 'string' ? item : item.join(' ');

/** An embeddings request's inputs as texts. */
export function embeddingInputs(input: EmbeddingsRequest['input']): string[] {
  return embeddingItems(input).map(embeddingText);
}
