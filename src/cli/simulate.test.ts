// `simulate` replays logged prompt texts through the routing model: a single-turn request must read
// exactly as it did when it was routed, or the replay is of a different request.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { loadRows } from '../../training/load-rows.js';
import { loadConfigFile } from '../config/load-config.js';
import { createRuntime } from '../runtime.js';
import { collectPromptText } from '../core/prompt-text.js';
import type { ChatRequest } from '../core/wire-types.js';
import { extractFeatures } from '../routing/features.js';
import { openRequestStore } from '../store/open-request-store.js';
import { newRequestRecord, type RequestRecord } from '../store/request-record.js';
import { replayRequest, run } from './simulate.js';
import { testConfigInput } from '../../test/helpers/test-config.js';

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
        happened: { predicted_quality: number; share: Record<string, number> };
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
    const latest = await json('--version', '2026-12-07');
    expect({ ...latest, version: null }).toEqual(own);
    const older = await json('--version', '2026-11-24');
    expect(older.version).toBe('2026-11-24');
    expect(older.replayed_as_logged.agreement).toBe(1);
    expect(older.simulated).not.toEqual(own.simulated);

    // --subset replays over other candidates; what happened is still scored whole (a deployment
    // that served outside the subset is not a quality of 0) and the like-for-like replay stays
    // on the router's own subset.
    expect(Object.keys(own.happened.share).filter((d) => d !== 'gpt-4.1-nano')).not.toEqual([]);
    const narrowed = await json('--subset', 'gpt-4.1-nano');
    expect(narrowed.simulated.share).toEqual({ 'gpt-4.1-nano': 1 });
    expect(narrowed.happened).toEqual(own.happened);
    expect(narrowed.replayed_as_logged).toEqual(own.replayed_as_logged);

    // A bad --version is a bad option value: one line, exit 2, saying what --version takes
    // (audit, 2026-12-07: a file path was "Invalid config: --version: no routing artefact", exit 1).
    const typo = await simulate('--version', '2026-11-31');
    expect(typo.code).toBe(2);
    expect(typo.text).toMatch(/^--version 2026-11-31: no routing artefact "2026-11-31" in /);
    expect(typo.text).toContain('available: 2026-11-24');
    expect(typo.text).not.toContain('Invalid config');
    expect(typo.text.trim().split('\n')).toHaveLength(1);
    const file = await simulate('--version', join(dir, 'router.json'));
    expect(file.code).toBe(2);
    expect(file.text).toContain(
      `--version ${join(dir, 'router.json')}: --version takes the version of an artefact in the models folder (its file name there without .json, e.g. 2026-11-24, or latest), not a file path: copy the file to `,
    );
    expect(file.text).toContain('available: 2026-11-24');
    expect(file.text).not.toContain('Invalid config');
    const inFolder = await simulate('--version', 'models/2026-11-24.json');
    expect(inFolder.code).toBe(2);
    expect(inFolder.text).toContain('not a file path: this one is --version 2026-11-24');
    // Selectors that select nothing are mistakes, not an empty replay that exits 0.
    const none = await simulate('--subset', '');
    expect(none.code).toBe(2);
    expect(none.text).toContain('--subset names no deployment');
    // A model of another kind is no router candidate (routing audit: it took a share).
    const embedding = await simulate('--subset', 'gpt-4.1,text-embedding-3-small');
    expect(embedding.code).toBe(2);
    expect(embedding.text).toContain(
      '--subset names deployments that are not chat models (routers route chat): text-embedding-3-small (embeddings)',
    );
    const ghost = await simulate('--router', 'nope');
    expect(ghost.code).toBe(2);
    expect(ghost.text).toContain('--router nope: the config has no such router');
  });
});

describe('simulate: answers still running', () => {
  // A router learns a deployment's answer length when the answer ends, so a request that arrived
  // while another was still being answered was ranked without it; the replay must be too.
  it('learns each answer when it ended, not when its request arrived', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mr-simulate-running-'));
    const raw = parseYaml(readFileSync('config/default.yaml', 'utf8')) as {
      requestLog: { sqlitePath: string };
    };
    raw.requestLog.sqlitePath = join(dir, 'requests.db');
    const configFile = join(dir, 'config.json');
    writeFileSync(configFile, JSON.stringify(raw));
    const prompt = 'Explain quicksort in one paragraph.\n';
    const T = Date.now() - 60_000;
    const record = (over: Partial<RequestRecord>): RequestRecord => ({
      ...newRequestRecord({ time: T, requestId: 'r', endpoint: 'chat', stream: false }),
      router: 'model-router',
      routingMode: 'cost',
      promptText: prompt,
      promptTokens: 8,
      completionTokens: 100,
      latencyMs: 500,
      ...over,
    });
    const simulate = async (records: RequestRecord[]) => {
      const store = await openRequestStore(loadConfigFile(configFile).config.requestLog);
      await store.migrate();
      await store.deleteOlderThan(Date.now() + 1);
      await store.insert(records);
      await store.close();
      const out: string[] = [];
      const spy = vi.spyOn(process.stdout, 'write').mockImplementation((s) => {
        out.push(String(s));
        return true;
      });
      try {
        const code = await run([
          '--config',
          configFile,
          '--since',
          '1h',
          '--mode',
          'cost',
          '--json',
        ]);
        expect(code).toBe(0);
      } finally {
        spy.mockRestore();
      }
      return JSON.parse(out.join('')) as {
        replayed_as_logged: { agreement: number };
        simulated: { share: Record<string, number> };
      };
    };
    // What Cost mode picks for the prompt with nothing learned.
    const alone = await simulate([
      record({ requestId: 'b', time: T + 1000, deployment: 'gpt-4.1' }),
    ]);
    const pick = Object.keys(alone.simulated.share)[0]!;
    // An answer from the pick that was far longer than its prior moves Cost mode elsewhere once
    // it is known: here it ended before the second request arrived.
    const long = { requestId: 'a', time: T, deployment: pick, completionTokens: 200_000 };
    const after = await simulate([
      record({ ...long, latencyMs: 500 }),
      record({ requestId: 'b', time: T + 1000, deployment: pick }),
    ]);
    expect(after.simulated.share[pick]).toBe(0.5);
    // Still running when the second arrived (ends at T + 5000): the router ranked without it and
    // served the pick, and the replay must agree with both requests.
    const during = await simulate([
      record({ ...long, latencyMs: 5000 }),
      record({ requestId: 'b', time: T + 1000, deployment: pick }),
    ]);
    expect(during.simulated.share[pick]).toBe(1);
    expect(during.replayed_as_logged.agreement).toBe(1);
  });
});

// With `requestLog.kind: none` simulate opened a SQLite log at the default path anyway (creating
// ./data/requests.db) and replayed "0 logged requests", exit 0, where report, distribution and
// feedback export say there is no log (exit 1).
describe('simulate with requestLog.kind: none', () => {
  it('says there is no request log, exit 1', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mr-simulate-none-'));
    const configFile = join(dir, 'config.json');
    writeFileSync(configFile, JSON.stringify(testConfigInput({ requestLog: { kind: 'none' } })));
    const err: string[] = [];
    const out: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((c) => !!err.push(String(c)));
    vi.spyOn(process.stdout, 'write').mockImplementation((c) => !!out.push(String(c)));
    try {
      expect(await run(['--config', configFile])).toBe(1);
    } finally {
      vi.restoreAllMocks();
    }
    expect(err.join('')).toBe(
      'the config has requestLog.kind: none; there are no requests to replay\n',
    );
    expect(out.join('')).toBe('');
  });
});
