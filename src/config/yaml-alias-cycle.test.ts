// A YAML alias inside the value it names (`a: &x [*x]`) makes a value that contains itself: the
// config loader recursed into it until the stack ran out, and `serve` died with a RangeError's
// stack trace (a reload logged "Maximum call stack size exceeded"), naming neither path nor fix.
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfigText } from './load-config.js';

describe('a YAML alias that refers to itself', () => {
  it('is a ConfigError naming where it is and what to write instead', () => {
    for (const [text, path] of [
      ['server: &s\n  port: 8080\n  self: *s\n', 'server.self'],
      ['routers: &r [*r]\n', 'routers[0]'],
    ] as const) {
      let err: unknown;
      try {
        parseConfigText(text, 'config.yaml', {});
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).issues[0]).toMatch(
        new RegExp(`^${path.replace(/[[\]]/g, '\\$&')}: `),
      );
      expect((err as ConfigError).message).toContain('alias');
    }
  });

  it('still reads an alias used twice side by side', () => {
    const text = 'a: &p { inputPer1M: 1 }\nb: *p\nc: *p\n';
    let err: unknown;
    try {
      parseConfigText(text, 'config.yaml', {});
    } catch (e) {
      err = e;
    }
    // Not a cycle: the schema's own complaints (unknown keys a, b, c), not the alias.
    expect((err as ConfigError).message).not.toContain('alias');
    expect((err as ConfigError).issues.join('\n')).toContain('a, b, c: unknown keys');
  });
});
