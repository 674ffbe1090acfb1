import { describe, expect, it } from 'vitest';
import { GatewayError } from '../core/errors.js';
import { Readable } from 'node:stream';
import { RAW_JSON, chunkFields, type ChatChunk } from '../core/wire-types.js';
import { isDoneMessage, chatChunkReader } from './chat-chunk-reader.js';
import { parseSse, type SseMessage } from './sse-parser.js';

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

async function* pieces(bytes: Uint8Array, cuts: number[]): AsyncGenerator<Uint8Array> {
  let prev = 0;
  for (const c of [...cuts, bytes.length]) {
    yield bytes.subarray(prev, c);
    prev = c;
  }
}

// Events as OpenAI (CONTRACTS.md §2.3) and Anthropic (§4.4) send them, with a multi-byte
// character, a comment, CRLF and lone-CR line ends and a multi-line data field.
const STREAM =
  '\uFEFFdata: {"id":"1","choices":[{"index":0,"delta":{"content":"Olá 🌍"}}]}\n\n' +
  ': keepalive\r\n\r\n' +
  'event: content_block_delta\r\ndata: {"type":"content_block_delta"}\r\n\r\n' +
  'data: line one\rdata: line two\r\r' +
  'id: 7\ndata:no-space\n\n' +
  'data: [DONE]\n\n';

const EXPECTED: SseMessage[] = [
  { data: '{"id":"1","choices":[{"index":0,"delta":{"content":"Olá 🌍"}}]}' },
  { event: 'content_block_delta', data: '{"type":"content_block_delta"}' },
  { data: 'line one\nline two' },
  { data: 'no-space', id: '7' },
  { data: '[DONE]', id: '7' },
];

describe('parseSse', () => {
  const bytes = new TextEncoder().encode(STREAM);

  it('parses a whole stream', async () => {
    expect(await collect(parseSse(pieces(bytes, [])))).toEqual(EXPECTED);
  });

  it('gives the same events with the bytes split at every offset', async () => {
    for (let i = 1; i < bytes.length; i++) {
      expect(await collect(parseSse(pieces(bytes, [i]))), `split at ${i}`).toEqual(EXPECTED);
    }
  });

  it('gives the same events fed one byte at a time', async () => {
    const cuts = Array.from({ length: bytes.length - 1 }, (_, i) => i + 1);
    expect(await collect(parseSse(pieces(bytes, cuts)))).toEqual(EXPECTED);
  });

  it('reads CR line ends that first come after reads with LF only, in the middle of a line', async () => {
    // The scan for line ends is `indexOf('\n')` until a CR has been read, then per character.
    const text = 'data: a\n\ndata: b\ndata: c' + '\rdata: d\r\ndata: e\r\r' + 'data: f\n\n';
    const bytes = new TextEncoder().encode(text);
    for (let i = 1; i < bytes.length; i++) {
      expect(await collect(parseSse(pieces(bytes, [i]))), `split at ${i}`).toEqual([
        { data: 'a' },
        { data: 'b\nc\nd\ne' },
        { data: 'f' },
      ]);
    }
  });

  it('drops an incomplete event at the end of the stream', async () => {
    expect(
      await collect(parseSse(pieces(new TextEncoder().encode('data: a\n\ndata: partial'), []))),
    ).toEqual([{ data: 'a' }]);
  });
});

describe('parseSse and a long line', () => {
  const enc = new TextEncoder();
  async function* reads(parts: string[]): AsyncGenerator<Uint8Array> {
    for (const p of parts) yield enc.encode(p);
  }

  it('reads a line that comes in many pieces, then the events after it, as one stream', async () => {
    const body = 'x'.repeat(10_000);
    const parts = [
      'data: ',
      ...body.match(/.{1,7}/g)!,
      '\r',
      '\n\r\ndata: next\r\n\r\n',
      'data: [DONE]\n\n',
    ];
    expect(await collect(parseSse(reads(parts)))).toEqual([
      { data: body },
      { data: 'next' },
      { data: '[DONE]' },
    ]);
  });

  it('fails a line or an event past maxEventChars with 502 upstream_event_too_large', async () => {
    const failure = async (parts: string[]) =>
      collect(parseSse(reads(parts), undefined, { maxEventChars: 1_000 })).then(
        () => undefined,
        (e: unknown) => e as GatewayError,
      );
    // One line in pieces with no line end, a line in one read, and many short data lines.
    const pieces = Array.from({ length: 200 }, () => 'xxxxxxxxxx');
    for (const parts of [
      ['data: a\n\n', 'data: ', ...pieces],
      [`data: ${'y'.repeat(1_200)}\n\n`],
      Array.from({ length: 150 }, () => 'data: zzzzzzzzzz\n'),
    ]) {
      const e = await failure(parts);
      expect(e, parts[0]).toBeInstanceOf(GatewayError);
      expect(e).toMatchObject({ status: 502, code: 'upstream_event_too_large', retryable: true });
    }
    // Many events each under the limit are fine, whatever their sum.
    const many = Array.from({ length: 50 }, () => `data: ${'w'.repeat(900)}\n\n`);
    expect(await collect(parseSse(reads(many), undefined, { maxEventChars: 1_000 }))).toHaveLength(
      50,
    );
  });
});

describe('parseSse with an end message', () => {
  it('ends at [DONE] without yielding it and reads the body to its end instead of destroying it', async () => {
    const body = Readable.from(
      ['data: {"a":1}\n\ndata: [DONE]\n\n', 'data: {"after":"done"}\n\n'].map((t) =>
        Buffer.from(t),
      ),
    );
    const got = await collect(parseSse(body, undefined, { endAt: isDoneMessage }));
    expect(got).toEqual([{ data: '{"a":1}' }]);
    expect(body.readableEnded).toBe(true);
    expect(body.destroyed).toBe(true); // auto-destroyed after a clean end, not torn down early
    expect(body.errored).toBeNull();
  });

  it('destroys a body that does not end within the grace period after [DONE]', async () => {
    const body = new Readable({ read() {} });
    body.push('data: {"a":1}\n\ndata: [DONE]\n\n');
    const got = await collect(parseSse(body, undefined, { endAt: isDoneMessage, graceMs: 20 }));
    expect(got).toEqual([{ data: '{"a":1}' }]);
    expect(body.destroyed).toBe(true);
    expect(body.readableEnded).toBe(false);
  });

  it('calls endedEarly when the body ends before the end message, after what came before', async () => {
    const early = (text: string) => {
      const calls: number[] = [];
      const got: string[] = [];
      const run = (async () => {
        for await (const m of parseSse(pieces(new TextEncoder().encode(text), []), undefined, {
          endAt: isDoneMessage,
          endedEarly: () => {
            calls.push(got.length);
            throw new Error('cut short');
          },
        }))
          got.push(m.data);
      })();
      return run.then(
        () => ({ got, calls, error: undefined }),
        (e: Error) => ({ got, calls, error: e.message }),
      );
    };
    expect(await early('data: a\n\ndata: b\n\n')).toEqual({
      got: ['a', 'b'],
      calls: [2],
      error: 'cut short',
    });
    expect(await early('')).toEqual({ got: [], calls: [0], error: 'cut short' });
    // The end message came: whole, with or without the blank line after it.
    expect(await early('data: a\n\ndata: [DONE]\n\n')).toEqual({
      got: ['a'],
      calls: [],
      error: undefined,
    });
    expect(await early('data: a\n\ndata: [DONE]')).toEqual({
      got: ['a'],
      calls: [],
      error: undefined,
    });
  });

  it('a consumer leaving early tears the body down', async () => {
    const body = new Readable({ read() {} });
    body.push('data: 1\n\ndata: 2\n\n');
    for await (const m of parseSse(body, undefined, { endAt: isDoneMessage })) {
      expect(m.data).toBe('1');
      break;
    }
    expect(body.destroyed).toBe(true);
  });
});

describe('chatChunkReader', () => {
  function msgs(...m: SseMessage[]) {
    return m;
  }
  /** What the adapter's `parseSse(…, { map })` yields for these messages. */
  async function parseChatChunks(
    messages: SseMessage[],
    opts: Parameters<typeof chatChunkReader>[0] = {},
  ): Promise<ChatChunk[]> {
    const read = chatChunkReader(opts);
    const out: ChatChunk[] = [];
    for (const m of messages) {
      const c = read(m);
      if (c) out.push(c);
    }
    return out;
  }
  const collect = <T>(p: Promise<T>) => p;

  it('stops at [DONE] and yields parsed chunks', async () => {
    const out = await collect(
      parseChatChunks(
        msgs({ data: '{"id":"a","choices":[]}' }, { data: '[DONE]' }, { data: '{"id":"late"}' }),
      ),
    );
    expect(out.map((c) => c.id)).toEqual(['a']);
  });

  it("normalises in the same pass: Azure's empty first chunk merged into the next, model and choices filled", async () => {
    const out = await collect(
      parseChatChunks(
        msgs(
          { data: '{"id":"","choices":[],"prompt_filter_results":[{"prompt_index":0}]}' },
          { data: '{"id":"c1","choices":[{"index":0,"delta":{"content":"Hi"}}]}' },
          { data: '{"id":"c2","model":"served-4o"}' },
        ),
        { defaultModel: 'gpt-4o' },
      ),
    );
    expect(out).toHaveLength(2);
    expect(out[0]).toMatchObject({
      id: 'c1',
      model: 'gpt-4o',
      prompt_filter_results: [{ prompt_index: 0 }],
    });
    expect(out[1]).toEqual({ id: 'c2', model: 'served-4o', choices: [] });
  });

  it('is finished once [DONE] or a finish reason was read, in a parsed chunk or the last one passed through', () => {
    const delta = (finish: string | null, spaced = false) =>
      `{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"x"},"finish_reason":${spaced ? ' ' : ''}${JSON.stringify(finish)}}]}`;
    const after = (data: string[], opts: Parameters<typeof chatChunkReader>[0] = {}) => {
      const read = chatChunkReader(opts);
      for (const d of data) read({ data: d });
      return read.finished();
    };
    expect(after([delta(null), delta(null)])).toBe(false);
    expect(after([delta(null), delta(null)], { passThrough: true })).toBe(false);
    expect(after([delta(null), '[DONE]'])).toBe(true);
    expect(after([delta(null), delta('stop')])).toBe(true);
    // After the first chunk a plain delta is passed through unparsed: its text still says so.
    expect(after([delta(null), delta('stop')], { passThrough: true })).toBe(true);
    expect(after([delta(null), delta('length', true)], { passThrough: true })).toBe(true);
    // Deltas after a finish (another of n choices still writing): the last one decides.
    expect(after([delta(null), delta('stop'), delta(null)], { passThrough: true })).toBe(false);
    // A finish reason quoted inside the text (escaped quotes) is no finish.
    const quoted = delta(null).replace(
      '"content":"x"',
      '"content":"\\"finish_reason\\":\\"stop\\""',
    );
    expect(after([delta(null), quoted], { passThrough: true })).toBe(false);
  });

  it('turns an in-band error and a malformed chunk into GatewayErrors', async () => {
    const inBand = collect(
      parseChatChunks(msgs({ data: '{"error":{"message":"overloaded","code":"server_busy"}}' })),
    );
    await expect(inBand).rejects.toMatchObject({ code: 'server_busy', retryable: true });
    const named = collect(
      parseChatChunks(
        msgs({
          event: 'error',
          data: '{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}',
        }),
      ),
    );
    await expect(named).rejects.toBeInstanceOf(GatewayError);
    const bad = collect(parseChatChunks(msgs({ data: '{"id":' })));
    await expect(bad).rejects.toMatchObject({ code: 'upstream_malformed_chunk' });
  });

  it('passes plain deltas after the first through unparsed, and parses anything the gateway reads', async () => {
    const delta = (content: string) =>
      `{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":${JSON.stringify(content)}},"finish_reason":null}]}`;
    const usage =
      '{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}}';
    const filtered = `{"id":"c","model":"m","choices":[{"index":0,"delta":{}}],"prompt_filter_results":[]}`;
    const noModel = '{"id":"c","choices":[{"index":0,"delta":{"content":"x"}}]}';
    const data = [
      delta('first'),
      delta('plain'),
      delta('usage'), // the bare word as a value is indistinguishable by text: parsed, to be safe
      delta('say "usage": 1'), // escaped quotes inside a string: still a plain delta
      usage,
      filtered,
      noModel,
    ];
    const out = await parseChatChunks(
      data.map((d) => ({ data: d })),
      { defaultModel: 'dflt', passThrough: true },
    );
    const raw = out.map((c) => (c as { [RAW_JSON]?: string })[RAW_JSON]);
    expect(raw).toEqual([undefined, data[1], undefined, data[3], undefined, undefined, undefined]);
    expect(out[0]!.choices[0]!.delta.content).toBe('first');
    expect(out[1]!.choices).toEqual([]);
    expect(() => (out[1]!.choices as unknown[]).push(1)).toThrow();
    expect(chunkFields(out[1]!)).toEqual(JSON.parse(data[1]!));
    expect(chunkFields(out[3]!).choices[0]!.delta.content).toBe('say "usage": 1');
    expect(out[4]!.usage?.total_tokens).toBe(5);
    expect(out[6]!.model).toBe('dflt');
    // Without pass-through every chunk is parsed.
    const parsed = await parseChatChunks(
      data.map((d) => ({ data: d })),
      { defaultModel: 'dflt' },
    );
    expect(parsed.every((c) => (c as { [RAW_JSON]?: string })[RAW_JSON] === undefined)).toBe(true);
  });
});
