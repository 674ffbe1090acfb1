// docs/config.schema.json (editor support) is generated from the config schema and agrees with the
// loader: every config the router accepts (shipped, in the docs, the tests' fleets, with `${env:…}`
// where the loader takes it) is valid, and each bad config of the table, refused by the loader, is
// refused by the schema at the same path. Regenerate with
// `npm run build && ./bin/model-router config-schema --out docs/config.schema.json`.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { configJsonSchema, renderConfigJsonSchema } from './config-json-schema.js';
import {
  asFile,
  compileConfigJsonSchema,
  loaderIssuePaths,
  loadYaml,
  schemaErrorPaths,
} from '../../test/helpers/config-json-schema-ajv.js';
import { configInput } from '../../test/helpers/forwarder-fixtures.js';
import {
  simDeployment,
  simEmbeddingDeployment,
  simModerationDeployment,
  testConfigInput,
} from '../../test/helpers/test-config.js';

const ROOT = new URL('../../', import.meta.url);
const read = (path: string) => readFileSync(new URL(path, ROOT), 'utf8');
// The generated schema: the first test holds docs/config.schema.json to it.
const validate = compileConfigJsonSchema(configJsonSchema());
const DEFAULT_YAML = read('config/default.yaml');
/** A webhook signing secret of the form batches.webhooks[].secretEnv asks for (32 bytes). */
const WHSEC = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;

/** Any variable set, to this value: a doc's `${env:…}` as an operator would fill it. */
const envOf = (value: string): NodeJS.ProcessEnv =>
  new Proxy({}, { get: (_t, key) => (typeof key === 'string' ? value : undefined) });

/** Every fenced YAML block of README.md and the Markdown files under docs/ and examples/. */
function yamlBlocks(): { where: string; text: string }[] {
  const files = ['README.md'];
  for (const dir of ['docs', 'examples'])
    for (const e of readdirSync(new URL(dir, ROOT), { withFileTypes: true, recursive: true }))
      if (e.isFile() && e.name.endsWith('.md'))
        files.push(join(relative(fileURLToPath(ROOT), e.parentPath), e.name));
  return files.flatMap((file) =>
    [...read(file).matchAll(/^```ya?ml\n([\s\S]*?)^```/gm)].map((m, i) => ({
      where: `${file} block ${i}`,
      text: m[1]!,
    })),
  );
}

/** A doc's block as a whole config: its top-level sections over the default config's. */
function asConfig(text: string): string | undefined {
  let block: unknown;
  try {
    block = parseYaml(text);
  } catch {
    return undefined; // not YAML
  }
  if (!block || typeof block !== 'object' || Array.isArray(block)) return undefined;
  const sections = Object.keys(configJsonSchema().properties ?? {});
  if (!Object.keys(block).every((k) => sections.includes(k))) return undefined; // not ours
  return stringifyYaml({ ...(parseYaml(DEFAULT_YAML) as object), ...block });
}

describe('config JSON Schema', () => {
  it('docs/config.schema.json is what the schema generates', () => {
    expect(read('docs/config.schema.json')).toBe(renderConfigJsonSchema());
  });

  it('config/default.yaml names the schema on its first line, and is valid', () => {
    expect(DEFAULT_YAML.split('\n')[0]).toBe(
      '# yaml-language-server: $schema=../docs/config.schema.json',
    );
    expect(loadYaml(DEFAULT_YAML, {})).toEqual({ ok: true });
    expect(validate(parseYaml(DEFAULT_YAML)), JSON.stringify(validate.errors)).toBe(true);
  });

  it("the Kubernetes ConfigMap's config is valid (with its ${env:…} unset in the file)", () => {
    const manifest = parseYaml(read('deploy/kubernetes/configmap.yaml')) as {
      data: Record<string, string>;
    };
    const text = manifest.data['config.yaml']!;
    expect(text).toContain('${env:');
    expect(loadYaml(text, envOf('https://example.openai.azure.com'))).toEqual({ ok: true });
    expect(validate(parseYaml(text)), JSON.stringify(validate.errors)).toBe(true);
  });

  it('every config block of the README, docs and examples that the loader accepts is valid', () => {
    // A doc's `${env:…}` as an operator fills it: a number, a boolean, a URL, a webhook secret.
    const envs = [{}, envOf('8080'), envOf('true'), envOf('https://example.com'), envOf(WHSEC)];
    const accepted = yamlBlocks().flatMap(({ where, text }) => {
      const config = asConfig(text);
      return config && envs.some((env) => loadYaml(config, env).ok) ? [{ where, config }] : [];
    });
    // Not vacuous: the README's example config, the docs' batch webhooks and alerts among them.
    expect(accepted.map((b) => b.where.replace(/ block \d+$/, ''))).toEqual(
      expect.arrayContaining(['README.md', 'docs/concepts.md', 'docs/operations.md']),
    );
    for (const { where, config } of accepted)
      expect(validate(parseYaml(config)), `${where}: ${JSON.stringify(validate.errors)}`).toBe(
        true,
      );
  });

  it("the tests' fleets are valid", () => {
    const fleets = [
      testConfigInput(),
      testConfigInput({
        deployments: [
          simDeployment('chat'),
          simEmbeddingDeployment('embed'),
          simModerationDeployment('mod'),
        ],
        routers: [{ name: 'model-router', modelSubset: ['chat'] }],
      }),
      configInput(),
    ];
    for (const fleet of fleets) {
      const { value, text } = asFile(fleet);
      expect(loadYaml(text, {})).toEqual({ ok: true });
      expect(validate(value), JSON.stringify(validate.errors)).toBe(true);
    }
  });
});

/** The default config with one value changed (`at`: a dotted path; numbers index lists). */
function withValue(at: string, value: unknown): string {
  const doc = parseYaml(DEFAULT_YAML) as Record<string, unknown>;
  const keys = at.split('.');
  let holder = doc as Record<string, unknown>;
  for (const k of keys.slice(0, -1)) holder = (holder[k] ??= {}) as Record<string, unknown>;
  holder[keys.at(-1)!] = value;
  return stringifyYaml(doc);
}

describe('the schema and the loader agree', () => {
  // Each written as a file holds it, in the environment given: both accept.
  const accepted: [string, string, unknown, NodeJS.ProcessEnv][] = [
    ['a port as one placeholder', 'server.port', '${env:PORT}', { PORT: '9000' }],
    ['a port from the default', 'server.port', '${env:PORT:-9001}', {}],
    [
      'a boolean as one placeholder',
      'deployments.0.capabilities.streaming',
      '${env:S}',
      { S: 'false' },
    ],
    ['an enum from a placeholder', 'routers.0.routingMode', '${env:MODE}', { MODE: 'cost' }],
    ['an enum partly a placeholder', 'server.logLevel', 'in${env:L}', { L: 'fo' }],
    ['a pattern from a placeholder', 'routers.0.version', '${env:V}', { V: 'latest' }],
    // JSON configs name their schema so; the loader reads and ignores it.
    ['a $schema key', '$schema', '../docs/config.schema.json', {}],
    [
      'a URL from a placeholder',
      'telemetry.otlpEndpoint',
      '${env:OTLP}',
      { OTLP: 'http://c:4318' },
    ],
    // RFC 3986 (`format: uri`) refuses both; the loader (WHATWG URL) takes them.
    ['an international domain', 'telemetry.otlpEndpoint', 'https://bücher.example/v1/traces', {}],
    ['a space in a URL path', 'telemetry.otlpEndpoint', 'http://collector:4318/a b', {}],
    [
      'a map value as one placeholder',
      'pools',
      [{ name: 'p', deployments: ['gpt-4.1', 'gpt-4.1-mini'], weights: { 'gpt-4.1': '${env:W}' } }],
      { W: '2' },
    ],
  ];

  it.each(accepted)('accepted by both: %s', (_name, at, value, env) => {
    const text = withValue(at, value);
    expect(loadYaml(text, env)).toEqual({ ok: true });
    expect(validate(parseYaml(text)), JSON.stringify(validate.errors)).toBe(true);
  });

  // Each refused by the loader; the schema must refuse it too, naming the path the loader names.
  const refused: [string, string, unknown, NodeJS.ProcessEnv?][] = [
    ['an unknown top-level key', 'deploymets', []],
    ['an unknown nested key', 'deployments.0.contxtWindow', 5],
    ['an unknown key in an optional section', 'server.cors.origin', ['https://a.example']],
    ['text for a number', 'server.port', 'eighty'],
    ['a number quoted in the file', 'server.port', '9000'],
    [
      'a placeholder with more around it, for a number',
      'server.port',
      'x${env:PORT}',
      { PORT: '1' },
    ],
    // A union (bool | number | list): the loader reads no placeholder as its number or boolean.
    ['a placeholder for a union', 'server.trustProxy', '${env:TP}', { TP: 'true' }],
    ['YAML 1.1 yes for a boolean', 'deployments.0.capabilities.tools', 'yes'],
    ['a number over its maximum', 'server.port', 70000],
    ['a negative price', 'deployments.0.prices.inputPer1M', -1],
    ['a fraction for an integer', 'deployments.0.contextWindow', 1.5],
    ['a bad routing mode', 'routers.0.routingMode', 'fastest'],
    ['a bad provider', 'deployments.0.provider', 'openia'],
    ['a bad log level', 'server.logLevel', 'chatty'],
    ['a bad request-log kind', 'requestLog.kind', 'mysql'],
    ['a map for a list', 'routers', { name: 'model-router' }],
    ['a list for a map', 'server', ['127.0.0.1']],
    ['an empty list that needs items', 'routers.0.modelSubset', []],
    ['a version that is no file name', 'routers.0.version', '../etc/passwd'],
    ['no URL', 'telemetry.otlpEndpoint', 'not a url'],
    ['a hash that is no sha256', 'auth.keys', [{ id: 'k1', tenant: 't', hash: 'abc' }]],
    ['a missing required key', 'deployments.0.contextWindow', undefined],
  ];

  it.each(refused)('refused by both: %s', (_name, at, value, env = {}) => {
    const text = withValue(at, value);
    const loaded = loadYaml(text, env);
    expect(loaded.ok).toBe(false);
    expect(validate(parseYaml(text))).toBe(false);
    if (!loaded.ok)
      expect(schemaErrorPaths(validate.errors)).toEqual(
        expect.arrayContaining(loaderIssuePaths(loaded.error)),
      );
  });
});
