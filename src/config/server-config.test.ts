// The server block: defaults a user relies on, and a bad value named by its path.
import { describe, expect, it } from 'vitest';
import { buildTestApp } from '../../test/helpers/build-test-app.js';
import { testConfig, testConfigInput } from '../../test/helpers/test-config.js';
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

describe('image form limits', () => {
  /** The config problems of a server block, joined. */
  const problems = (server: Record<string, unknown>) => {
    try {
      parseConfig({ ...testConfigInput(), server }, {});
      return '';
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      return (err as ConfigError).issues.join('\n');
    }
  };

  it("defaults to OpenAI's limits: 50 MB a file, 64 MB a form", () => {
    const { server } = parseConfig({ ...testConfigInput(), server: {} }, {}).config;
    expect(server.imageFileLimitBytes).toBe(50 * 1024 * 1024);
    expect(server.imageFormLimitBytes).toBe(64 * 1024 * 1024);
  });

  it('refuses a limit that is no positive whole number of bytes, or past 1 GiB, by its path', () => {
    expect(problems({ imageFileLimitBytes: 0 })).toMatch(/^server\.imageFileLimitBytes: /);
    expect(problems({ imageFormLimitBytes: 1.5 })).toMatch(/^server\.imageFormLimitBytes: /);
    expect(problems({ imageFormLimitBytes: '64MB' })).toMatch(/^server\.imageFormLimitBytes: /);
    expect(problems({ imageFormLimitBytes: 2 * 1024 ** 3 })).toMatch(
      /^server\.imageFormLimitBytes: .*1073741824/,
    );
  });

  it('refuses a file limit larger than the form limit, saying how to fix it', () => {
    expect(problems({ imageFileLimitBytes: 2_000_000, imageFormLimitBytes: 1_000_000 })).toBe(
      'server.imageFileLimitBytes: 2000000 is larger than server.imageFormLimitBytes (1000000): no form could carry a file that size; raise imageFormLimitBytes or lower this',
    );
    // Larger than the default form limit, with none set: refused too.
    expect(problems({ imageFileLimitBytes: 100 * 1024 * 1024 })).toMatch(
      /^server\.imageFileLimitBytes: 104857600 is larger than server\.imageFormLimitBytes \(67108864\)/,
    );
    expect(problems({ imageFileLimitBytes: 1_000_000, imageFormLimitBytes: 1_000_000 })).toBe('');
  });
});

describe('request timeout', () => {
  // fastify's default is no limit: a client sending its body a byte at a time held a connection
  // open for ever (seen: still open after 150 s). Node answers 408 past `server.requestTimeout`.
  it('gives the HTTP server Node’s 300 s for a whole request, or the configured time', async () => {
    const byDefault = await buildTestApp(testConfig(), {});
    expect(byDefault.app.server.requestTimeout).toBe(300_000);
    await byDefault.app.close();
    const set = await buildTestApp(testConfig({ server: { requestTimeoutSeconds: 30 } }), {});
    expect(set.app.server.requestTimeout).toBe(30_000);
    await set.app.close();
  });
});
