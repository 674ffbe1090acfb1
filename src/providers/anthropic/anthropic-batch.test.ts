// The Message Batches conversions both ways: a chat line becomes a batch request whose params are
// the live Messages body (never streamed); a results file comes back in our shapes (a succeeded
// message as a chat completion with the cache usage mapped as live; errored ones with the status
// of their error type, so overloaded and api errors are retryable and an invalid request is
// final; canceled and expired ones as no result); a Message Batch found again after a create
// whose outcome is unknown, by creation time and request count (they carry no metadata).
import { describe, expect, it } from 'vitest';
import { claudeDeployment } from '../../../test/helpers/test-config.js';
import { judgeUpstreamResults } from '../../batch/forward/forward-doc.js';
import { recordingHttp, scriptedHttp } from '../../../test/helpers/fake-http.js';
import { UpstreamBatchNotCreated } from '../batch-not-created.js';
import {
  anthropicBatchRequest,
  createAnthropicBatchApi,
  matchMessageBatch,
  parseAnthropicBatchResults,
} from './anthropic-batch.js';
import { chatToAnthropicRequest } from './anthropic-convert.js';

const claude = claudeDeployment({ batchApi: {} });

describe('a chat line as a Message Batch request', () => {
  it('carries the live Messages body as params, with stream off', () => {
    const body = {
      model: 'claude-sonnet-4-5',
      stream: true,
      messages: [
        { role: 'system' as const, content: 'Be brief.' },
        { role: 'user' as const, content: 'hi' },
      ],
      max_tokens: 100,
      temperature: 1.5,
      stop: 'END',
    };
    const req = anthropicBatchRequest({ customId: 'line-3', body }, claude);
    expect(req).toEqual({
      custom_id: 'line-3',
      params: {
        model: 'claude-sonnet-4-5',
        max_tokens: 100,
        system: 'Be brief.',
        messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }],
        temperature: 1,
        stop_sequences: ['END'],
      },
    });
    expect(req.params).toEqual(chatToAnthropicRequest({ ...body, stream: false }, claude));
  });
});

describe('a Message Batch results file', () => {
  const message = {
    id: 'msg_1',
    type: 'message',
    role: 'assistant',
    model: 'claude-sonnet-4-5-20250929',
    content: [{ type: 'text', text: 'hello' }],
    stop_reason: 'max_tokens',
    usage: {
      input_tokens: 10,
      cache_read_input_tokens: 20,
      cache_creation_input_tokens: 30,
      output_tokens: 5,
    },
  };
  const errored = (type: string, wrapped = true) => ({
    type: 'errored',
    error: wrapped
      ? { type: 'error', error: { type, message: `${type} happened` } }
      : { type, message: `${type} happened` },
  });
  const text = [
    { custom_id: 'line-4', result: { type: 'succeeded', message } },
    { custom_id: 'line-1', result: errored('invalid_request_error') },
    { custom_id: 'line-2', result: errored('overloaded_error') },
    { custom_id: 'line-3', result: errored('api_error', false) },
    { custom_id: 'line-5', result: errored('rate_limit_error') },
    { custom_id: 'line-6', result: { type: 'canceled' } },
    { custom_id: 'line-7', result: { type: 'expired' } },
  ]
    .map((l) => JSON.stringify(l))
    .concat(['not json', ''])
    .join('\n');
  const results = parseAnthropicBatchResults(text, claude);

  it('turns a succeeded message into a chat completion, usage mapped as a live reply', () => {
    expect(results[0]).toMatchObject({
      customId: 'line-4',
      status: 200,
      body: {
        object: 'chat.completion',
        model: 'claude-sonnet-4-5-20250929',
        choices: [
          { index: 0, finish_reason: 'length', message: { role: 'assistant', content: 'hello' } },
        ],
        usage: {
          prompt_tokens: 60,
          completion_tokens: 5,
          total_tokens: 65,
          prompt_tokens_details: { cached_tokens: 20, cache_write_tokens: 30 },
        },
      },
    });
  });

  it('gives errors the status of their type, in an OpenAI envelope; canceled and expired: none', () => {
    expect(results.slice(1).map((r) => ('status' in r ? [r.customId, r.status] : r))).toEqual([
      ['line-1', 400],
      ['line-2', 529],
      ['line-3', 500],
      ['line-5', 429],
    ]);
    expect(results[1]).toMatchObject({
      body: {
        error: {
          type: 'invalid_request_error',
          code: 'invalid_request_error',
          message: 'claude: invalid_request_error happened',
        },
      },
    });
    // As the forwarder judges them: the invalid request is final, the rest run live.
    const group = {
      deployment: 'claude',
      upstreamId: 'msgbatch_1',
      submittedAt: 0,
      lines: [1, 2, 3, 4, 5, 6, 7].map((line) => ({
        line,
        requestId: `r${line}`,
        promptTokens: 1,
        top: 'claude',
      })),
    };
    expect(judgeUpstreamResults(group, results).map((j) => [j.line.line, j.outcome.kind])).toEqual([
      [1, 'answer'],
      [2, 'live'],
      [3, 'live'],
      [4, 'answer'],
      [5, 'live'],
      [6, 'live'],
      [7, 'live'],
    ]);
  });
});

describe('polling an upstream batch', () => {
  const signal = new AbortController().signal;
  it('ends a batch the upstream does not know (404) with no results', async () => {
    const { http } = recordingHttp('{"error":{"type":"not_found_error","message":"no"}}', 404);
    await expect(createAnthropicBatchApi(claude, http, 'k').poll('b-1', signal)).resolves.toEqual({
      done: true,
      status: 'not_found',
      results: [],
    });
  });

  it('throws any other failure (a 401 too): the forwarder polls again later', async () => {
    const { http } = recordingHttp('{"error":{"type":"authentication_error","message":"no"}}', 401);
    await expect(
      createAnthropicBatchApi(claude, http, 'k').poll('b-1', signal),
    ).rejects.toMatchObject({
      status: 502,
      code: 'upstream_auth_failed',
    });
  });
});

describe('finding a Message Batch after a create whose outcome is unknown', () => {
  const since = Date.parse('2026-01-01T12:00:00Z');
  const tag = { batchId: 'batch_1', groupId: 'gABC', since, lines: 3, known: ['mb-known'] };
  const listed = (id: string, offsetS: number, processing: number) => ({
    id,
    created_at: new Date(since + offsetS * 1000).toISOString(),
    request_counts: { processing, succeeded: 0, errored: 0, canceled: 0, expired: 0 },
  });

  it('takes a batch created during the submit with as many requests, nearest its start', () => {
    const data = [
      listed('mb-late', 3_600, 3), // created long after the submit could have
      listed('mb-4', 200, 4), // another count
      listed('mb-far', 30, 3),
      listed('mb-known', 1, 3), // one of the batch's other groups
      listed('mb-near', 2, 3),
      listed('mb-old', -3_600, 3), // before the submit began
    ];
    expect(matchMessageBatch(data, tag, 60_000)).toBe('mb-near');
    expect(matchMessageBatch([listed('mb-old', -3_600, 3)], tag, 60_000)).toBeUndefined();
  });

  it('pages back with after_id until before the submit began', async () => {
    const { http, sent } = scriptedHttp((url) =>
      url.searchParams.get('after_id')
        ? { body: { data: [listed('mb-ours', 1, 3)], has_more: false, last_id: 'mb-ours' } }
        : { body: { data: [listed('mb-new', 100, 1)], has_more: true, last_id: 'mb-new' } },
    );
    const api = createAnthropicBatchApi(claude, http, 'k');
    await expect(api.find(tag, new AbortController().signal)).resolves.toBe('mb-ours');
    expect(sent.map((s) => new URL(s.url).searchParams.get('after_id'))).toEqual([null, 'mb-new']);
  });

  it('says no batch was made when the create is refused (4xx); not on a 5xx', async () => {
    const line = { customId: 'gABC-line-0', body: { model: 'c', messages: [] } };
    const submit = (status: number) =>
      createAnthropicBatchApi(
        claude,
        scriptedHttp(() => ({
          status,
          body: { type: 'error', error: { type: 'x', message: 'no' } },
        })).http,
        'k',
      ).submit([line], { ...tag, lines: 1 }, new AbortController().signal);
    await expect(submit(400)).rejects.toBeInstanceOf(UpstreamBatchNotCreated);
    const err = await submit(529).catch((e: unknown) => e);
    expect(err).not.toBeInstanceOf(UpstreamBatchNotCreated);
  });
});
