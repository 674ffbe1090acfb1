// How an admin change's issues and warnings read: the caller's paths, the change's warnings only.
import { describe, expect, it } from 'vitest';
import { testConfig } from '../../../test/helpers/test-config.js';
import { changeWarnings, issuesRelativeTo, namesItem } from './admin-change-report.js';

describe('admin change report', () => {
  it('rewrites the changed item to relative paths and others to their names', () => {
    const draft = testConfig({
      pools: [{ name: 'spread', deployments: ['mid', 'small'] }],
    });
    const relabel = issuesRelativeTo(draft, {
      section: 'deployments',
      name: 'mid',
      singular: 'deployment',
    });
    expect(relabel('deployments[1].prices.inputPer1M: must be at least 0 (got -1)')).toBe(
      'prices.inputPer1M: must be at least 0 (got -1)',
    );
    expect(relabel('deployments[1].a, deployments[1].b: unknown keys (check the spelling)')).toBe(
      'a, b: unknown keys (check the spelling)',
    );
    expect(relabel('deployments[1]: something about all of it')).toBe(
      'deployment "mid": something about all of it',
    );
    // Another item by name; a nested list of the same name is left as it is.
    expect(relabel('pools[0].deployments[1]: unknown deployment "nope"')).toBe(
      'pools[spread].deployments[1]: unknown deployment "nope"',
    );
    expect(relabel('deployments[0].name: duplicate')).toBe('deployments[big].name: duplicate');
    expect(relabel('state.redisUrl: required')).toBe('state.redisUrl: required');
    // Without an item (a rollback, a delete) only the names change.
    expect(issuesRelativeTo(draft)('deployments[1].region: x')).toBe('deployments[mid].region: x');
  });

  it('a warning names an item only as a whole name', () => {
    expect(namesItem('router r: deployment my-mini is like "x"', 'my-mini')).toBe(true);
    expect(namesItem('router r: deployment my-mini2 is like "x"', 'my-mini')).toBe(false);
    expect(namesItem('groups (a: gpt-4.1, mid)', 'gpt-4')).toBe(false);
    expect(namesItem('groups (a: gpt-4.1, mid)', 'gpt-4.1')).toBe(true);
    expect(namesItem('maps to llmrouter:small', 'small')).toBe(false);
    expect(namesItem('the strongest of big, mid.', 'mid')).toBe(true);
  });

  it('answers with the warnings the change brought and those naming its item', () => {
    const before = ['deployment my-mini is like "wek"', 'router r: one group'];
    const after = [...before, 'deployment my-mini2 is new here'];
    expect(changeWarnings(before, after, 'my-mini2')).toEqual({
      warnings: ['deployment my-mini2 is new here'],
    });
    expect(changeWarnings(before, before, 'my-mini')).toEqual({
      warnings: ['deployment my-mini is like "wek"'],
    });
    expect(changeWarnings(before, before, 'other')).toEqual({});
  });
});
