import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// Through the built CLI (the global setup builds dist/): worker threads run the compiled fit-worker.js.
describe('training threads', () => {
  it('gives the same artefact with one thread as with several', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mr-threads-'));
    const words = ['solve', 'integral', 'poem', 'capital', 'python', 'history', 'proof', 'recipe'];
    const lines = Array.from({ length: 160 }, (_, i) => {
      const a = words[i % words.length]!;
      const b = words[(i * 3 + 1) % words.length]!;
      const hard = i % 3 === 0;
      return JSON.stringify({
        id: `r${i}`,
        source: `synthetic/${i % 2 ? 'maths' : 'chat'}`,
        prompt: `${a} ${b} question ${i} ${hard ? 'with many careful steps' : 'quickly'}`,
        scores: {
          big: hard ? 1 : 0.9,
          mid: hard ? i % 2 : 1,
          small: hard ? 0 : i % 5 ? 1 : 0,
          tiny: i % 4 ? 0 : 1,
        },
      });
    });
    writeFileSync(join(dir, 'synthetic.jsonl'), lines.join('\n'));
    const price = (x: number) => ({ input_per_1m_usd: x, output_per_1m_usd: x });
    writeFileSync(
      join(dir, 'prices.json'),
      JSON.stringify({ big: price(10), mid: price(3), small: price(1), tiny: price(0.1) }),
    );
    const train = (threads: string, out: string) => {
      execFileSync(
        process.execPath,
        [
          'bin/model-router',
          'train',
          '--data',
          join(dir, 'synthetic.jsonl'),
          '--prices',
          join(dir, 'prices.json'),
          '--out',
          join(dir, out),
          '--version',
          'v',
        ],
        { env: { ...process.env, MODEL_ROUTER_TRAIN_THREADS: threads }, stdio: 'pipe' },
      );
      const { createdAt: _createdAt, ...rest } = JSON.parse(readFileSync(join(dir, out), 'utf8'));
      return rest as { models: { sparse: string }[] };
    };
    const one = train('1', 'one.json');
    const three = train('3', 'three.json');
    expect(one.models).toHaveLength(4);
    expect(three).toEqual(one);
    // The heads learned something (not all-zero weights that would trivially match).
    expect(one.models.some((m) => /[^A]/.test(m.sparse))).toBe(true);
  });
});
