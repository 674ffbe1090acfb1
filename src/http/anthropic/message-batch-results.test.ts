// The results of a Message Batch from the runner's output and error files (written here with the
// runner's own line writers), and the MessageBatch object's statuses, counts and times.
import { describe, expect, it } from 'vitest';
import type { BatchLine } from '../../batch/batch-input.js';
import { resultLine, unansweredLine } from '../../batch/batch-line.js';
import { emptyUsage, type BatchDoc } from '../../batch/batch-object.js';
import type { StoredBatch } from '../../store/batch-store.js';
import { messageBatchCounts, messageBatchObject } from './message-batch-object.js';
import { messageBatchResults, resultOf, tallyErrorFile } from './message-batch-results.js';

const line = (customId: string): BatchLine => ({ customId, path: '/v1/messages', body: {} });
const jsonl = (rows: string[]) => Buffer.from(rows.join('\n') + '\n');
const reply = (status: number, body: string) => ({ status, headers: {}, body });

const MESSAGE = {
  id: 'msg_1',
  type: 'message',
  role: 'assistant',
  model: 'small-sim',
  content: [{ type: 'text', text: 'Hi' }],
  stop_reason: 'end_turn',
  usage: { input_tokens: 3, output_tokens: 1 },
};
const NOT_FOUND = { type: 'error', error: { type: 'not_found_error', message: 'No model x' } };

const input = jsonl(
  ['ok', 'missing-model', 'cancelled', 'expired', 'revoked', 'plain'].map((id) =>
    JSON.stringify({ custom_id: id, method: 'POST', url: '/v1/messages', body: {} }),
  ),
);
const output = jsonl([resultLine('r1', line('ok'), reply(200, JSON.stringify(MESSAGE)), MESSAGE)]);
const errors = jsonl([
  resultLine('r2', line('missing-model'), reply(404, JSON.stringify(NOT_FOUND)), NOT_FOUND),
  unansweredLine('r3', line('cancelled'), 'batch_cancelled', 'cancelled'),
  unansweredLine('r4', line('expired'), 'batch_expired', 'too late'),
  unansweredLine('r5', line('revoked'), 'invalid_api_key', 'API key a has been revoked.'),
  // A reply that was not JSON is wrapped by the runner as `{error: {message}}`.
  resultLine('r6', line('plain'), reply(502, 'Bad Gateway'), undefined),
]);

describe('messageBatchResults', () => {
  it('gives one line per request, in request order, in Anthropic result shape', () => {
    const lines = messageBatchResults({ input, output, errors }).map((l) => JSON.parse(l));
    expect(lines).toEqual([
      { custom_id: 'ok', result: { type: 'succeeded', message: MESSAGE } },
      { custom_id: 'missing-model', result: { type: 'errored', error: NOT_FOUND } },
      { custom_id: 'cancelled', result: { type: 'canceled' } },
      { custom_id: 'expired', result: { type: 'expired' } },
      {
        custom_id: 'revoked',
        result: {
          type: 'errored',
          error: {
            type: 'error',
            error: { type: 'authentication_error', message: 'API key a has been revoked.' },
          },
        },
      },
      {
        custom_id: 'plain',
        result: {
          type: 'errored',
          error: { type: 'error', error: { type: 'api_error', message: 'Bad Gateway' } },
        },
      },
    ]);
  });

  it('errors a request with no result with the reason given (a batch that failed before running)', () => {
    const lines = messageBatchResults({ input }, 'The input file was deleted.');
    expect(lines).toHaveLength(6);
    expect(JSON.parse(lines[0]!)).toEqual({
      custom_id: 'ok',
      result: {
        type: 'errored',
        error: {
          type: 'error',
          error: { type: 'api_error', message: 'The input file was deleted.' },
        },
      },
    });
  });

  it('types an OpenAI-shaped error body by its status', () => {
    const result = resultOf({
      custom_id: 'x',
      response: { status_code: 429, body: { error: { message: 'slow down' } } },
    });
    expect(result).toEqual({
      type: 'errored',
      error: { type: 'error', error: { type: 'rate_limit_error', message: 'slow down' } },
    });
  });

  it('tallies the error file: errored, canceled and expired apart', () => {
    expect(tallyErrorFile(errors)).toEqual({ succeeded: 0, errored: 3, canceled: 1, expired: 1 });
    expect(tallyErrorFile(undefined)).toEqual({
      succeeded: 0,
      errored: 0,
      canceled: 0,
      expired: 0,
    });
  });
});

describe('messageBatchObject', () => {
  const CREATED = Date.UTC(2025, 0, 2, 3, 4, 5, 600);
  const batch = (over: Partial<StoredBatch>, doc: Partial<BatchDoc> = {}): StoredBatch => ({
    id: 'msgbatch_1',
    owner: 'acme',
    createdAt: CREATED,
    status: 'in_progress',
    doc: JSON.stringify({
      endpoint: '/v1/messages',
      inputFileId: 'file-in',
      completionWindow: '24h',
      metadata: null,
      expiresAt: CREATED + 86_400_000,
      requestCounts: { total: 6, completed: 1, failed: 1 },
      usage: emptyUsage(),
      ...doc,
    }),
    ...over,
  });
  const URL = 'http://h/v1/messages/batches/msgbatch_1/results';

  it('in progress: the lines not back are processing, no results_url, RFC 3339 times', () => {
    expect(messageBatchObject(batch({}), URL)).toEqual({
      id: 'msgbatch_1',
      type: 'message_batch',
      processing_status: 'in_progress',
      request_counts: { processing: 4, succeeded: 1, errored: 1, canceled: 0, expired: 0 },
      ended_at: null,
      created_at: '2025-01-02T03:04:05.600Z',
      expires_at: '2025-01-03T03:04:05.600Z',
      archived_at: null,
      cancel_initiated_at: null,
      results_url: null,
    });
  });

  it('a cancel request waiting for the runner is canceling', () => {
    const b = batch({ cancelRequestedAt: CREATED + 1000 });
    expect(messageBatchObject(b, URL)).toMatchObject({
      processing_status: 'canceling',
      cancel_initiated_at: '2025-01-02T03:04:06.600Z',
    });
  });

  it('canceling: the lines the runner already wrote as unrun are still processing', () => {
    const b = batch(
      { status: 'finalizing', cancelRequestedAt: CREATED + 1000 },
      { requestCounts: { total: 6, completed: 1, failed: 5 }, notRun: 4 },
    );
    expect(messageBatchCounts(b)).toEqual({
      processing: 4,
      succeeded: 1,
      errored: 1,
      canceled: 0,
      expired: 0,
    });
  });

  it('ended by cancel: the error file splits the failures into errored and canceled', () => {
    const b = batch(
      { status: 'cancelled', cancelRequestedAt: CREATED + 1000 },
      {
        requestCounts: { total: 6, completed: 1, failed: 5 },
        cancelledAt: CREATED + 2000,
        errorFileId: 'file-err',
      },
    );
    expect(messageBatchObject(b, URL, tallyErrorFile(errors))).toMatchObject({
      processing_status: 'ended',
      request_counts: { processing: 0, succeeded: 1, errored: 3, canceled: 1, expired: 1 },
      ended_at: '2025-01-02T03:04:07.600Z',
      results_url: URL,
    });
  });

  it('a batch that failed before running counts every request errored', () => {
    const b = batch({ status: 'failed' }, { requestCounts: { total: 6, completed: 0, failed: 0 } });
    expect(messageBatchCounts(b)).toEqual({
      processing: 0,
      succeeded: 0,
      errored: 6,
      canceled: 0,
      expired: 0,
    });
  });
});
