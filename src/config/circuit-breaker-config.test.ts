// The circuit breaker's settings in config: defaults, a deployment's override key by key, the
// live settings a reload changes, and bad values named by their path.
import { describe, expect, it } from 'vitest';
import { testConfigInput } from '../../test/helpers/test-config.js';
import { liveBreakerSettings } from './circuit-breaker-schema.js';
import { ConfigError, parseConfig } from './load-config.js';
import { ConfigHolder, compileConfig } from './runtime-config.js';

/** The test config with `circuitBreaker` set and `own` as its first deployment's override. */
function configWith(global: unknown, own?: unknown) {
  const input = testConfigInput() as Record<string, unknown> & { deployments: object[] };
  const [first, ...rest] = input.deployments;
  return {
    ...input,
    ...(global === undefined ? {} : { circuitBreaker: global }),
    deployments: [{ ...first, ...(own === undefined ? {} : { circuitBreaker: own }) }, ...rest],
  };
}

/** The config problems of `raw`, joined ('' when it parses). */
function problems(raw: unknown): string {
  try {
    parseConfig(raw, {});
    return '';
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).issues.join('\n');
  }
}

describe('circuitBreaker config', () => {
  it('defaults to 5 failures within 30 s, open for 15 s', () => {
    const { config } = parseConfig(configWith(undefined), {});
    expect(config.circuitBreaker).toEqual({
      failureThreshold: 5,
      windowMs: 30_000,
      openMs: 15_000,
    });
  });

  it("a deployment's own keys override the global ones, the others fall back", () => {
    const { config } = parseConfig(
      configWith({ failureThreshold: 3, openMs: 60_000 }, { failureThreshold: 1 }),
      {},
    );
    const [first, second] = config.deployments;
    const settings = liveBreakerSettings(new ConfigHolder(compileConfig(config)));
    expect(settings(first!.name)).toEqual({
      failureThreshold: 1,
      windowMs: 30_000,
      openMs: 60_000,
    });
    expect(settings(second!.name)).toEqual({
      failureThreshold: 3,
      windowMs: 30_000,
      openMs: 60_000,
    });
    // A deployment no longer in the config (removed by a reload) has the global settings.
    expect(settings('gone')).toEqual({ failureThreshold: 3, windowMs: 30_000, openMs: 60_000 });
  });

  it('answers with the config applied last (hot reload)', () => {
    const holder = new ConfigHolder(compileConfig(parseConfig(configWith(undefined), {}).config));
    const settings = liveBreakerSettings(holder);
    const name = holder.current.config.deployments[1]!.name;
    expect(settings(name).failureThreshold).toBe(5);
    holder.apply(parseConfig(configWith({ failureThreshold: 2 }), {}).config);
    expect(settings(name).failureThreshold).toBe(2);
  });

  it('refuses bad values by their path', () => {
    expect(problems(configWith({ failureThreshold: 0 }))).toMatch(
      /circuitBreaker\.failureThreshold/,
    );
    expect(problems(configWith({ windowMs: 1.5 }))).toMatch(/circuitBreaker\.windowMs/);
    expect(problems(configWith({ openMs: -1 }))).toMatch(/circuitBreaker\.openMs/);
    expect(problems(configWith({ openSeconds: 10 }))).toMatch(/circuitBreaker.*openSeconds/);
    expect(problems(configWith(undefined, { failureThreshold: 'three' }))).toMatch(
      'deployments[0].circuitBreaker.failureThreshold: must be a number, not "three"',
    );
    expect(problems(configWith({ failureThreshold: 2 }, { openMs: 5_000 }))).toBe('');
  });
});
