import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config/load-config.js';
import { simDeployment, testConfigInput } from '../../test/helpers/test-config.js';
import { artefactIssues, createRouterFactory, DEFAULT_MODELS_DIR } from './router-factory.js';

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
    expect(artefactIssues(configWith('2026-11-30e'), routerFor, DEFAULT_MODELS_DIR)).toEqual([]);
    expect(artefactIssues(configWith('latest'), routerFor, DEFAULT_MODELS_DIR)).toEqual([]);
    expect(routerFor(configWith('latest').routers[0]!).describeSubset).toBeDefined(); // trained
    const [missing] = artefactIssues(configWith('2026-11-31'), routerFor, DEFAULT_MODELS_DIR);
    expect(missing).toMatch(
      /^routers\[0\]\.version: no routing artefact "2026-11-31" in .*; available: 2026-11-24, .*, 2026-11-30e, latest$/,
    );

    const dir = mkdtempSync(join(tmpdir(), 'mr-models-'));
    writeFileSync(join(dir, '2026-12-01.json'), '{"version": "2026-12-01"');
    const broken = createRouterFactory(dir, (m) => warnings.push(m));
    for (const version of ['2026-12-01', 'latest'])
      expect(artefactIssues(configWith(version), broken, dir)[0]).toMatch(
        new RegExp(
          `^routers\\[0\\]\\.version: the routing artefact "${version}" in .* cannot be used \\(.*not valid JSON.*\\); available: 2026-12-01, latest$`,
        ),
      );
    expect(warnings).toEqual([]);
  });

  it('latest over a folder with no artefact falls back to the placeholder policy, with a warning', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mr-models-'));
    const warnings: string[] = [];
    const routerFor = createRouterFactory(dir, (m) => warnings.push(m));
    const config = configWith('latest');
    expect(artefactIssues(config, routerFor, dir)).toEqual([]);
    const router = routerFor(config.routers[0]!);
    routerFor(config.routers[0]!);
    expect(router.describeSubset).toBeUndefined();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(
      'router model-router uses the placeholder "cheapest capable model" policy',
    );
    expect(artefactIssues(configWith('2026-11-30e'), routerFor, dir)[0]).toContain(
      'no routing artefact "2026-11-30e"',
    );
  });
});
