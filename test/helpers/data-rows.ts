// Data rows for training tests: one model `m` scored, in group `g.jsonl`.
import type { DataRow } from '../../training/dataset.js';

/** Row `i` of `source`, model `m` scored `score` (spread it and override fields as a test needs). */
export function dataRow(i: number, source: string, score: number): DataRow {
  return {
    id: `r${i}`,
    source,
    prompt: `prompt ${i}`,
    scores: { m: score },
    contaminated: false,
    group: 'g.jsonl',
  };
}
