// The server block: defaults a user relies on, and a bad value named by its path.
import { describe, expect, it } from 'vitest';
import { testConfigInput } from '../../test/helpers/test-config.js';
import { ConfigError, parseConfig } from './load-config.js';

describe('server config', () => {
  it('defaults the heap growth to 25% and rejects a value outside 0–100 by its path', () => {
    const input = testConfigInput() as Record<string, unknown>;
    delete input.server;
    expect(parseConfig(input, {}).config.server.heapGrowthPercent).toBe(25);
    const bad = { ...testConfigInput(), server: { heapGrowthPercent: 150 } };
    try {
      parseConfig(bad, {});
      expect.unreachable('a heap growth of 150% must be refused');
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).issues.join('\n')).toMatch(/server\.heapGrowthPercent/);
    }
    expect(
      parseConfig({ ...testConfigInput(), server: { heapGrowthPercent: 0 } }, {}).config.server
        .heapGrowthPercent,
    ).toBe(0);
  });
});
