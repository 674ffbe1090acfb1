// A Message Batch's results (Anthropic's `MessageBatchIndividualResponse`, one JSONL line per
// request: anthropic_openapi_curated.yaml `MessageBatchResult`), read from what the runner wrote in
// OpenAI's batch output format: the output file holds each succeeded line's `/v1/messages` reply;
// the error file holds the replies that failed and the lines that never ran (`batch_cancelled`,
// `batch_expired` become `canceled` and `expired`).
import { GatewayError } from '../../core/errors.js';
import { isObject } from '../../core/is-object.js';
import { anthropicErrorBody } from './anthropic-error-body.js';

type Json = Record<string, unknown>;

export type MessageBatchResult =
  | { type: 'succeeded'; message: unknown }
  | { type: 'errored'; error: unknown }
  | { type: 'canceled' }
  | { type: 'expired' };

export interface ResultTally {
  succeeded: number;
  errored: number;
  canceled: number;
  expired: number;
}

/** The runner's codes for a line that got no answer because the batch stopped (batch-runner.ts). */
const UNRUN: Readonly<Record<string, MessageBatchResult>> = {
  batch_cancelled: { type: 'canceled' },
  batch_expired: { type: 'expired' },
};

/** An Anthropic error envelope for a status and message (its type from the status). */
function errorFor(status: number, message: string): unknown {
  return anthropicErrorBody(new GatewayError({ status, type: '', message }));
}

/**
 * One output- or error-file line as Anthropic's result. A reply in Anthropic's envelope is kept
 * as the route sent it; anything else (a body that was not JSON, a line whose key was revoked)
 * becomes one, typed by its status.
 */
export function resultOf(line: Json): MessageBatchResult {
  const response = isObject(line.response) ? line.response : undefined;
  if (!response) {
    const error = isObject(line.error) ? line.error : {};
    const code = typeof error.code === 'string' ? error.code : '';
    const unrun = UNRUN[code];
    if (unrun) return unrun;
    const message = typeof error.message === 'string' ? error.message : 'The request failed.';
    return { type: 'errored', error: errorFor(code === 'invalid_api_key' ? 401 : 500, message) };
  }
  const status = typeof response.status_code === 'number' ? response.status_code : 500;
  const body = response.body;
  if (status >= 200 && status < 300) return { type: 'succeeded', message: body };
  if (isObject(body) && body.type === 'error' && isObject(body.error))
    return { type: 'errored', error: body };
  const inner = isObject(body) && isObject(body.error) ? body.error : {};
  const message =
    typeof inner.message === 'string' ? inner.message : `The request failed with status ${status}.`;
  return { type: 'errored', error: errorFor(status, message) };
}

/** Each line of a JSONL file that parses as an object, with its `custom_id`. */
function* objectLines(file: Buffer | undefined): Generator<{ customId: string; line: Json }> {
  if (!file) return;
  for (const row of file.toString('utf8').split('\n')) {
    if (!row.trim()) continue;
    let line: unknown;
    try {
      line = JSON.parse(row);
    } catch {
      continue;
    }
    if (isObject(line) && typeof line.custom_id === 'string')
      yield { customId: line.custom_id, line };
  }
}

/**
 * The results file's lines, in the order of the batch's requests (`input`, OpenAI line form).
 * A request with no line in either file (a batch that failed before running) is errored with
 * `missing`.
 */
export function messageBatchResults(
  files: { input?: Buffer; output?: Buffer; errors?: Buffer },
  missing = 'The request was not run.',
): string[] {
  const results = new Map<string, MessageBatchResult>();
  for (const f of [files.output, files.errors])
    for (const { customId, line } of objectLines(f)) results.set(customId, resultOf(line));
  const lines: string[] = [];
  for (const { customId } of objectLines(files.input)) {
    const result = results.get(customId) ?? { type: 'errored', error: errorFor(500, missing) };
    lines.push(JSON.stringify({ custom_id: customId, result }));
  }
  return lines;
}

/** How the error file's lines split into errored, canceled and expired. */
export function tallyErrorFile(errors: Buffer | undefined): ResultTally {
  const tally: ResultTally = { succeeded: 0, errored: 0, canceled: 0, expired: 0 };
  for (const { line } of objectLines(errors)) {
    const type = resultOf(line).type;
    tally[type]++;
  }
  return tally;
}
