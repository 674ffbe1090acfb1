// A batch's input file, read line by line: `{custom_id, method: "POST", url, body}` per line, as
// OpenAI's Batch API takes it. A file with any bad line fails the whole batch before a single
// request is sent (OpenAI's `validating` step), with every problem listed by line (the first
// MAX_ERRORS), so the client fixes the file once.
import { isObject } from '../core/is-object.js';
import { MAX_JSON_DEPTH, jsonNestsDeeperThan, tooDeepMessage } from '../core/json-nesting.js';
import { sniffEncodedText } from '../core/text-encoding-sniff.js';
import type { BatchStore } from '../store/batch-store.js';

/**
 * The endpoints of OpenAI's `POST /v1/batches` (openapi.yaml CreateBatchRequest) the router runs,
 * each line on the route of the same path.
 */
export const OPENAI_BATCH_ENDPOINTS = [
  '/v1/chat/completions',
  '/v1/embeddings',
  '/v1/responses',
  '/v1/completions',
  '/v1/moderations',
  '/v1/images/generations',
] as const;

/**
 * Azure's Batch API writes its paths without `/v1`, and batches chat, embeddings, Responses and
 * completions only: Azure has no moderations API, and its Global Batch takes no image model.
 */
const AZURE_BATCH_ENDPOINTS = ['/chat/completions', '/embeddings', '/responses', '/completions'];

/** The endpoints `POST /v1/batches` takes (OpenAI's and Azure's spellings), and each one's route. */
export const BATCH_ENDPOINTS: Readonly<Record<string, string>> = Object.fromEntries([
  ...OPENAI_BATCH_ENDPOINTS.map((e) => [e, e]),
  ...AZURE_BATCH_ENDPOINTS.map((e) => [e, `/v1${e}`]),
]);

/** Endpoints OpenAI's Batch API takes that the router does not run, and why not. */
const NOT_RUN_ENDPOINTS: Readonly<Record<string, string>> = {
  '/v1/images/edits':
    'the router runs image edits one at a time (send each to /v1/images/edits, as a multipart form or as JSON)',
  '/v1/videos': 'the router serves no video models',
};

/** The 400's message for a batch `endpoint` the router does not run: why not, and which it runs. */
export function unrunEndpointMessage(endpoint: unknown): string {
  const runs = `The router runs batches on ${OPENAI_BATCH_ENDPOINTS.join(', ')} (and Azure's ${AZURE_BATCH_ENDPOINTS.join(', ')}).`;
  const why =
    typeof endpoint === 'string' && Object.hasOwn(NOT_RUN_ENDPOINTS, endpoint)
      ? NOT_RUN_ENDPOINTS[endpoint]
      : undefined;
  if (why) return `${endpoint as string} batches are not run by this router: ${why}. ${runs}`;
  return typeof endpoint === 'string'
    ? `endpoint "${endpoint.slice(0, 80)}" is not one this router runs a batch on. ${runs}`
    : `endpoint is required: the route every line of the batch is sent to. ${runs}`;
}

/** Anthropic's Message Batches run their lines on `/v1/messages`; only their own route creates
 * such a batch, so `POST /v1/batches` (which checks BATCH_ENDPOINTS) never takes this endpoint. */
export const MESSAGES_ENDPOINT = '/v1/messages';

/** Every endpoint the runner runs: OpenAI's (BATCH_ENDPOINTS) and Anthropic's Messages. */
export const RUN_ENDPOINTS: Readonly<Record<string, string>> = {
  ...BATCH_ENDPOINTS,
  [MESSAGES_ENDPOINT]: MESSAGES_ENDPOINT,
};

/**
 * The route an endpoint (or a line's `url`) names in `table`, else undefined. Own keys only:
 * `constructor` or `__proto__` are names on every object's prototype, not endpoints.
 */
export function endpointRoute(
  table: Readonly<Record<string, string>>,
  endpoint: unknown,
): string | undefined {
  return typeof endpoint === 'string' && Object.hasOwn(table, endpoint)
    ? table[endpoint]
    : undefined;
}

export interface BatchLine {
  customId: string;
  /** The route the line is sent to (`/v1/…`). */
  path: string;
  body: Record<string, unknown>;
}

/** A problem with the input, in the Batch object's `errors.data` shape. */
export interface BatchInputError {
  code: string;
  message: string;
  param: string | null;
  /** 1-based line number in the file. */
  line: number | null;
}

export const MAX_ERRORS = 100;
const MAX_CUSTOM_ID = 512;

/** How to convert the file (`iconv`, `gunzip`), when it is not UTF-8 text; undefined when it is. */
function notUtf8Message(content: Buffer, text: string): string | undefined {
  const sniffed = sniffEncodedText(content);
  if (sniffed?.kind === 'gzip')
    return 'The file is gzip-compressed: decompress it (gunzip) and upload the JSONL.';
  if (sniffed)
    return `The file is UTF-16 text${sniffed.marked ? '' : ` (${sniffed.order}, without a byte-order mark)`}, not UTF-8: convert it (iconv -f ${sniffed.marked ? 'UTF-16' : sniffed.iconv} -t UTF-8 input.jsonl > input-utf8.jsonl) and upload that.`;
  if (text.includes('\uFFFD') && !content.equals(Buffer.from(text, 'utf8')))
    return 'The file is not UTF-8 text: convert it (from Windows-1252 or Latin-1: iconv -f WINDOWS-1252 -t UTF-8 input.jsonl > input-utf8.jsonl) and upload that.';
  return undefined;
}

/**
 * The file's lines (blank lines skipped) or its problems. `endpoint` is the batch's: every line's
 * `url` must name the same route. `maxRequests` bounds the number of lines.
 */
export function parseBatchInput(
  content: Buffer,
  endpoint: string,
  maxRequests: number,
): { lines: BatchLine[] } | { errors: BatchInputError[] } {
  const path = endpointRoute(RUN_ENDPOINTS, endpoint);
  if (path === undefined)
    return {
      errors: [
        {
          code: 'invalid_endpoint',
          message: `The batch's endpoint "${endpoint.slice(0, 80)}" is not one a batch runs.`,
          param: 'endpoint',
          line: null,
        },
      ],
    };
  const errors: BatchInputError[] = [];
  const fail = (code: string, message: string, line: number | null, param: string | null = null) =>
    errors.length < MAX_ERRORS && errors.push({ code, message, param, line });
  const lines: BatchLine[] = [];
  const seen = new Set<string>();
  const text = content.toString('utf8');
  // UTF-16 without a byte-order mark is valid UTF-8 (a NUL after each ASCII byte): told apart
  // by its NULs, as training's loader tells it (core/text-encoding-sniff.ts).
  const notText = notUtf8Message(content, text);
  if (notText)
    return { errors: [{ code: 'invalid_file', message: notText, param: null, line: null }] };
  const rows = text.split('\n');
  let count = 0;
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!.trim();
    if (!row) continue;
    const n = i + 1;
    if (++count > maxRequests) {
      fail(
        'too_many_requests',
        `The file has more than ${maxRequests} requests; split it into several batches.`,
        n,
      );
      break;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(row);
    } catch {
      fail(
        'invalid_json_line',
        `Line ${n} is not valid JSON: each line must be one JSON object.`,
        n,
      );
      continue;
    }
    if (!isObject(parsed)) {
      fail('invalid_json_line', `Line ${n} is not a JSON object.`, n);
      continue;
    }
    // As a live request's body (json-body-parser.ts): what runs the line recurses into it.
    if (jsonNestsDeeperThan(row, MAX_JSON_DEPTH)) {
      fail('invalid_json_line', `Line ${n}: ${tooDeepMessage('line', 'request')}`, n);
      continue;
    }
    const customId = parsed.custom_id;
    if (typeof customId !== 'string' || !customId || customId.length > MAX_CUSTOM_ID) {
      fail(
        'invalid_custom_id',
        `Line ${n}: custom_id must be a non-empty string of at most ${MAX_CUSTOM_ID} characters.`,
        n,
        'custom_id',
      );
      continue;
    }
    if (seen.has(customId)) {
      fail(
        'duplicate_custom_id',
        `Line ${n}: custom_id "${customId.slice(0, 80)}" is used by an earlier line; each line needs its own.`,
        n,
        'custom_id',
      );
      continue;
    }
    seen.add(customId);
    if (parsed.method !== 'POST') {
      fail('invalid_method', `Line ${n}: method must be "POST".`, n, 'method');
      continue;
    }
    if (endpointRoute(RUN_ENDPOINTS, parsed.url) !== path) {
      fail(
        'mismatched_url',
        `Line ${n}: url must be the batch's endpoint, "${endpoint}".`,
        n,
        'url',
      );
      continue;
    }
    if (!isObject(parsed.body)) {
      fail(
        'invalid_body',
        `Line ${n}: body must be a JSON object (the request for ${endpoint}).`,
        n,
        'body',
      );
      continue;
    }
    if (parsed.body.stream === true) {
      fail(
        'invalid_body',
        `Line ${n}: a batch line cannot stream; remove "stream": true.`,
        n,
        'body.stream',
      );
      continue;
    }
    lines.push({ customId, path, body: parsed.body });
  }
  if (errors.length) return { errors };
  if (lines.length === 0)
    return {
      errors: [
        { code: 'empty_file', message: 'The file has no requests.', param: null, line: null },
      ],
    };
  return { lines };
}

/**
 * A batch's lines, read from its input file (the owner's, not expired), or the problems that fail
 * the batch. `maxRequests` applies to a batch being validated; one already running keeps its lines.
 */
export async function readBatchLines(
  store: BatchStore,
  owner: string,
  fileId: string,
  endpoint: string,
  maxRequests: number,
  now: number,
): Promise<{ lines: BatchLine[] } | { errors: BatchInputError[] }> {
  const file = await store.getFile(fileId, owner);
  const live = file && (file.expiresAt === undefined || file.expiresAt > now);
  const content = live ? await store.getFileContent(fileId, owner) : undefined;
  if (!content)
    return {
      errors: [
        {
          code: 'file_not_found',
          message: `The input file ${fileId} was deleted or expired before the batch ran.`,
          param: 'input_file_id',
          line: null,
        },
      ],
    };
  return parseBatchInput(content, endpoint, maxRequests);
}
