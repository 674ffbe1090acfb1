// The port the router listens on, from --port or PORT: a value that is no port is a ConfigError
// naming where it came from (it was a RangeError stack from Node's listen).
import { describe, expect, it } from 'vitest';
import { ConfigError } from './config/load-config.js';
import { checkPort, parseServeArgs } from './main.js';

describe('checkPort', () => {
  it('takes 0 to 65535', () => {
    expect(checkPort('8080', 'PORT')).toBe(8080);
    expect(checkPort(0, '--port')).toBe(0);
    expect(checkPort('65535', 'PORT')).toBe(65535);
  });

  it.each([['abc'], ['80.5'], ['70000'], ['-1'], [' ']])('refuses PORT=%j, naming PORT', (v) => {
    expect(() => checkPort(v, 'PORT')).toThrow(ConfigError);
    expect(() => checkPort(v, 'PORT')).toThrow(
      `PORT must be an integer between 0 and 65535 (got ${JSON.stringify(v)})`,
    );
  });
});

// `node dist/src/main.js` (the container's entrypoint, `npm start -- …`) read its flags by hand:
// an unknown flag was ignored, `--config` without a file started the embedded default fleet, and
// `--port abc` said `(got null)`.
describe('parseServeArgs', () => {
  it('reads --config, --port and --host', () => {
    expect(parseServeArgs(['--config', 'a.yaml', '--port', '8081', '--host', '0.0.0.0'])).toEqual({
      configPath: 'a.yaml',
      port: 8081,
      host: '0.0.0.0',
    });
    expect(parseServeArgs([])).toEqual({});
  });

  it.each([
    [['--config'], "Option '--config <value>' argument missing"],
    [['--config', 'a.yaml', '--prot', '1'], "Unknown option '--prot'"],
    [['a.yaml'], "Unexpected argument 'a.yaml'"],
    [['--port', 'abc'], '--port must be an integer between 0 and 65535 (got "abc")'],
  ])('refuses %j with a one-line ConfigError', (argv, message) => {
    expect(() => parseServeArgs(argv)).toThrow(ConfigError);
    expect(() => parseServeArgs(argv)).toThrow(message);
  });
});
