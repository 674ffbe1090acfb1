// `${env:VAR}` in the config file: text in any string, and a value that is one placeholder and
// nothing else stands for a number or a boolean where the schema asks for one (docs audit F1,
// 2026-12-06: `port: ${env:PORT}` was refused as "must be a number, not "8080"").
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfigText } from './load-config.js';

const YAML = `
server:
  port: \${env:PORT}
  bodyLimitBytes: "\${env:BODY:-2097152}"
contentFilter:
  enabled: \${env:FILTER_ON:-false}
deployments:
  - name: a
    provider: simulated
    model: gpt-4.1
    contextWindow: 128000
    maxOutputTokens: 4096
    prices:
      inputPer1M: \${env:PRICE_IN}
      outputPer1M: 8
    headers:
      x-port: \${env:PORT}
      x-note: port \${env:PORT}
`;

function problems(env: NodeJS.ProcessEnv): string {
  try {
    parseConfigText(YAML, 'c.yaml', env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('${env:…} in the config file', () => {
  it('reads a whole placeholder as the number or boolean the schema asks for; strings stay text', () => {
    const { config } = parseConfigText(YAML, 'c.yaml', {
      PORT: '8080',
      PRICE_IN: '2.5',
      FILTER_ON: 'true',
    });
    expect(config.server.port).toBe(8080);
    expect(config.server.bodyLimitBytes).toBe(2_097_152);
    expect(config.contentFilter.enabled).toBe(true);
    const d = config.deployments[0]!;
    expect(d.prices.inputPer1M).toBe(2.5);
    // A string field keeps the text, the number-looking one too.
    expect(d.headers).toEqual({ 'x-port': '8080', 'x-note': 'port 8080' });
  });

  it('text that is no number is still refused, naming the key and the value', () => {
    const message = problems({ PORT: 'eighty', PRICE_IN: '2' });
    expect(message).toContain('server.port: must be a number, not "eighty"');
    expect(problems({ PORT: '8080', PRICE_IN: '2', FILTER_ON: 'yes' })).toContain(
      'contentFilter.enabled',
    );
  });
});
