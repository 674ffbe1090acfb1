// `check-config`: OK with the counts, each noun as many as it counts ("1 router deployment").
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { run } from './check-config.js';

const deployment = (name: string) => `  - name: ${name}
    provider: simulated
    model: ${name}
    like: gpt-4-1106-preview
    prices: { inputPer1M: 1, outputPer1M: 2 }
    contextWindow: 1000
    maxOutputTokens: 100
`;

describe('check-config', () => {
  afterEach(() => vi.restoreAllMocks());

  it('counts deployments and router deployments in the singular and the plural', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mr-check-config-'));
    const out: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true));
    const one = join(dir, 'one.yaml');
    writeFileSync(
      one,
      `deployments:\n${deployment('a')}routers:\n  - name: r\n    modelSubset: [a]\n`,
    );
    expect(await run([one])).toBe(0);
    expect(out.join('')).toContain(`${one}: OK (1 deployment, 1 router deployment)`);
    const two = join(dir, 'two.yaml');
    writeFileSync(
      two,
      `deployments:\n${deployment('a')}${deployment('b')}routers:\n  - name: r\n    modelSubset: [a, b]\n  - name: s\n    modelSubset: [a]\n`,
    );
    expect(await run([two])).toBe(0);
    expect(out.join('')).toContain(`${two}: OK (2 deployments, 2 router deployments)`);
  });
});
