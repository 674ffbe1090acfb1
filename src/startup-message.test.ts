import { describe, expect, it } from 'vitest';
import { testConfig } from '../test/helpers/test-config.js';
import { startupMessage, type StartupFacts } from './startup-message.js';

const facts = (over: Partial<StartupFacts> = {}): StartupFacts => ({
  address: 'http://127.0.0.1:8080',
  config: testConfig(),
  configPath: '/srv/router/config/prod.yaml',
  embeddedDefault: false,
  env: {},
  cwd: '/srv/router',
  ...over,
});

describe('startupMessage', () => {
  it('starts with the line scripts wait for and names the config relative to the directory', () => {
    const lines = startupMessage(facts()).split('\n');
    expect(lines[0]).toBe('model-router listening on http://127.0.0.1:8080');
    expect(lines[1]).toBe('  config      config/prod.yaml');
  });

  it('under auth.mode: keys says a key is needed and how to issue one, and the curl sends one', () => {
    const out = startupMessage(facts({ config: testConfig({ auth: { mode: 'keys', keys: [] } }) }));
    expect(out).toContain(
      '  API keys    required (auth.mode: keys): issue one with ./bin/model-router keys issue --url http://127.0.0.1:8080 --admin-key <admin key>\n',
    );
    expect(out).toContain(`-H 'authorization: Bearer <key>'`);
  });

  it('says where the admin key comes from when none is made for the run', () => {
    expect(startupMessage(facts({ env: { MODEL_ROUTER_ADMIN_KEY: 's3cret' } }))).toContain(
      '  admin key   the value of MODEL_ROUTER_ADMIN_KEY\n',
    );
    const none = startupMessage(facts());
    expect(none).toContain('  admin key   none: set MODEL_ROUTER_ADMIN_KEY and restart');
    expect(none).not.toContain('s3cret');
  });

  it('sends clients of a wildcard bind to loopback', () => {
    const out = startupMessage(facts({ address: 'http://0.0.0.0:8080' }));
    expect(out.split('\n')[0]).toBe('model-router listening on http://0.0.0.0:8080');
    expect(out).toContain(
      '  OpenAI      base URL http://127.0.0.1:8080/v1, model "model-router"\n',
    );
  });
});
