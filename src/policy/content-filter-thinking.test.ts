// The output content filter on Claude's extended thinking (`reasoning_details`), which the client
// is shown as well as the answer: a blocked term in the thinking blocks the answer as one in its
// text does; a redaction changes the thinking's text, so its signature (which vouches for the text
// as Claude wrote it) is not sent with it; signatures and redacted_thinking's data are never
// scanned or changed. Whole answers and streams, built-in rules and other plug-ins (moderation).
import { describe, expect, it } from 'vitest';
import type { ChatChunk, ChatResponse, ReasoningDetail } from '../core/wire-types.js';
import { createContentFilter } from './content-filter.js';
import type { ContentFilterPlugin } from './filters/filter-types.js';
import { RULES, chunk, collect, filter } from '../../test/helpers/content-filter-fixtures.js';

// A signature that the email rule would match were it scanned: it must go out as it came.
const SIG = 'EqQBCkYIARgCKkBops@corp.com/+AA==';

function answer(details: Partial<ReasoningDetail>[], content = 'Done.'): ChatResponse {
  return {
    id: 'c',
    object: 'chat.completion',
    created: 1,
    model: 'm',
    choices: [
      {
        index: 0,
        finish_reason: 'tool_calls',
        logprobs: null,
        message: {
          role: 'assistant',
          content,
          refusal: null,
          reasoning_details: details.map((d) => ({ provider: 'anthropic', ...d })),
        },
      },
    ],
  } as unknown as ChatResponse;
}

const thinkingOf = (r: ChatResponse) =>
  (r.choices[0]!.message as unknown as { reasoning_details?: unknown[] }).reasoning_details;
const resultsOf = (r: ChatResponse) =>
  (r.choices[0] as unknown as Record<string, unknown>).content_filter_results;

/** A plug-in (as moderation is) that flags any text with "attack" in it. */
const flagging: ContentFilterPlugin = {
  name: 'flags-attack',
  checkInput: () => ({ hits: [], evaluated: ['violence'] }),
  checkOutput: (text) => ({
    hits: text.includes('attack')
      ? [{ plugin: 'flags-attack', ruleId: 'violence', category: 'violence', action: 'block' }]
      : [],
    evaluated: ['violence'],
  }),
};
const moderated = () => createContentFilter({ enabled: true, rules: [] }, { plugins: [flagging] })!;

describe('content filter: thinking in a whole answer', () => {
  it('a blocked term in the thinking blocks the answer, thinking and all', async () => {
    const out = await filter(RULES).filterOutput(
      answer([
        { type: 'thinking', thinking: 'The Bluebird launch date is secret.', signature: SIG },
      ]),
    );
    expect(out.choices[0]!.finish_reason).toBe('content_filter');
    expect(out.choices[0]!.message.content).toBe('');
    expect(thinkingOf(out)).toBeUndefined();
    expect(resultsOf(out)).toMatchObject({
      custom_blocklists: { filtered: true, details: [{ filtered: true, id: 'secret-project' }] },
    });
  });

  it('redacts the thinking; a redacted block goes without its signature, the others keep theirs untouched', async () => {
    const out = await filter(RULES).filterOutput(
      answer([
        { type: 'thinking', thinking: 'Write to jane.doe@example.com first.', signature: 'sig-1' },
        { type: 'redacted_thinking', data: 'opaque ops@corp.com' },
        { type: 'thinking', thinking: 'Then answer.', signature: SIG },
      ]),
    );
    expect(out.choices[0]!.finish_reason).toBe('tool_calls');
    expect(thinkingOf(out)).toEqual([
      { provider: 'anthropic', type: 'thinking', thinking: 'Write to [redacted:email] first.' },
      { provider: 'anthropic', type: 'redacted_thinking', data: 'opaque ops@corp.com' },
      { provider: 'anthropic', type: 'thinking', thinking: 'Then answer.', signature: SIG },
    ]);
    expect(resultsOf(out)).toMatchObject({
      personally_identifiable_information: { detected: true, redacted: true },
    });
  });

  it('other plug-ins (moderation) read the thinking too', async () => {
    const out = await moderated().filterOutput(
      answer([{ type: 'thinking', thinking: 'Plan the attack.', signature: SIG }], 'Fine.'),
    );
    expect(out.choices[0]!.finish_reason).toBe('content_filter');
    expect(thinkingOf(out)).toBeUndefined();
  });
});

/** A stream as the Anthropic adapter sends one: thinking pieces, the signature, then the text. */
async function* streamed(
  pieces: Partial<ReasoningDetail>[],
  text: string[] = ['Done.'],
): AsyncGenerator<ChatChunk> {
  for (const p of pieces) {
    const c = chunk(undefined);
    c.choices[0]!.delta = {
      reasoning_details: [{ provider: 'anthropic', type: 'thinking', index: 0, ...p }],
    } as ChatChunk['choices'][number]['delta'];
    yield c;
  }
  for (const t of text) yield chunk(t);
  yield chunk(undefined, 'stop');
}

/** What a client makes of a filtered stream: the thinking block(s), the text, the finish. */
async function received(stream: AsyncIterable<ChatChunk>) {
  const out = await collect(stream);
  const blocks = new Map<number, { thinking: string; signature?: string }>();
  for (const c of out.chunks)
    for (const d of (c.choices[0]?.delta as { reasoning_details?: ReasoningDetail[] })
      ?.reasoning_details ?? []) {
      const b = blocks.get(d.index ?? 0) ?? { thinking: '' };
      b.thinking += d.thinking ?? '';
      if (d.signature !== undefined) b.signature = d.signature;
      blocks.set(d.index ?? 0, b);
    }
  return { ...out, thinking: [...blocks.values()] };
}

describe('content filter: thinking in a stream', () => {
  const thinking = 'First mail jane.doe@example.com, then answer.';

  it('redacts the thinking at every split point and holds back its signature', async () => {
    for (let i = 0; i <= thinking.length; i++) {
      const out = await received(
        filter(RULES).filterStream(
          streamed([
            { thinking: thinking.slice(0, i) },
            { thinking: thinking.slice(i) },
            { signature: SIG },
          ]),
        ),
      );
      expect(out.thinking, `split at ${i}`).toEqual([
        { thinking: 'First mail [redacted:email], then answer.' },
      ]);
      expect(out.text).toBe('Done.');
      expect(out.finish).toBe('stop');
    }
  });

  it('clean thinking goes out whole with its signature untouched', async () => {
    const out = await received(
      filter(RULES).filterStream(
        streamed([{ thinking: 'Read the ' }, { thinking: 'file first.' }, { signature: SIG }]),
      ),
    );
    expect(out.thinking).toEqual([{ thinking: 'Read the file first.', signature: SIG }]);
    expect(out.text).toBe('Done.');
  });

  it('a blocked term in the thinking ends the stream with content_filter before it or any text goes out', async () => {
    const out = await received(
      filter(RULES).filterStream(
        streamed(
          [{ thinking: 'The Blue' }, { thinking: 'bird launch is on.' }, { signature: SIG }],
          ['Bluebird ', 'launches soon.'],
        ),
      ),
    );
    expect(out.finish).toBe('content_filter');
    expect(out.thinking.map((t) => t.thinking).join('')).toBe('The ');
    expect(out.thinking.every((t) => t.signature === undefined)).toBe(true);
    expect(out.text).toBe('');
  });

  it('other plug-ins (moderation) read the streamed thinking too', async () => {
    const out = await received(
      moderated().filterStream(
        streamed([{ thinking: 'Plan the attack.' }, { signature: SIG }], ['Fine.']),
      ),
    );
    expect(out.finish).toBe('content_filter');
  });
});

describe('content filter: thinking in a stream cut short', () => {
  it('releases the thinking held back when the upstream ends mid-thought, checked', async () => {
    const upstream = (async function* () {
      for await (const c of streamed(
        [{ thinking: 'Write to ' }, { thinking: 'ops@corp.com and wait' }],
        [],
      ))
        if (!c.choices[0]?.finish_reason) yield c; // no finish: the upstream stopped
    })();
    const out = await received(filter(RULES).filterStream(upstream));
    expect(out.thinking).toEqual([{ thinking: 'Write to [redacted:email] and wait' }]);
  });
});
