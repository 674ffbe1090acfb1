// compare's scored.jsonl rows: plain targets' graded answers only, under the targets' names.
import { describe, expect, it } from 'vitest';
import type { ComparePrompt } from './compare-inputs.js';
import type { CompareResult, CompareRow } from './compare-run.js';
import { compareScoredRows, scoreNames } from './compare-scored.js';

const row = (prompt_id: string, target: string, extra: Partial<CompareRow>): CompareRow => ({
  prompt_id,
  run: target,
  target,
  status: 200,
  ok: true,
  latency_ms: 1,
  prompt_kind: 'chat',
  prompt_chars: 10,
  answer_chars: 20,
  ...extra,
});

describe('compareScoredRows', () => {
  it('keeps graded plain targets; leaves out routers, modes, failures and ungraded answers', () => {
    const prompts: ComparePrompt[] = [
      {
        id: 'a',
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: 'Hi?' },
        ],
        text: 'Hi?',
        source: 'chat',
      },
      { id: 'b', messages: [{ role: 'user', content: 'Only a router graded.' }], text: '' },
      {
        id: 'c',
        messages: [
          { role: 'user', content: 'One.' },
          { role: 'assistant', content: 'Two.' },
          { role: 'user', content: 'Three?' },
        ],
        text: 'Three?',
      },
    ];
    const result = {
      endpoint: 'http://127.0.0.1:1',
      rows: [
        row('a', 'big', { quality: 1, cost_usd: 0.002, answer_chars: 7 }),
        row('a', 'small', { quality: 0 }),
        row('a', 'down', { ok: false, quality: 1 }),
        row('a', 'nograde', {}),
        row('a', 'router', { quality: 1 }),
        row('b', 'router', { quality: 1 }),
        row('b', 'router', { quality: 1, mode_asked: 'cost', run: 'router (cost)' }),
        row('b', 'big', { quality: 1, mode_asked: 'cost' }),
        row('c', 'small', { quality: 0.5 }),
      ],
    } as unknown as CompareResult;
    const out = compareScoredRows(result, prompts, new Set(['router']));
    expect(out).toEqual([
      {
        id: 'a',
        source: 'chat',
        prompt: 'Be brief.\n\nHi?',
        multi_turn: false,
        scores: { big: 1, small: 0 },
        cost_usd: { big: 0.002 },
        out_chars: { big: 7, small: 20 },
        meta: { compare: 'http://127.0.0.1:1' },
      },
      {
        id: 'c',
        source: 'compare',
        prompt: 'One.\n\nTwo.\n\nThree?',
        multi_turn: true,
        scores: { small: 0.5 },
        out_chars: { small: 20 },
        meta: { compare: 'http://127.0.0.1:1' },
      },
    ]);
  });

  it('scores a target under the name --score-as gives it, one name per target', () => {
    const prompts: ComparePrompt[] = [
      { id: 'a', messages: [{ role: 'user', content: 'Hi?' }], text: 'Hi?' },
    ];
    const result = {
      endpoint: 'e',
      rows: [row('a', 'gpt-4.1', { quality: 1 }), row('a', 'gpt-4.1-mini', { quality: 0 })],
    } as unknown as CompareResult;
    const { names } = scoreNames('gpt-4.1=big-model', ['gpt-4.1', 'gpt-4.1-mini']);
    expect(compareScoredRows(result, prompts, new Set(), names)[0]!.scores).toEqual({
      'big-model': 1,
      'gpt-4.1-mini': 0,
    });
    expect(() => scoreNames('gpt-4.1', ['gpt-4.1'])).toThrow(/"gpt-4.1" is not target=model/);
    expect(() => scoreNames('ghost=m', ['gpt-4.1'])).toThrow(/"ghost" is not one of --targets/);
    expect(() => scoreNames('a=m,b=m', ['a', 'b'])).toThrow(/a and b would both be scored as "m"/);
    expect(() => scoreNames('a=b', ['a', 'b'])).toThrow(/a and b would both be scored as "b"/);
  });

  it('scores a deployment under the model it is like: unless --score-as says otherwise or names would clash', () => {
    const likes = new Map([
      ['gpt-4.1', 'nemotron-51b'],
      ['gpt-4.1-mini', 'qwen-7b'],
      ['gpt-4.1-nano', 'llama-8b'],
      ['eu-mini', 'qwen-7b'],
      ['own', 'own'],
    ]);
    // Every target mapped by its like:, none shared.
    expect(scoreNames(undefined, ['gpt-4.1', 'gpt-4.1-mini', 'own'], likes)).toEqual({
      names: new Map([
        ['gpt-4.1', 'nemotron-51b'],
        ['gpt-4.1-mini', 'qwen-7b'],
      ]),
      fromLike: new Map([
        ['gpt-4.1', 'nemotron-51b'],
        ['gpt-4.1-mini', 'qwen-7b'],
      ]),
      shared: [],
    });
    // --score-as wins, t=t keeps the target's own name.
    expect(
      scoreNames('gpt-4.1=x,gpt-4.1-mini=gpt-4.1-mini', ['gpt-4.1', 'gpt-4.1-mini'], likes).names,
    ).toEqual(
      new Map([
        ['gpt-4.1', 'x'],
        ['gpt-4.1-mini', 'gpt-4.1-mini'],
      ]),
    );
    // Two deployments like one model: both keep their own names, the third is still mapped.
    const shared = scoreNames(undefined, ['gpt-4.1-mini', 'eu-mini', 'gpt-4.1-nano'], likes);
    expect(shared.names).toEqual(new Map([['gpt-4.1-nano', 'llama-8b']]));
    expect(shared.shared.sort()).toEqual(['eu-mini', 'gpt-4.1-mini']);
    // ... unless --score-as names one of them: the other then takes the like: name.
    expect(scoreNames('eu-mini=eu-mini', ['gpt-4.1-mini', 'eu-mini'], likes).names).toEqual(
      new Map([
        ['gpt-4.1-mini', 'qwen-7b'],
        ['eu-mini', 'eu-mini'],
      ]),
    );
    // A like: name that is another target's own name is not taken; dropping it can clash again.
    const chain = new Map([
      ['a', 'b'],
      ['c', 'a'],
    ]);
    expect(scoreNames(undefined, ['a', 'b', 'c'], chain)).toMatchObject({
      names: new Map(),
      shared: ['a', 'c'],
    });
  });
});
