// Config errors say what to fix at the key's path, not zod's type-and-operator wording.
import { describe, expect, it } from 'vitest';
import { simDeployment, testConfigInput } from '../../test/helpers/test-config.js';
import { ConfigError, parseConfig } from './load-config.js';
import { closestKey } from './zod-issue-message.js';

/** The issues of a config, or [] when it is valid. */
function issuesOf(raw: unknown): string[] {
  try {
    parseConfig(raw, {});
    return [];
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return err.issues;
  }
}

describe('config error messages', () => {
  it('names each common mistake in words, with its path', () => {
    const input = testConfigInput();
    const [first] = input.deployments;
    const { contextWindow: _dropped, ...noWindow } = first!;
    const issues = issuesOf({
      ...input,
      deployments: [
        { ...noWindow, prices: { inputPer1M: '1', outputPer1M: -1 }, kind: 'chatt' },
        simDeployment('b', { contextWindow: 0, contxtWindow: 5 } as never),
        ...input.deployments.slice(1),
      ],
      routers: [{ name: 'r', routingMode: 'cheap', modelSubset: [] }],
    });
    expect(issues).toEqual(
      expect.arrayContaining([
        'deployments[0].contextWindow: missing: this key is required (a number)',
        'deployments[0].prices.inputPer1M: must be a number, not "1"',
        'deployments[0].prices.outputPer1M: must be at least 0 (got -1)',
        'deployments[0].kind: must be one of "chat", "embeddings", "moderation", "images", "speech", "transcription", "rerank", "realtime" (got "chatt")',
        'deployments[1].contextWindow: must be greater than 0 (got 0)',
        'deployments[1].contxtWindow: unknown key; did you mean "contextWindow"? (check the spelling; docs/configuration.md lists every key)',
        'routers[0].routingMode: must be one of "balanced", "quality", "cost" (got "cheap")',
        'routers[0].modelSubset: must list at least one item',
      ]),
    );
    // None of zod's own wording is left.
    expect(issues.join('\n')).not.toMatch(
      /Invalid input|Invalid option|Too small|Too big|received/,
    );
  });

  it('says the upper bound and an empty string the same way', () => {
    const issues = issuesOf({
      ...testConfigInput(),
      server: { heapGrowthPercent: 150 },
      routers: [{ name: '', modelSubset: ['big'] }],
    });
    expect(issues).toEqual(
      expect.arrayContaining([
        'server.heapGrowthPercent: must be at most 100 (got 150)',
        'routers[0].name: must not be empty',
      ]),
    );
  });

  it('suggests a key only when it is close', () => {
    expect(closestKey('contxtWindow', ['contextWindow', 'kind'])).toBe('contextWindow');
    expect(closestKey('ModelSubset', ['modelSubset'])).toBe('modelSubset');
    expect(closestKey('colour', ['contextWindow', 'kind', 'model'])).toBeUndefined();
  });
});
