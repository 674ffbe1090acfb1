import { mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadPrices } from '../../training/load-prices.js';
import { loadRows } from '../../training/load-rows.js';
import { trainArtefact } from '../../training/train-artefact.js';
import { parseConfig } from '../config/load-config.js';
import { simDeployment, testConfigInput } from '../../test/helpers/test-config.js';
import { createRouterFactory, DEFAULT_MODELS_DIR } from './router-factory.js';
import { serializeArtefact } from './artefact-json.js';
import { loadServedArtefact } from './artefact-files.js';

const configWith = (version: string) =>
  parseConfig(
    testConfigInput({
      deployments: [simDeployment('a')],
      routers: [{ name: 'model-router', modelSubset: ['a'], version }],
    }),
    {},
  ).config;

describe('router factory', () => {
  it('a version that is there loads; one that is not, or cannot be read, is a config issue', () => {
    const warnings: string[] = [];
    const routerFor = createRouterFactory(DEFAULT_MODELS_DIR, (m) => warnings.push(m));
    expect(routerFor.issues(configWith('2026-11-30e'))).toEqual([]);
    expect(routerFor.issues(configWith('latest'))).toEqual([]);
    expect(routerFor(configWith('latest').routers[0]!).describeSubset).toBeDefined(); // trained
    const [missing] = routerFor.issues(configWith('2026-11-31'));
    expect(missing).toMatch(
      /^routers\[0\]\.version: no routing artefact "2026-11-31" in .*; available: 2026-11-24, .*, latest$/,
    );

    const dir = mkdtempSync(join(tmpdir(), 'mr-models-'));
    writeFileSync(join(dir, '2026-12-01.json'), '{"version": "2026-12-01"');
    const broken = createRouterFactory(dir, (m) => warnings.push(m));
    for (const version of ['2026-12-01', 'latest'])
      expect(broken.issues(configWith(version))[0]).toMatch(
        new RegExp(
          `^routers\\[0\\]\\.version: the routing artefact "${version}" in .* cannot be used \\(.*not valid JSON.*\\); available: 2026-12-01, latest$`,
        ),
      );
    expect(warnings).toEqual([]);
  });

  it('a version is any <name>.json there; latest is the newest dated one', () => {
    const { artefact } = trainArtefact(
      new Map([['tiny.jsonl', loadRows('test/fixtures/routing/tiny.jsonl')]]),
      loadPrices('test/fixtures/routing/prices.json'),
      { seed: 1 },
    );
    const dir = mkdtempSync(join(tmpdir(), 'mr-models-'));
    writeFileSync(join(dir, 'team-router.json'), serializeArtefact(artefact));
    const warnings: string[] = [];
    const routerFor = createRouterFactory(dir, (m) => warnings.push(m));
    expect(routerFor.issues(configWith('team-router'))).toEqual([]);
    expect(routerFor(configWith('team-router').routers[0]!).describeSubset).toBeDefined();
    // No dated artefact: latest is the placeholder, with a warning, not an error.
    expect(routerFor.issues(configWith('latest'))).toEqual([]);
    expect(routerFor(configWith('latest').routers[0]!).describeSubset).toBeUndefined();
    expect(warnings).toHaveLength(1);
    writeFileSync(join(dir, '2026-12-02.json'), serializeArtefact(artefact));
    expect(createRouterFactory(dir, () => {}).issues(configWith('latest'))).toEqual([]);
    expect(routerFor.issues(configWith('team'))[0]).toContain(
      'available: 2026-12-02, team-router, latest',
    );
  });

  it('latest over a folder with no artefact falls back to the placeholder policy, with a warning', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mr-models-'));
    const warnings: string[] = [];
    const routerFor = createRouterFactory(dir, (m) => warnings.push(m));
    const config = configWith('latest');
    expect(routerFor.issues(config)).toEqual([]);
    const router = routerFor(config.routers[0]!);
    routerFor(config.routers[0]!);
    expect(router.describeSubset).toBeUndefined();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(
      'router model-router uses the placeholder "cheapest capable model" policy',
    );
    expect(routerFor.issues(configWith('2026-11-30e'))[0]).toContain(
      'no routing artefact "2026-11-30e"',
    );
  });
  it('an artefact serves under its file name, the version a router selects it by', () => {
    const { artefact } = trainArtefact(
      new Map([['tiny.jsonl', loadRows('test/fixtures/routing/tiny.jsonl')]]),
      loadPrices('test/fixtures/routing/prices.json'),
      { seed: 1, version: '2026-01-01' },
    );
    const dir = mkdtempSync(join(tmpdir(), 'mr-models-'));
    // A copy under another name (or one an older calibrate wrote, with its parent's version).
    for (const name of ['team-router', '2026-12-09b'])
      writeFileSync(join(dir, `${name}.json`), serializeArtefact(artefact));
    expect(loadServedArtefact(dir, 'team-router').version).toBe('team-router');
    expect(loadServedArtefact(dir, 'latest').version).toBe('2026-12-09b');
    const routerFor = createRouterFactory(dir, () => {});
    const config = configWith('team-router');
    const decision = routerFor(config.routers[0]!).decide({
      router: config.routers[0]!,
      mode: 'balanced',
      candidates: config.deployments,
      request: { model: 'model-router', messages: [{ role: 'user', content: 'hi' }] },
      promptTokens: 1,
    });
    expect(decision.version).toBe('team-router');
  });
  it('latest moves to a newer file, and a file written again is read again, when a config is applied', () => {
    // Routing audit (2026-12-06): a running router kept the artefact it first loaded for latest
    // until a restart, though check-config and simulate named the newer one.
    const { artefact } = trainArtefact(
      new Map([['tiny.jsonl', loadRows('test/fixtures/routing/tiny.jsonl')]]),
      loadPrices('test/fixtures/routing/prices.json'),
      { seed: 1 },
    );
    const dir = mkdtempSync(join(tmpdir(), 'mr-models-'));
    writeFileSync(join(dir, '2026-12-01.json'), serializeArtefact(artefact));
    const routerFor = createRouterFactory(dir, () => {});
    const latest = configWith('latest');
    const served = () =>
      routerFor(latest.routers[0]!).decide({
        router: latest.routers[0]!,
        mode: 'balanced',
        candidates: latest.deployments,
        request: { model: 'model-router', messages: [{ role: 'user', content: 'hi' }] },
        promptTokens: 1,
      }).version;
    expect(routerFor.issues(latest)).toEqual([]);
    expect(served()).toBe('2026-12-01');
    writeFileSync(join(dir, '2026-12-02.json'), serializeArtefact(artefact));
    // Requests between applies keep what they had (nothing is read per request)…
    expect(served()).toBe('2026-12-01');
    // …and the next config applied (a reload, an admin change) moves latest to the newest.
    expect(routerFor.issues(latest)).toEqual([]);
    expect(served()).toBe('2026-12-02');
    // A version's file written again in place is read again: here it is broken now.
    const pinned = configWith('2026-12-02');
    expect(routerFor.issues(pinned)).toEqual([]);
    writeFileSync(join(dir, '2026-12-02.json'), '{"version": ');
    utimesSync(join(dir, '2026-12-02.json'), new Date(), new Date(Date.now() + 5000));
    expect(routerFor.issues(pinned)[0]).toMatch(/cannot be used/);
  });

  it('a models folder that is not there is an issue, not the placeholder with a warning', () => {
    const warnings: string[] = [];
    const missing = join(mkdtempSync(join(tmpdir(), 'mr-models-')), 'modelz');
    const routerFor = createRouterFactory(missing, (m) => warnings.push(m));
    expect(routerFor.issues(configWith('latest'))).toEqual([
      `routing.modelsDir: ${missing} does not exist; the routers' artefacts are read from it`,
    ]);
  });
});
