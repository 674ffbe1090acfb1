// docs/configuration.md is generated from the schema; this fails when they disagree (regenerate
// with `npm run build && ./bin/model-router config-reference --out docs/configuration.md`).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { referenceEntries, renderConfigReference } from './config-reference.js';

describe('configuration reference', () => {
  it('docs/configuration.md is what the schema generates', () => {
    const committed = readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8');
    expect(committed).toBe(renderConfigReference());
  });

  it('every key of the schema has a description', () => {
    const missing = referenceEntries()
      .filter((e) => !e.description)
      .map((e) => e.path);
    expect(missing).toEqual([]);
  });

  it('lists nested keys with defaults and limits', () => {
    const byPath = new Map(referenceEntries().map((e) => [e.path, e]));
    expect(byPath.get('routers[].routingMode')).toMatchObject({ default: 'balanced' });
    expect(byPath.get('deployments[].name')).toMatchObject({ required: true });
    expect(byPath.get('server.port')!.constraints).toContain('≤ 65535');
    expect(byPath.has('budgets.tenants.<name>.dailyUsd')).toBe(true);
  });
});
