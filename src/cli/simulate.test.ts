// `simulate` replays logged prompt texts through the routing model: a single-turn request must read
// exactly as it did when it was routed, or the replay is of a different request.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { loadRows } from '../../training/dataset.js';
import { loadConfigFile } from '../config/load-config.js';
import { createRuntime } from '../runtime.js';
import { collectPromptText } from '../core/prompt-text.js';
import type { ChatRequest } from '../core/wire-types.js';
import { extractFeatures } from '../routing/features.js';
import { replayRequest, run } from './simulate.js';

describe('simulate', () => {
  it('replays a logged single-turn prompt with the features it was routed on', () => {
    const rows = loadRows('test/fixtures/routing/arenabench_v1.jsonl');
    expect(rows.length).toBeGreaterThan(200);
    for (const row of rows) {
      const sent = {
        model: 'model-router',
        messages: [{ role: 'user', content: row.prompt }],
      } as ChatRequest;
      const replayed = replayRequest('model-router', collectPromptText(sent));
      expect(extractFeatures(replayed)).toEqual(extractFeatures(sent));
    }
  });
});

describe('simulate --version', () => {
  it('replays the logged prompts with another artefact version, scored by that version', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mr-simulate-'));
    const raw = parseYaml(readFileSync('config/default.yaml', 'utf8')) as {
      requestLog: { sqlitePath: string };
      deployments: { simulation?: Record<string, unknown> }[];
    };
    raw.requestLog.sqlitePath = join(dir, 'requests.db');
    for (const d of raw.deployments)
      Object.assign(d.simulation ?? {}, { ttftMs: 0, tokensPerSecond: 1e6 });
    const configFile = join(dir, 'config.json');
    writeFileSync(configFile, JSON.stringify(raw));
    const runtime = await createRuntime(loadConfigFile(configFile).config);
    const rows = loadRows('test/fixtures/routing/arenabench_v1.jsonl').slice(0, 30);
    // The first half is routed with an older artefact, as before a router was moved to latest.
    const moved = runtime.config.current.config;
    const pinned = structuredClone(moved);
    pinned.routers.find((r) => r.name === 'model-router')!.version = '2026-11-24';
    runtime.config.apply(pinned);
    for (const [i, row] of rows.entries()) {
      if (i === 15) runtime.config.apply(moved);
      const res = await runtime.app.inject({
        method: 'POST',
        url: '/v1/chat/completions',
        payload: { model: 'model-router', messages: [{ role: 'user', content: row.prompt }] },
      });
      expect(res.statusCode).toBe(200);
    }
    await runtime.close();

    const simulate = async (...args: string[]) => {
      const out: string[] = [];
      const spy = vi.spyOn(process.stdout, 'write').mockImplementation((s) => {
        out.push(String(s));
        return true;
      });
      const err = vi.spyOn(process.stderr, 'write').mockImplementation((s) => {
        out.push(String(s));
        return true;
      });
      try {
        const code = await run(['--config', configFile, '--since', '1h', ...args]);
        return { code, text: out.join('') };
      } finally {
        spy.mockRestore();
        err.mockRestore();
      }
    };
    const json = async (...args: string[]) => {
      const { code, text } = await simulate('--json', ...args);
      expect(code, text).toBe(0);
      return JSON.parse(text) as {
        requests: number;
        version: string | null;
        replayed_as_logged: { agreement: number };
        simulated: { predicted_quality: number; share: Record<string, number> };
      };
    };
    const own = await json();
    expect(own).toMatchObject({ requests: 30, version: null });
    // Each request is replayed as logged with the version it was routed with.
    expect(own.replayed_as_logged.agreement).toBe(1);
    // The version in force (latest) replays as without --version; an older one differently. The
    // like-for-like replay stays on the router's own version either way.
    const latest = await json('--version', '2026-12-03b');
    expect({ ...latest, version: null }).toEqual(own);
    const older = await json('--version', '2026-11-24');
    expect(older.version).toBe('2026-11-24');
    expect(older.replayed_as_logged.agreement).toBe(1);
    expect(older.simulated).not.toEqual(own.simulated);

    const typo = await simulate('--version', '2026-11-31');
    expect(typo.code).toBe(1);
    expect(typo.text).toContain('--version: no routing artefact "2026-11-31"');
    expect(typo.text).toContain('available: 2026-11-24');
  });
});
