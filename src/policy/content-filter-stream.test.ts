// The content filter on streamed answers: the same text as on a whole answer at every split point,
// never holding back more than the longest pattern.
import { describe, expect, it } from 'vitest';
import { scanStep } from './content-filter-stream.js';
import { createPatternFilter } from './filters/pattern-filter.js';
import type { ChatResponse } from '../core/wire-types.js';
import { RULES, chunk, collect, filter, from } from '../../test/helpers/content-filter-fixtures.js';

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

  it('a secret longer than the hold-back (a JWT, a PEM key) is redacted at every split point', async () => {
    const f = filter([
      { id: 's', kind: 'pii', patterns: ['secret'], action: 'redact', appliesTo: 'output' },
    ]);
    const text =
      'token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkphbmUgRG9lIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U and key -----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\n-----END PRIVATE KEY----- done';
    for (let i = 0; i <= text.length; i++) {
      const out = await collect(f.filterStream(from([text.slice(0, i), text.slice(i)])));
      expect(out.text, `split at ${i}`).toBe(
        'token [redacted:secret] and key [redacted:secret] done',
      );
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

  // Security audit F1 (2026-12-06): a streamed answer's tool-call arguments were not read.
  describe('tool-call arguments', () => {
    const argsChunk = (index: number, args: string, extra: object = {}) =>
      ({
        ...chunk(undefined),
        choices: [
          {
            index: 0,
            delta: { tool_calls: [{ index, function: { arguments: args }, ...extra }] },
            finish_reason: null,
            logprobs: null,
          },
        ],
      }) as unknown as ReturnType<typeof chunk>;
    const argsOf = (chunks: ReturnType<typeof chunk>[]) => {
      const out = new Map<number, string>();
      for (const c of chunks)
        for (const ch of c.choices)
          for (const t of (
            ch.delta as { tool_calls?: { index: number; function?: { arguments?: string } }[] }
          ).tool_calls ?? [])
            out.set(t.index, (out.get(t.index) ?? '') + (t.function?.arguments ?? ''));
      return out;
    };
    const split = (text: string, at: number) => [text.slice(0, at), text.slice(at)];

    it('redacts them per call at every split point, and sends them whole at the finish', async () => {
      const f = filter(redactRules);
      const a = '{"to":"jane.doe@example.com","body":"hi"}';
      const b = '{"phone":"+44 20 7946 0958"}';
      for (let at = 0; at <= a.length; at += 3) {
        async function* upstream() {
          const [a1, a2] = split(a, at);
          yield argsChunk(0, a1!, {
            id: 'call_a',
            type: 'function',
            function: { name: 'mail', arguments: a1 },
          });
          yield argsChunk(1, b);
          yield argsChunk(0, a2!);
          yield chunk(undefined, 'tool_calls');
        }
        const out = await collect(f.filterStream(upstream()));
        expect(out.finish).toBe('tool_calls');
        expect(argsOf(out.chunks)).toEqual(
          new Map([
            [0, '{"to":"[redacted:email]","body":"hi"}'],
            [1, '{"phone":"[redacted:phone]"}'],
          ]),
        );
      }
    });

    it('a blocked word in them ends the stream with content_filter and no more of the call', async () => {
      async function* upstream() {
        yield argsChunk(0, '{"q":"the Blue');
        yield argsChunk(0, 'bird launch"}');
        yield chunk(undefined, 'tool_calls');
      }
      const out = await collect(filter(RULES).filterStream(upstream()));
      expect(out.finish).toBe('content_filter');
      expect([...argsOf(out.chunks).values()].join('')).not.toMatch(/bird/i);
    });

    it('flushes what is held when the upstream ends without a finish_reason', async () => {
      async function* upstream() {
        yield argsChunk(0, '{"to":"x@y.org"}');
      }
      const out = await collect(filter(redactRules).filterStream(upstream()));
      expect(argsOf(out.chunks).get(0)).toBe('{"to":"[redacted:email]"}');
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
