// What the environment leaves out or open, said at load (check-config, start-up) and when a key
// is issued (tour audit, 2026-12-06): an upstream key variable that is not set (F2: the calls went
// with no key and the client was told to send one), and keyed providers behind auth.mode none
// (F5: an issued key looked enforced; the README's config served anyone).
import { describe, expect, it } from 'vitest';
import { keyWarnings } from '../auth/key-routes.js';
import { parseConfig } from './load-config.js';

const openai = {
  name: 'gpt-4.1',
  provider: 'openai',
  model: 'gpt-4.1',
  apiKeyEnv: 'MR_TEST_OPENAI_KEY',
  prices: { inputPer1M: 2, outputPer1M: 8 },
  contextWindow: 1_047_576,
  maxOutputTokens: 32_768,
};
const config = (auth: Record<string, unknown> = {}) => ({
  deployments: [openai],
  routers: [{ name: 'r', modelSubset: ['gpt-4.1'] }],
  auth,
});

describe('environment warnings', () => {
  it("names a deployment's apiKeyEnv that is not set, and not one that is", () => {
    const unset = parseConfig(config({ mode: 'keys' }), {}).warnings;
    expect(unset).toContain(
      "deployments[0].apiKeyEnv: MR_TEST_OPENAI_KEY is not set in the environment: gpt-4.1's upstream will refuse its calls (set it, or correct the name)",
    );
    const set = parseConfig(config({ mode: 'keys' }), { MR_TEST_OPENAI_KEY: 'sk-x' }).warnings;
    expect(set.filter((w) => w.includes('apiKeyEnv'))).toEqual([]);
  });

  it('says a keyed provider is served to anyone under auth.mode none; keys or a simulated fleet, no', () => {
    const env = { MR_TEST_OPENAI_KEY: 'sk-x' };
    const open = (c: unknown) =>
      parseConfig(c, env).warnings.filter((w) => w.startsWith('auth.mode'));
    expect(open(config())).toEqual([
      expect.stringMatching(/^auth\.mode is none: anyone who reaches this port is served/),
    ]);
    expect(open(config({ mode: 'keys' }))).toEqual([]);
    const simulated = {
      deployments: [{ ...openai, provider: 'simulated', apiKeyEnv: undefined }],
      routers: [{ name: 'r', modelSubset: ['gpt-4.1'] }],
    };
    expect(open(simulated)).toEqual([]);
  });

  it('an issued key says so when nothing asks for keys', () => {
    const names = { routers: ['r'], deployments: ['gpt-4.1'] };
    expect(keyWarnings({}, { ...names, authMode: 'none' })).toEqual([
      expect.stringMatching(/^auth\.mode is none: .* this key is not required/),
    ]);
    expect(keyWarnings({}, { ...names, authMode: 'keys' })).toEqual([]);
  });
});
