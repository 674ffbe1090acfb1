// Feedback end to end on the built router: the `openai` SDK rates answers (`client.post('/feedback')`,
// the router's body and Portkey's) right after getting them; another tenant's key gets a 404; the
// usage API, /metrics and `report` count them per served model; then, the server stopped, `feedback export`
// writes the rated prompts as routing data and `calibrate` fits the model the artefact did not
// know from that very file.
import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, describe, expect, it } from 'vitest';
import { hashApiKey } from '../../src/auth/api-key.js';
import { spawnServer, type SpawnedServer } from '../helpers/spawn-server.js';
import { simDeployment, testConfigInput } from '../helpers/test-config.js';

const ADMIN_KEY = 'mr-e2e-feedback-admin-key-0123456789';
const KEY_A = 'mr-e2e-feedback-team-a-key-0123456789';
const KEY_B = 'mr-e2e-feedback-team-b-key-0123456789';
const KNOWN = 'llmrouter_9open.jsonl:qwen2.5-7b-instruct';

let server: SpawnedServer | undefined;
afterAll(async () => {
  await server?.stop();
});

function cli(args: string[]) {
  const r = spawnSync('./bin/model-router', args, { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('feedback, from the SDK to calibrate', () => {
  it('rates answers, reports them per model, and exports them as data calibrate fits', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mr-feedback-'));
    const config = testConfigInput({
      auth: {
        mode: 'keys',
        adminKeyEnv: 'MODEL_ROUTER_ADMIN_KEY',
        keys: [
          { id: 'a', hash: hashApiKey(KEY_A), tenant: 'team-a', scopes: ['*'] },
          { id: 'b', hash: hashApiKey(KEY_B), tenant: 'team-b', scopes: ['*'] },
        ],
      },
      deployments: [
        simDeployment('small', { like: KNOWN, prices: { inputPer1M: 0.1, outputPer1M: 0.4 } }),
        // A model the routing artefact does not know, called by name.
        simDeployment('fresh', { model: 'fresh-model', prices: { inputPer1M: 1, outputPer1M: 2 } }),
      ],
      routers: [{ name: 'model-router', modelSubset: ['small'] }],
      requestLog: { kind: 'sqlite', sqlitePath: join(dir, 'requests.db'), storeText: true },
    });
    server = await spawnServer(config, { MODEL_ROUTER_ADMIN_KEY: ADMIN_KEY });
    const client = new OpenAI({ baseURL: `${server.baseUrl}/v1`, apiKey: KEY_A, maxRetries: 0 });
    const rate = (body: Record<string, unknown>, c = client) =>
      c.post('/feedback', { body }) as Promise<Record<string, unknown>>;

    const N = 24;
    let firstRouted = '';
    for (let i = 0; i < N; i++) {
      for (const model of ['model-router', 'fresh']) {
        const { data, response } = await client.chat.completions
          .create({
            model,
            messages: [{ role: 'user', content: `Question ${i}: what is ${i} times ${i + 3}?` }],
          })
          .withResponse();
        const requestId = response.headers.get('x-request-id')!;
        // Sent at once: the request is still in the log's batch queue.
        const fb =
          model === 'fresh' && i % 4 === 0
            ? await rate({ trace_id: requestId, value: 10 }) // Portkey's shape: score 1
            : await rate({ request_id: requestId, score: model === 'fresh' ? (i % 2) * 0.5 : 0.9 });
        expect(fb).toMatchObject({ object: 'feedback', request_id: requestId, model: data.model });
        if (model === 'model-router' && i === 0) firstRouted = requestId;
      }
    }
    // Another tenant's key: the same 404 as an unknown id.
    const other = new OpenAI({ baseURL: `${server.baseUrl}/v1`, apiKey: KEY_B, maxRetries: 0 });
    const refused = await rate({ request_id: firstRouted, score: 0 }, other).catch((e) => e);
    expect(refused).toBeInstanceOf(OpenAI.NotFoundError);
    expect((refused as InstanceType<typeof OpenAI.NotFoundError>).param).toBe('request_id');

    const usage = (await (
      await fetch(`${server.baseUrl}/admin/v1/usage?since=1h&by=model`, {
        headers: { authorization: `Bearer ${ADMIN_KEY}` },
      })
    ).json()) as {
      feedback: number;
      groups: { key: string; requests: number; feedback: number; meanScore: number }[];
    };
    expect(usage.feedback).toBe(2 * N);
    const small = usage.groups.find((g) => g.key === 'small-sim')!;
    expect(small).toMatchObject({ requests: N, feedback: N });
    expect(small.meanScore).toBeCloseTo(0.9, 12);
    const fresh = usage.groups.find((g) => g.key === 'fresh-model')!;
    // i % 4 === 0: 1; other even i: 0; odd i: 0.5.
    const freshMean = (6 * 1 + 6 * 0 + 12 * 0.5) / N;
    expect(fresh.meanScore).toBeCloseTo(freshMean, 12);
    const metrics = await (await fetch(`${server.baseUrl}/metrics`)).text();
    expect(metrics).toContain(
      `model_router_feedback_score_count{router="model-router",model="small-sim"} ${N}`,
    );
    expect(await server.stop()).toBe(0);
    server = undefined;

    const configPath = join(dir, 'config.json');
    writeFileSync(configPath, JSON.stringify(config));
    // `report` reads the same numbers from the log: JSON, text and CSV.
    const report = JSON.parse(
      cli(['report', '--since', '1h', '--json', '--config', configPath]).stdout,
    ) as typeof usage;
    expect(report.feedback).toBe(2 * N);
    expect(report.groups.find((g) => g.key === 'fresh-model')?.meanScore).toBeCloseTo(
      freshMean,
      12,
    );
    expect(cli(['report', '--since', '1h', '--config', configPath]).stdout).toMatch(
      /feedback 48, mean score 0\.700/,
    );
    const csv = cli(['report', '--since', '1h', '--csv', '--config', configPath]).stdout.split(
      '\r\n',
    );
    expect(csv[0]).toMatch(/,feedback,mean_score$/);
    expect(csv.find((l) => l.startsWith('small-sim,'))).toMatch(/,24,0\.9$/);
    // Both formats asked for: one is chosen by the caller, not silently by the command.
    const both = cli(['report', '--since', '1h', '--json', '--csv', '--config', configPath]);
    expect([both.code, both.stdout]).toEqual([2, '']);
    expect(both.stderr).toContain('--json and --csv: choose one');

    const scored = join(dir, 'scored.jsonl');
    const exported = cli([
      'feedback',
      'export',
      '--since',
      '1h',
      '--config',
      configPath,
      '--out',
      scored,
    ]);
    expect(exported.code, exported.stderr).toBe(0);
    const rows = readFileSync(scored, 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as { prompt: string; scores: Record<string, number> });
    expect(rows).toHaveLength(2 * N);
    // Scores under the artefact's names: the `like:` model, and the unknown one's own model.
    expect(rows.filter((r) => r.scores['qwen2.5-7b-instruct'] === 0.9)).toHaveLength(N);
    const freshRows = rows.filter((r) => 'fresh-model' in r.scores);
    expect(freshRows).toHaveLength(N);
    expect(freshRows[0]).toMatchObject({
      id: expect.stringMatching(/^feedback\/team-a\/req_/),
      source: 'feedback',
      prompt: 'Question 0: what is 0 times 3?',
      multi_turn: false,
      scores: { 'fresh-model': 1 },
    });
    expect(exported.stderr).toMatch(/wrote 48 rated prompts .*fresh-model/);
    // --router keeps the routed requests only.
    const routedOnly = join(dir, 'routed.jsonl');
    expect(
      cli([
        'feedback',
        'export',
        '--since',
        '1h',
        '--router',
        'model-router',
        '--config',
        configPath,
        '--out',
        routedOnly,
      ]).code,
    ).toBe(0);
    expect(readFileSync(routedOnly, 'utf8').trimEnd().split('\n')).toHaveLength(N);

    // calibrate takes the file as it is: fresh-model is fitted against the known model's group.
    const prices = join(dir, 'prices.json');
    writeFileSync(
      prices,
      JSON.stringify({ 'fresh-model': { input_per_1m_usd: 1, output_per_1m_usd: 2 } }),
    );
    const out = join(dir, 'calibrated.json');
    const cal = cli([
      'calibrate',
      '--model',
      'latest',
      '--data',
      scored,
      '--prices',
      prices,
      '--out',
      out,
    ]);
    expect(cal.code, cal.stderr).toBe(0);
    expect(cal.stderr).toMatch(/added fresh-model to group llmrouter_9open\.jsonl/);
    // The prompts it was scored on (N), not the file's rows (which score other models too).
    expect(cal.stderr).toContain(`on ${N} prompts`);
    expect(cal.stderr).not.toContain(`on ${rows.length} prompts`);
    const artefact = JSON.parse(readFileSync(out, 'utf8')) as {
      models: { name: string; group: string }[];
    };
    expect(artefact.models.filter((m) => m.name === 'fresh-model')).toEqual([
      expect.objectContaining({ group: 'llmrouter_9open.jsonl' }),
    ]);

    // With the calibrated artefact as the config's router version, in the config's models folder,
    // the export names by it by default: fresh-model is known now. (Until 2026-12-06 it read the
    // package's latest whatever the config said, and a version of the config's folder was not found.)
    const models = join(dir, 'models');
    mkdirSync(models);
    copyFileSync(out, join(models, 'team-cal.json'));
    const ownModels = join(dir, 'own-models.json');
    writeFileSync(
      ownModels,
      JSON.stringify({
        ...config,
        routing: { modelsDir: models },
        routers: [{ name: 'model-router', modelSubset: ['small'], version: 'team-cal' }],
      }),
    );
    for (const extra of [[], ['--model', 'team-cal']]) {
      const again = cli([
        'feedback',
        'export',
        '--since',
        '1h',
        '--config',
        ownModels,
        '--out',
        join(dir, 'again.jsonl'),
        ...extra,
      ]);
      expect(again.code, again.stderr).toBe(0);
      expect(again.stderr, extra.join(' ')).not.toContain('not in artefact');
    }

    // Without stored prompts: said so, nothing written.
    const noText = join(dir, 'no-text.json');
    writeFileSync(
      noText,
      JSON.stringify({ ...config, requestLog: { ...config.requestLog, storeText: false } }),
    );
    const none = join(dir, 'none.jsonl');
    const refusedExport = cli(['feedback', 'export', '--config', noText, '--out', none]);
    expect(refusedExport.code).toBe(1);
    expect(refusedExport.stderr).toMatch(/requestLog\.storeText is off/);
    expect(existsSync(none)).toBe(false);
    // Several CLI runs, one of them a calibration: 10 s alone, 39 s on a loaded 2-core machine.
  }, 120_000);
});
