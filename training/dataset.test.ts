// Prices for models a price file names otherwise (a provider prefix, another case).
import { describe, expect, it } from 'vitest';
import { pricesByBareName, type DataRow, type Price } from './dataset.js';
import { trainArtefact } from './train-artefact.js';

const mixtral: Price = { inputPer1M: 0.6, outputPer1M: 0.6 };
const table = new Map<string, Price>([
  ['mistralai/Mixtral-8x7B-Instruct-v0.1', mixtral],
  ['gpt-4-1106-preview', { inputPer1M: 10, outputPer1M: 30 }],
  ['a/twin', { inputPer1M: 1, outputPer1M: 1 }],
  ['b/twin', { inputPer1M: 2, outputPer1M: 2 }],
]);

describe('prices by bare name', () => {
  it('prices a model named without its provider prefix or in another case, and says so', () => {
    const warnings: string[] = [];
    const models = ['Mixtral-8x7B-Instruct-v0.1', 'GPT-4-1106-preview', 'twin', 'unknown'];
    const prices = pricesByBareName(table, models, 'f.jsonl', (w) => warnings.push(w));
    expect(prices.get('Mixtral-8x7B-Instruct-v0.1')).toEqual(mixtral);
    expect(prices.get('GPT-4-1106-preview')).toEqual({ inputPer1M: 10, outputPer1M: 30 });
    // Two names match `twin`: it stays unpriced (left out of the pool, with its own warning).
    expect(prices.has('twin')).toBe(false);
    expect(prices.has('unknown')).toBe(false);
    expect(warnings).toEqual([
      'f.jsonl: model "Mixtral-8x7B-Instruct-v0.1" has no price under that name; priced as "mistralai/Mixtral-8x7B-Instruct-v0.1" (0.6 / 0.6 USD per 1M input / output tokens)',
      'f.jsonl: model "GPT-4-1106-preview" has no price under that name; priced as "gpt-4-1106-preview" (10 / 30 USD per 1M input / output tokens)',
    ]);
    // The price file's own table is left as it was.
    expect(table.has('Mixtral-8x7B-Instruct-v0.1')).toBe(false);
    expect(pricesByBareName(table, ['gpt-4-1106-preview'], 'f', () => {})).toBe(table);
  });

  it('lets train fit such a model instead of leaving it out', () => {
    const rows: DataRow[] = Array.from({ length: 60 }, (_, i) => ({
      id: `r${i}`,
      source: 's/t',
      prompt: `question ${i} about ${i % 2 ? 'maths' : 'poems'}`,
      scores: { 'Mixtral-8x7B-Instruct-v0.1': i % 3 ? 1 : 0, 'gpt-4-1106-preview': 1 },
      contaminated: false,
      group: 'f.jsonl',
    }));
    const warnings: string[] = [];
    const { artefact } = trainArtefact(new Map([['f.jsonl', rows]]), () => table, {
      seed: 1,
      onWarning: (w) => warnings.push(w),
    });
    expect(artefact.models.map((m) => m.name).sort()).toEqual([
      'Mixtral-8x7B-Instruct-v0.1',
      'gpt-4-1106-preview',
    ]);
    expect(artefact.models.find((m) => m.name === 'Mixtral-8x7B-Instruct-v0.1')!.prices).toEqual(
      mixtral,
    );
    expect(warnings.join('\n')).toContain('priced as "mistralai/Mixtral-8x7B-Instruct-v0.1"');
  });
});
