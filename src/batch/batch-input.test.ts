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

describe('an input file that is not UTF-8', () => {
  // Audit (2026-12-07): a UTF-16 file (as Windows' Notepad and PowerShell's `>` write) got
  // "The file is not UTF-8 text" with no word of how to convert it, as training's loader gives.
  const text = file([line('a', '/v1/embeddings')]).toString('utf8');
  const errorOf = (content: Buffer) => {
    const parsed = parseBatchInput(content, '/v1/embeddings', 10);
    return 'errors' in parsed ? parsed.errors : [];
  };

  it.each([
    [
      'UTF-16 with a byte-order mark',
      Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]),
      'The file is UTF-16 text, not UTF-8: convert it (iconv -f UTF-16 -t UTF-8 input.jsonl > input-utf8.jsonl) and upload that.',
    ],
    [
      'UTF-16LE without a mark',
      Buffer.from(text, 'utf16le'),
      'The file is UTF-16 text (little-endian, without a byte-order mark), not UTF-8: convert it (iconv -f UTF-16LE -t UTF-8 input.jsonl > input-utf8.jsonl) and upload that.',
    ],
    [
      'UTF-16BE without a mark',
      Buffer.from(text, 'utf16le').swap16(),
      'The file is UTF-16 text (big-endian, without a byte-order mark), not UTF-8: convert it (iconv -f UTF-16BE -t UTF-8 input.jsonl > input-utf8.jsonl) and upload that.',
    ],
    [
      'gzip',
      Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]),
      'The file is gzip-compressed: decompress it (gunzip) and upload the JSONL.',
    ],
    [
      'Latin-1',
      Buffer.from(text.replace('"x"', '"caf\xe9"'), 'latin1'),
      'The file is not UTF-8 text: convert it (from Windows-1252 or Latin-1: iconv -f WINDOWS-1252 -t UTF-8 input.jsonl > input-utf8.jsonl) and upload that.',
    ],
  ])('%s: one invalid_file error saying how to convert it', (_, content, message) => {
    expect(errorOf(content)).toEqual([{ code: 'invalid_file', message, param: null, line: null }]);
  });
});
