// The output content filter on an OpenAI-format server's reasoning text (DeepSeek's and vLLM's
// `reasoning_content`, OpenRouter's `reasoning`), which the client is shown as it is shown
// Claude's thinking: a blocked term in it blocks the answer, a redaction masks it, in a whole
// answer and in a stream split at every offset, with the built-in rules and other plug-ins.
import { describe, expect, it } from 'vitest';
import type { ChatChunk, ChatResponse } from '../core/wire-types.js';
import { createContentFilter } from './content-filter.js';
import type { ContentFilterPlugin } from './filters/filter-types.js';
import { RULES, chunk, collect, filter } from '../../test/helpers/content-filter-fixtures.js';

type Field = 'reasoning_content' | 'reasoning';

function answer(field: Field, reasoning: string, content = 'Done.'): ChatResponse {
  return {
    id: 'c',
    object: 'chat.completion',
    created: 1,
    model: 'm',
    choices: [
      {
        index: 0,
        finish_reason: 'stop',
        logprobs: null,
        message: { role: 'assistant', content, refusal: null, [field]: reasoning },
      },
    ],
  } as unknown as ChatResponse;
}

const messageOf = (r: ChatResponse) => r.choices[0]!.message as unknown as Record<string, unknown>;

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

describe('content filter: reasoning text in a whole answer', () => {
  for (const field of ['reasoning_content', 'reasoning'] as const) {
    it(`redacts PII in ${field}`, async () => {
      const out = await filter(RULES).filterOutput(
        answer(field, 'Mail jane.doe@example.com about it.'),
      );
      expect(messageOf(out)[field]).toBe('Mail [redacted:email] about it.');
      expect(out.choices[0]!.finish_reason).toBe('stop');
    });

    it(`a blocked term in ${field} blocks the answer, reasoning and all`, async () => {
      const out = await filter(RULES).filterOutput(answer(field, 'The Bluebird date is secret.'));
      expect(out.choices[0]!.finish_reason).toBe('content_filter');
      expect(messageOf(out)).not.toHaveProperty(field);
      expect(out.choices[0]!.message.content).toBe('');
    });
  }

  it('a moderation plug-in reads the reasoning text', async () => {
    const out = await moderated().filterOutput(answer('reasoning_content', 'Plan the attack.'));
    expect(out.choices[0]!.finish_reason).toBe('content_filter');
    expect(messageOf(out)).not.toHaveProperty('reasoning_content');
  });

  it('both fields (vLLM 0.10 sends the same text twice) are each redacted', async () => {
    const a = answer('reasoning_content', 'Call +1 415 555 0100.');
    messageOf(a).reasoning = 'Call +1 415 555 0100.';
    const out = await filter(RULES).filterOutput(a);
    expect(messageOf(out).reasoning_content).not.toContain('555');
    expect(messageOf(out).reasoning).toBe(messageOf(out).reasoning_content);
  });

  it('the same text in both fields is checked once: one moderation call, its hits once', async () => {
    const checked: string[] = [];
    const counting: ContentFilterPlugin = {
      ...flagging,
      checkOutput: (text) => (checked.push(text), flagging.checkOutput(text)),
    };
    const f = createContentFilter({ enabled: true, rules: [] }, { plugins: [counting] })!;
    const a = answer('reasoning_content', 'Think it over.');
    messageOf(a).reasoning = 'Think it over.';
    const out = await f.filterOutput(a);
    expect(checked).toEqual(['Done.', 'Think it over.']);
    expect(messageOf(out)).toMatchObject({
      reasoning_content: 'Think it over.',
      reasoning: 'Think it over.',
    });
    // Different texts (no server is known to send them, but nothing says they match) are each read.
    checked.length = 0;
    const b = answer('reasoning_content', 'Think it over.');
    messageOf(b).reasoning = 'Plan the attack.';
    const blocked = await f.filterOutput(b);
    expect(checked).toEqual(['Done.', 'Think it over.', 'Plan the attack.']);
    expect(blocked.choices[0]!.finish_reason).toBe('content_filter');
  });
});

/** A stream as a DeepSeek-style server sends one: reasoning pieces, then the answer. */
async function* streamed(field: Field, pieces: string[], text = ['Done.']) {
  for (const p of pieces) {
    const c = chunk(undefined);
    c.choices[0]!.delta = { [field]: p } as ChatChunk['choices'][number]['delta'];
    yield c;
  }
  for (const t of text) yield chunk(t);
  yield chunk(undefined, 'stop');
}

async function received(stream: AsyncIterable<ChatChunk>, field: Field) {
  const out = await collect(stream);
  let reasoning = '';
  for (const c of out.chunks)
    for (const ch of c.choices) {
      const r = (ch.delta as Record<string, unknown>)[field];
      if (typeof r === 'string') reasoning += r;
    }
  return { ...out, reasoning };
}

describe('content filter: reasoning text in a stream', () => {
  const reasoning = 'First mail jane.doe@example.com, then answer.';

  it('redacts it at every split point, the answer after it', async () => {
    for (const field of ['reasoning_content', 'reasoning'] as const)
      for (let i = 0; i <= reasoning.length; i++) {
        const out = await received(
          filter(RULES).filterStream(streamed(field, [reasoning.slice(0, i), reasoning.slice(i)])),
          field,
        );
        expect(out.reasoning, `${field} split at ${i}`).toBe(
          'First mail [redacted:email], then answer.',
        );
        expect(out.text).toBe('Done.');
        expect(out.finish).toBe('stop');
      }
  });

  it('a blocked term split across chunks ends the stream before it is shown', async () => {
    const text = 'Think about Bluebird now.';
    for (let i = 0; i <= text.length; i++) {
      const out = await received(
        filter(RULES).filterStream(
          streamed('reasoning_content', [text.slice(0, i), text.slice(i)]),
        ),
        'reasoning_content',
      );
      expect(out.reasoning, `split at ${i}`).not.toContain('Bluebird');
      expect(out.finish).toBe('content_filter');
      expect(out.text).toBe('');
    }
  });

  it('reasoning held back at a stream that ends without a finish still goes out, filtered', async () => {
    async function* cutOff() {
      const c = chunk(undefined);
      c.choices[0]!.delta = {
        reasoning_content: 'Reach me at jane.doe@example.com',
      } as ChatChunk['choices'][number]['delta'];
      yield c;
    }
    const out = await received(filter(RULES).filterStream(cutOff()), 'reasoning_content');
    expect(out.reasoning).toBe('Reach me at [redacted:email]');
  });

  it('a moderation plug-in reads streamed reasoning text and cuts the stream', async () => {
    const out = await received(
      moderated().filterStream(streamed('reasoning', ['Plan the ', 'attack.'])),
      'reasoning',
    );
    // Moderation lets text flow and holds only the finish (moderation-stream.ts).
    expect(out.finish).toBe('content_filter');
  });
});
