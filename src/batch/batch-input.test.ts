// The input file's checks per endpoint: every endpoint the router runs takes its own lines (OpenAI's
// paths, and Azure's without `/v1` where Azure batches that API) and refuses a line naming another;
// the endpoints OpenAI's Batch API has that the router does not run get a message saying why.
import { describe, expect, it } from 'vitest';
import {
  BATCH_ENDPOINTS,
  OPENAI_BATCH_ENDPOINTS,
  parseBatchInput,
  unrunEndpointMessage,
} from './batch-input.js';

const file = (lines: object[]) =>
  Buffer.from(lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
const line = (id: string, url: string, body: object = { model: 'm', input: 'x' }) => ({
  custom_id: id,
  method: 'POST',
  url,
  body,
});

describe('parseBatchInput', () => {
  it.each([
    ['/v1/moderations', '/v1/moderations'],
    ['/v1/images/generations', '/v1/images/generations'],
    ['/v1/embeddings', '/v1/embeddings'],
    ['/embeddings', '/v1/embeddings'],
  ])('a %s batch sends its lines to %s', (endpoint, route) => {
    const parsed = parseBatchInput(file([line('a', endpoint), line('b', endpoint)]), endpoint, 10);
    expect(parsed).toEqual({
      lines: [
        { customId: 'a', path: route, body: { model: 'm', input: 'x' } },
        { customId: 'b', path: route, body: { model: 'm', input: 'x' } },
      ],
    });
  });

  it('refuses a line nested past any real request, by line, as a live body is refused', () => {
    // Input audit F5 (2026-12-06): such a line passed, then failed as a 500 with V8's "Maximum
    // call stack size exceeded" when it ran.
    const deep = JSON.parse(`${'['.repeat(3000)}${']'.repeat(3000)}`) as object;
    const parsed = parseBatchInput(
      file([
        line('ok', '/v1/embeddings'),
        line('deep', '/v1/embeddings', { model: 'm', input: deep }),
      ]),
      '/v1/embeddings',
      10,
    );
    expect('errors' in parsed && parsed.errors).toEqual([
      {
        code: 'invalid_json_line',
        line: 2,
        param: null,
        message:
          'Line 2: The line nests arrays and objects more than 256 levels deep: send a flatter request.',
      },
    ]);
  });

  it("refuses, by line, a url that is not the batch's endpoint", () => {
    const parsed = parseBatchInput(
      file([
        line('ok', '/v1/moderations'),
        line('azure', '/moderations'), // Azure batches no moderations: not a spelling of it
        line('img', '/v1/images/generations'),
        line('edit', '/v1/images/edits'),
      ]),
      '/v1/moderations',
      10,
    );
    expect('errors' in parsed && parsed.errors.map((e) => [e.code, e.line, e.param])).toEqual([
      ['mismatched_url', 2, 'url'],
      ['mismatched_url', 3, 'url'],
      ['mismatched_url', 4, 'url'],
    ]);
  });

  it('an images batch refuses a streamed line and a moderation line', () => {
    const parsed = parseBatchInput(
      file([
        line('s', '/v1/images/generations', { model: 'img', prompt: 'p', stream: true }),
        line('m', '/v1/moderations'),
      ]),
      '/v1/images/generations',
      10,
    );
    expect('errors' in parsed && parsed.errors.map((e) => [e.code, e.param])).toEqual([
      ['invalid_body', 'body.stream'],
      ['mismatched_url', 'url'],
    ]);
  });
});

describe('the endpoints a batch may name', () => {
  it("are OpenAI's (but image edits and videos) and Azure's four without /v1", () => {
    expect(Object.keys(BATCH_ENDPOINTS).sort()).toEqual(
      [
        ...OPENAI_BATCH_ENDPOINTS,
        '/chat/completions',
        '/embeddings',
        '/responses',
        '/completions',
      ].sort(),
    );
    expect(BATCH_ENDPOINTS['/v1/images/edits']).toBeUndefined();
    expect(BATCH_ENDPOINTS['/moderations']).toBeUndefined();
  });

  it('the refusal says why an endpoint is not run, and lists those that are', () => {
    expect(unrunEndpointMessage('/v1/images/edits')).toMatch(
      /^\/v1\/images\/edits batches are not run by this router: .*one at a time/,
    );
    expect(unrunEndpointMessage('/v1/videos')).toMatch(/no video models/);
    expect(unrunEndpointMessage('/v1/nope')).toMatch(/^endpoint "\/v1\/nope" is not one/);
    expect(unrunEndpointMessage(undefined)).toMatch(/^endpoint is required/);
    const videos = unrunEndpointMessage('/v1/videos');
    for (const endpoint of OPENAI_BATCH_ENDPOINTS) expect(videos).toContain(endpoint);
    // Only own keys: a name on Object's prototype is no reason.
    expect(unrunEndpointMessage('toString')).toMatch(/^endpoint "toString" is not one/);
  });
});
