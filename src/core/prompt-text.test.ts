import type * as GptTokenizer from 'gpt-tokenizer';
import { countTokens } from 'gpt-tokenizer';
import { describe, expect, it, vi } from 'vitest';
import type { ChatRequest } from './wire-types.js';

// Every call the code under test makes to the real tokenizer is counted.
const calls = vi.hoisted(() => ({ n: 0 }));
vi.mock('gpt-tokenizer', async (importOriginal) => {
  const real = await importOriginal<typeof GptTokenizer>();
  return {
    ...real,
    countTokens: (text: string) => {
      calls.n++;
      return real.countTokens(text);
    },
  };
});
// Test files share a worker's modules (vitest.config.ts: isolate false), so the module under test
// may already be loaded with the real tokenizer: load it afresh, with the counting one.
vi.resetModules();
const { collectPromptText, countCacheSize, countPromptTokens, estimatePromptTokens } =
  await import('./prompt-text.js');

const long = (seed: string, chars = 2_000) => {
  let s = '';
  for (let i = 0; s.length < chars; i++) s += `${seed} sentence ${i} about routing models. `;
  return s;
};
const chat = (...contents: string[]): ChatRequest =>
  ({
    model: 'm',
    messages: contents.map((content, i) => ({
      role: i % 2 ? 'assistant' : 'user',
      content,
    })),
  }) as ChatRequest;

describe('countPromptTokens', () => {
  it("counts each message's text with the real tokenizer, plus the chat format's overhead", async () => {
    const request = {
      model: 'm',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: [{ type: 'text', text: 'What is 2 + 2?' }] },
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            { id: 't', type: 'function', function: { name: 'add', arguments: '{"a":2,"b":2}' } },
          ],
        },
      ],
      tools: [{ type: 'function', function: { name: 'add', parameters: {} } }],
    } as unknown as ChatRequest;
    const expected =
      countTokens('Be brief.') +
      countTokens('What is 2 + 2?') +
      countTokens('{"a":2,"b":2}') +
      countTokens(JSON.stringify(request.tools)) +
      3 * (3 + 1);
    expect(await countPromptTokens(request)).toBe(expected);
  });

  // gpt-tokenizer merges a pre-token's byte pairs in quadratic time: a 60,000-character run of
  // CJK took ~25 s on the event loop (a 4 MB one, hours), and any client can ask for a count.
  // In pieces of 256 it takes ~0.3 s; the guard is this test's timeout, not a clock assertion.
  it('counts a long run (CJK, letters, spaces) in linear time, prose exactly as before', async () => {
    const runs = ['中文字漢語言'.repeat(10_000), 'x'.repeat(30_000), ' '.repeat(30_000)];
    // Each run as pieces of 256 characters (never the whole run: that is the quadratic call).
    let pieces = 0;
    for (const run of runs)
      for (let i = 0; i < run.length; i += 256) pieces += countTokens(run.slice(i, i + 256));
    expect(await countPromptTokens(chat(...runs))).toBe(pieces + 3 * 4);
    const prose = `${long('prose', 20_000)}\n\n   indented — 中文 text, code: x = a+b; // ok`;
    expect(await countPromptTokens(chat(prose))).toBe(countTokens(prose) + 3 * 2);
  }, 10_000);

  it('tokenizes a resent history once per caller: each turn counts only what is new', async () => {
    const history = [long('a'), long('b'), long('c')];
    const next = long('d');
    const nextTokens = countTokens(next); // (counted here, before the tally starts)
    calls.n = 0;
    const first = await countPromptTokens(chat(...history), 'key-1');
    expect(calls.n).toBe(3);
    const second = await countPromptTokens(chat(...history, next), 'key-1');
    expect(calls.n).toBe(4); // only the new turn
    expect(second).toBe(first + nextTokens + 3);
    // Another caller's identical texts are counted afresh (no cross-tenant timing signal).
    await countPromptTokens(chat(...history), 'key-2');
    expect(calls.n).toBe(7);
    // Short texts are not kept.
    const before = countCacheSize().texts;
    await countPromptTokens(chat('short one', 'short two'), 'key-1');
    expect(countCacheSize().texts).toBe(before);
  });

  it('keeps at most 4 million characters, dropping the least recently used', async () => {
    for (let i = 0; i < 6; i++) await countPromptTokens(chat(long(`bulk${i}`, 900_000)), 'bulk');
    const { chars } = countCacheSize();
    expect(chars).toBeLessThanOrEqual(4_000_000);
    expect(chars).toBeGreaterThan(3_000_000);
    // The most recent text is still there: counting it again does not tokenize.
    calls.n = 0;
    await countPromptTokens(chat(long('bulk5', 900_000)), 'bulk');
    expect(calls.n).toBe(0);
    // The oldest was evicted.
    await countPromptTokens(chat(long('bulk0', 900_000)), 'bulk');
    expect(calls.n).toBe(1);
  });

  it('evicts the caller used least recently first, whether its last count was a hit or not', async () => {
    const big = (seed: string) => chat(long(seed, 900_000));
    await countPromptTokens(big('A1'), 'A');
    await countPromptTokens(big('B1'), 'B');
    await countPromptTokens(big('A2'), 'A'); // A is now more recent than B
    await countPromptTokens(big('C1'), 'C');
    await countPromptTokens(big('C2'), 'C'); // over the bound: B's text goes, not A's older one
    calls.n = 0;
    await countPromptTokens(big('A1'), 'A');
    expect(calls.n).toBe(0);
    await countPromptTokens(big('B1'), 'B');
    expect(calls.n).toBe(1);
  });
});

describe('estimatePromptTokens', () => {
  it("counts the tools' definitions, which every provider bills as prompt (they were left out)", async () => {
    const tools = Array.from({ length: 24 }, (_, i) => ({
      type: 'function' as const,
      function: {
        name: `tool_${i}`,
        description: long(`tool ${i}`, 2_000),
        parameters: { type: 'object', properties: { path: { type: 'string' } } },
      },
    }));
    const bare = chat('Say hello');
    const withTools = { ...bare, tools } as ChatRequest;
    const exact = await countPromptTokens(withTools);
    const estimate = estimatePromptTokens(withTools, collectPromptText(withTools));
    expect(estimate - estimatePromptTokens(bare, collectPromptText(bare))).toBeGreaterThan(
      (24 * 2_000) / 4,
    );
    // Within a third of the tokenizer's count (it was a fifth of it for an agent's request).
    expect(Math.abs(estimate - exact) / exact).toBeLessThan(1 / 3);
  });
});
