import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewayError } from '../core/errors.js';
import type { ChatChunk, ChatRequest, ChatResponse } from '../core/wire-types.js';
import { createContentFilter, type ContentFilter } from './content-filter.js';
import { scanStep } from './content-filter-stream.js';
import { createPatternFilter } from './filters/pattern-filter.js';
import type { ContentFilterPlugin, OutputVerdict } from './filters/filter-types.js';
import { luhnValid } from './filters/pii-patterns.js';

type Rule = {
  id: string;
  kind: 'keyword' | 'regex' | 'pii';
  patterns: string[];
  action: 'block' | 'redact' | 'annotate';
  appliesTo: 'input' | 'output' | 'both';
};

function filter(rules: Rule[], moderationUrl?: string, timeoutMs?: number): ContentFilter {
  const f = createContentFilter(
    { enabled: true, rules, moderationUrl },
    { moderationTimeoutMs: timeoutMs },
  );
  if (!f) throw new Error('filter disabled');
  return f;
}

const req = (content: string): ChatRequest =>
  ({ model: 'm', messages: [{ role: 'user', content }] }) as ChatRequest;

async function caught(p: Promise<unknown>): Promise<GatewayError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof GatewayError) return e;
    throw e;
  }
  throw new Error('expected GatewayError');
}

const RULES: Rule[] = [
  {
    id: 'secret-project',
    kind: 'keyword',
    patterns: ['Bluebird', 'Project X'],
    action: 'block',
    appliesTo: 'both',
  },
  {
    id: 'pii',
    kind: 'pii',
    patterns: ['email', 'phone', 'card'],
    action: 'redact',
    appliesTo: 'both',
  },
  { id: 'ticket', kind: 'regex', patterns: ['TCK-\\d{4}'], action: 'annotate', appliesTo: 'both' },
];

describe('content filter: input', () => {
  it('blocks a keyword with Azure content_filter error shape', async () => {
    const err = await caught(filter(RULES).filterInput(req('Tell me about bluebird plans')));
    expect(err.status).toBe(400);
    expect(err.toEnvelope()).toEqual({
      error: {
        message: expect.stringContaining('(rules: secret-project)'),
        type: 'invalid_request_error',
        param: 'prompt',
        code: 'content_filter',
        status: 400,
        innererror: {
          code: 'ResponsibleAIPolicyViolation',
          content_filter_result: {
            custom_blocklists: {
              filtered: true,
              details: [{ filtered: true, id: 'secret-project' }],
            },
            personally_identifiable_information: { filtered: false, detected: false },
          },
        },
      },
    });
    expect(err.message).not.toContain('bluebird');
  });

  it('matches whole words only', async () => {
    const out = await filter(RULES).filterInput(req('the bluebirds sing'));
    expect(out.request.messages[0]).toEqual({ role: 'user', content: 'the bluebirds sing' });
  });

  it('redacts PII (card numbers only when Luhn-valid) and reports prompt_filter_results', async () => {
    const input =
      'Mail a.b@example.co.uk, call +1 555-123-4567, card 4111 1111 1111 1111, order 4111 1111 1111 1112, TCK-1234';
    const out = await filter(RULES).filterInput(req(input));
    expect(out.request.messages[0]).toEqual({
      role: 'user',
      content:
        'Mail [redacted:email], call [redacted:phone], card [redacted:card], order 4111 1111 1111 1112, TCK-1234',
    });
    expect(out.promptFilterResults).toEqual([
      {
        prompt_index: 0,
        content_filter_results: {
          custom_blocklists: { filtered: false, details: [{ filtered: false, id: 'ticket' }] },
          personally_identifiable_information: { filtered: false, detected: true, redacted: true },
        },
      },
    ]);
  });

  it('redacts text parts and leaves the original request untouched', async () => {
    const request = {
      model: 'm',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'me@x.io' },
            { type: 'image_url', image_url: { url: 'u' } },
          ],
        },
      ],
    } as ChatRequest;
    const out = await filter(RULES).filterInput(request);
    expect(out.request.messages[0]).toEqual({
      role: 'user',
      content: [
        { type: 'text', text: '[redacted:email]' },
        { type: 'image_url', image_url: { url: 'u' } },
      ],
    });
    expect((request.messages[0] as { content: { text?: string }[] }).content[0]!.text).toBe(
      'me@x.io',
    );
  });

  it('checks Luhn', () => {
    expect(luhnValid('4111111111111111')).toBe(true);
    expect(luhnValid('4111111111111112')).toBe(false);
    expect(luhnValid('79927398713')).toBe(false); // valid checksum but too short for a card
  });
});

describe('content filter: whole output', () => {
  const response = (content: string): ChatResponse =>
    ({
      id: 'x',
      object: 'chat.completion',
      created: 1,
      model: 'm',
      choices: [
        {
          index: 0,
          finish_reason: 'stop',
          logprobs: null,
          message: { role: 'assistant', content, refusal: null },
        },
      ],
    }) as ChatResponse;

  it('redacts and annotates choices', async () => {
    const out = await filter(RULES).filterOutput(response('write to ops@corp.com'));
    expect(out.choices[0]!.message.content).toBe('write to [redacted:email]');
    expect(out.choices[0]!.finish_reason).toBe('stop');
    expect(
      (out.choices[0] as unknown as Record<string, unknown>).content_filter_results,
    ).toMatchObject({
      personally_identifiable_information: { filtered: false, detected: true, redacted: true },
    });
  });

  it('cuts a blocked answer with finish_reason content_filter', async () => {
    const out = await filter(RULES).filterOutput(response('Project X is secret'));
    expect(out.choices[0]!.message.content).toBe('');
    expect(out.choices[0]!.finish_reason).toBe('content_filter');
  });
});

function chunk(content: string | undefined, finish: string | null = null): ChatChunk {
  return {
    id: 'c',
    object: 'chat.completion.chunk',
    created: 1,
    model: 'm',
    choices: [
      {
        index: 0,
        delta: content === undefined ? {} : { content },
        finish_reason: finish,
        logprobs: null,
      },
    ],
  } as ChatChunk;
}

async function* from(parts: string[], finish = true): AsyncGenerator<ChatChunk> {
  for (const p of parts) yield chunk(p);
  if (finish) yield chunk(undefined, 'stop');
}

async function collect(stream: AsyncIterable<ChatChunk>) {
  let text = '';
  let finish: string | null = null;
  const chunks: ChatChunk[] = [];
  for await (const c of stream) {
    chunks.push(c);
    for (const ch of c.choices) {
      if (typeof ch.delta.content === 'string') text += ch.delta.content;
      if (ch.finish_reason) finish = ch.finish_reason;
    }
  }
  return { text, finish, chunks };
}

describe('content filter: streams', () => {
  const redactRules = RULES.filter((r) => r.id !== 'secret-project');
  const answer =
    'Contact jane.doe@example.com or +44 20 7946 0958; card 5555-5555-5555-4444. Ticket TCK-9876 done.';

  it('gives the same text as the whole-answer filter for every split point', async () => {
    const f = filter(redactRules);
    const expected = (
      await f.filterOutput({
        choices: [{ index: 0, message: { content: answer } }],
      } as ChatResponse)
    ).choices[0]!.message.content;
    expect(expected).toBe(
      'Contact [redacted:email] or [redacted:phone]; card [redacted:card]. Ticket TCK-9876 done.',
    );
    for (let i = 0; i <= answer.length; i++) {
      for (const j of [i, Math.min(answer.length, i + 7)]) {
        const parts = [answer.slice(0, i), answer.slice(i, j), answer.slice(j)];
        const out = await collect(f.filterStream(from(parts)));
        expect(out.text, `split at ${i}/${j}`).toBe(expected);
        expect(out.finish).toBe('stop');
      }
    }
  });

  it('one character at a time, never holds back more than the longest pattern', async () => {
    const f = filter([
      { id: 'kw', kind: 'keyword', patterns: ['forbidden'], action: 'redact', appliesTo: 'output' },
    ]);
    expect(f.holdBack).toBe(9);
    async function* oneByOne(text: string, progress: { received: number }) {
      for (const ch of text) {
        progress.received++;
        yield chunk(ch);
      }
      yield chunk(undefined, 'stop');
    }
    const clean = 'a harmless sentence that goes on and on and on without anything to hide';
    const progress = { received: 0 };
    let sent = 0;
    let maxHeld = 0;
    for await (const c of f.filterStream(oneByOne(clean, progress))) {
      sent += (c.choices[0]?.delta.content ?? '').length;
      maxHeld = Math.max(maxHeld, progress.received - sent);
    }
    expect(sent).toBe(clean.length);
    expect(maxHeld).toBe(9);
    const out = await collect(
      f.filterStream(oneByOne('then forbidden, then more', { received: 0 })),
    );
    expect(out.text).toBe('then [redacted:kw], then more');
  });

  it('ends the stream with finish_reason content_filter on a block, split across chunks', async () => {
    const f = filter(RULES);
    let upstreamClosed = false;
    async function* upstream() {
      try {
        yield chunk('Sure. The codename is Blue');
        yield chunk('bird and it launches');
        yield chunk(' tomorrow');
        yield chunk(undefined, 'stop');
      } finally {
        upstreamClosed = true;
      }
    }
    const out = await collect(f.filterStream(upstream()));
    expect(out.text).toBe('Sure. The codename is ');
    expect(out.finish).toBe('content_filter');
    expect(upstreamClosed).toBe(true);
    const last = out.chunks.at(-1)!.choices[0] as unknown as Record<string, unknown>;
    expect(last.content_filter_results).toMatchObject({
      custom_blocklists: { filtered: true, details: [{ filtered: true, id: 'secret-project' }] },
    });
  });

  it('flushes held text when the upstream ends without a finish_reason', async () => {
    const f = filter(redactRules);
    const out = await collect(f.filterStream(from(['mail me at x@y.org'], false)));
    expect(out.text).toBe('mail me at [redacted:email]');
  });

  it('scanStep waits on a match touching the end', () => {
    const rules = createPatternFilter(redactRules).rules;
    expect(scanStep('call 555-123-45', rules, 64, false)).toMatchObject({
      emit: '',
      keep: 'call 555-123-45',
    });
    expect(scanStep('x'.repeat(70) + ' a@b.cc', rules, 64, false).emit).toBe('x'.repeat(13));
  });
});

describe('content filter: moderation endpoint (loopback)', () => {
  let server: Server;
  let url = '';
  const seen: unknown[] = [];
  beforeAll(async () => {
    server = createServer((request, response) => {
      let body = '';
      request.on('data', (d) => (body += d));
      request.on('end', () => {
        const parsed = JSON.parse(body) as { input: string };
        seen.push(parsed);
        if (parsed.input.includes('slow')) return; // never answers: the filter must time out
        const violent = parsed.input.includes('attack');
        response.setHeader('content-type', 'application/json');
        response.end(
          JSON.stringify({
            id: 'modr-1',
            model: 'omni-moderation-latest',
            results: [
              {
                flagged: violent,
                categories: { violence: violent, 'violence/graphic': false, hate: false },
              },
            ],
          }),
        );
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/moderations`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('blocks a flagged prompt with Azure severity results', async () => {
    const err = await caught(filter([], url).filterInput(req('plan an attack')));
    expect(seen.at(-1)).toEqual({ input: 'plan an attack\n' });
    expect(err.code).toBe('content_filter');
    expect(
      (err.details?.innererror as { content_filter_result: unknown }).content_filter_result,
    ).toEqual({
      hate: { filtered: false, severity: 'safe' },
      sexual: { filtered: false, severity: 'safe' },
      violence: { filtered: true, severity: 'high' },
      self_harm: { filtered: false, severity: 'safe' },
    });
  });

  it('passes a clean prompt and reports the categories it checked', async () => {
    const out = await filter([], url).filterInput(req('hello'));
    expect(out.promptFilterResults[0]).toMatchObject({
      content_filter_results: { violence: { filtered: false, severity: 'safe' } },
    });
  });

  it('checks a streamed answer before its finish: a flagged one ends with content_filter', async () => {
    const f = filter([], url);
    const clean = await collect(f.filterStream(from(['The weather ', 'is mild today.'])));
    expect(clean.finish).toBe('stop');
    expect(clean.text).toBe('The weather is mild today.');
    expect(seen.at(-1)).toEqual({ input: 'The weather is mild today.' });
    const cleanFinal = clean.chunks.at(-1)!.choices[0] as unknown as Record<string, unknown>;
    expect(cleanFinal.content_filter_results).toMatchObject({
      violence: { filtered: false, severity: 'safe' },
    });
    const flagged = await collect(f.filterStream(from(['We plan an ', 'attack at dawn.'])));
    expect(flagged.finish).toBe('content_filter');
    const final = flagged.chunks.at(-1)!.choices[0] as unknown as Record<string, unknown>;
    expect(final.content_filter_results).toMatchObject({
      violence: { filtered: true, severity: 'high' },
    });
  });

  it('a moderation timeout does not block; the failure is reported in `error`', async () => {
    const out = await filter([], url, 100).filterInput(req('slow please'));
    expect(out.promptFilterResults[0]).toEqual({
      prompt_index: 0,
      content_filter_results: {
        error: { code: 408, message: 'moderation endpoint timed out after 100 ms' },
      },
    });
  });
});

describe('content filter: moderation plug-ins on streams', () => {
  // A plug-in whose verdicts the test releases: no clocks, the order of events is fixed.
  function gatedPlugin() {
    const calls: { text: string; release: (flag: boolean) => void }[] = [];
    const plugin: ContentFilterPlugin = {
      name: 'gated',
      checkInput: () => ({ hits: [], evaluated: [] }),
      checkOutput: (text: string) =>
        new Promise<OutputVerdict>((resolve) =>
          calls.push({
            text,
            release: (flag) =>
              resolve({
                hits: flag
                  ? [{ plugin: 'gated', ruleId: 'v', category: 'violence', action: 'block' }]
                  : [],
                evaluated: ['violence'],
              }),
          }),
        ),
    };
    return { plugin, calls };
  }
  const gatedFilter = (plugin: ContentFilterPlugin) => {
    const f = createContentFilter({ enabled: true, rules: [] }, { plugins: [plugin] });
    if (!f) throw new Error('filter disabled');
    return f;
  };
  const part = 'x'.repeat(250);
  const macrotask = () => new Promise((r) => setImmediate(r));

  it('checks the text sent so far every 1,000 characters and cuts the stream at a flag', async () => {
    const { plugin, calls } = gatedPlugin();
    async function* source(): AsyncGenerator<ChatChunk> {
      for (let i = 0; i < 12; i++) {
        yield chunk(part);
        // After the fourth part (1,000 characters) the plug-in has been asked: it flags.
        if (calls.length === 1 && i === 4) {
          calls[0]!.release(true);
          await macrotask();
        }
      }
      yield chunk(undefined, 'stop');
    }
    const out = await collect(gatedFilter(plugin).filterStream(source()));
    expect(calls[0]!.text).toBe(part.repeat(4));
    expect(out.finish).toBe('content_filter');
    // Text flowed while the check ran (the fifth part) and stopped at the verdict: 5 of 12 parts.
    expect(out.text).toBe(part.repeat(5));
    const cut = out.chunks.at(-1)!.choices[0] as unknown as Record<string, unknown>;
    expect(cut.content_filter_results).toMatchObject({
      violence: { filtered: true },
    });
  });

  it('holds the finish until the whole text is checked; clean text finishes as it came', async () => {
    const { plugin, calls } = gatedPlugin();
    const filtered = gatedFilter(plugin).filterStream(from([part, part, part, part, part]));
    const stream = filtered[Symbol.asyncIterator]();
    const sent: string[] = [];
    for (let i = 0; i < 5; i++) sent.push((await stream.next()).value.choices[0].delta.content);
    expect(sent.join('')).toBe(part.repeat(5));
    const finish = stream.next();
    await macrotask();
    // Checked at 1,000 characters and, for the finish, at all 1,250.
    expect(calls.map((c) => c.text.length)).toEqual([1000, 1250]);
    calls[0]!.release(false);
    calls[1]!.release(false);
    const last = (await finish).value as ChatChunk;
    expect(last.choices[0]!.finish_reason).toBe('stop');
    expect((await stream.next()).done).toBe(true);
  });

  it('a plug-in that throws does not block; the failure is reported', async () => {
    const plugin: ContentFilterPlugin = {
      name: 'broken',
      checkInput: () => ({ hits: [], evaluated: [] }),
      checkOutput: () => Promise.reject(new Error('down')),
    };
    const out = await collect(gatedFilter(plugin).filterStream(from(['fine ', 'text'])));
    expect(out.finish).toBe('stop');
    expect(out.text).toBe('fine text');
    const final = out.chunks.at(-1)!.choices[0] as unknown as Record<string, unknown>;
    expect(final.content_filter_results).toMatchObject({ error: { code: 500 } });
  });
});
