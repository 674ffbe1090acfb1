// Image (generation, edit, variation), speech and transcription through the BUILT router (a child process, as a user runs it)
// with the official `openai` SDK: what the SQLite request log (`/admin/v1/usage?by=endpoint`) and
// the Prometheus metrics say of them, costs included.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI, { toFile } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashApiKey } from '../../src/auth/api-key.js';
import { spawnServer, type SpawnedServer } from '../helpers/spawn-server.js';
import { simDeployment, testConfigInput } from '../helpers/test-config.js';

const ADMIN_KEY = 'mr-e2e-admin-key-media-0123456789';
/** A key allowed one request a minute, to the image model only. */
const SLOW_KEY = 'mr-e2e-one-a-minute-key-0123456789';
let server: SpawnedServer;
let client: OpenAI;

beforeAll(async () => {
  const input = testConfigInput({
    auth: {
      mode: 'keys',
      adminKeyEnv: 'MODEL_ROUTER_ADMIN_KEY',
      keys: [
        {
          id: 'slow',
          hash: hashApiKey(SLOW_KEY),
          tenant: 'team-s',
          scopes: ['gpt-image-1'],
          rateLimit: { rpm: 1 },
        },
      ],
    },
    requestLog: {
      kind: 'sqlite',
      sqlitePath: join(mkdtempSync(join(tmpdir(), 'mr-media-')), 'log.db'),
    },
  });
  const media = (name: string, kind: 'images' | 'speech' | 'transcription', prices: object) =>
    simDeployment(name, {
      kind,
      model: name,
      maxOutputTokens: undefined,
      prices: { inputPer1M: 0, outputPer1M: 0, ...prices },
    });
  input.deployments.push(
    media('gpt-image-1', 'images', { perImage: 0.25 }),
    media('tts-1', 'speech', { inputCharsPer1M: 1_000_000 }),
    media('whisper-1', 'transcription', { perAudioMinute: 6 }),
  );
  server = await spawnServer(input, { MODEL_ROUTER_ADMIN_KEY: ADMIN_KEY });
  // The admin key may call every model.
  client = new OpenAI({ baseURL: `${server.baseUrl}/v1`, apiKey: ADMIN_KEY, maxRetries: 0 });
});

afterAll(async () => {
  await server?.stop();
});

describe('media endpoints in the request log and the metrics', () => {
  it("a key's rate limit and scopes hold: the second image in a minute is a 429, speech a 403", async () => {
    const slow = new OpenAI({ baseURL: `${server.baseUrl}/v1`, apiKey: SLOW_KEY, maxRetries: 0 });
    await slow.images.generate({ model: 'gpt-image-1', prompt: 'one' });
    const second = await slow.images
      .generate({ model: 'gpt-image-1', prompt: 'two' })
      .catch((e: unknown) => e);
    expect(second).toBeInstanceOf(OpenAI.RateLimitError);
    expect(
      (second as InstanceType<typeof OpenAI.RateLimitError>).headers.get('retry-after'),
    ).toMatch(/^\d+$/);
    await expect(
      slow.audio.speech.create({ model: 'tts-1', voice: 'alloy', input: 'x' }),
    ).rejects.toMatchObject({ status: 403 });
  });

  it('one request each: rows by endpoint with their cost, and Prometheus counters', async () => {
    const images = await client.images.generate({ model: 'gpt-image-1', prompt: 'a fox', n: 2 });
    expect(images.data).toHaveLength(2);
    // The fox edited, and varied: the generated PNG's bytes sent back as a file.
    const fox = await toFile(Buffer.from(images.data![0]!.b64_json!, 'base64'), 'fox.png');
    const edited = await client.images.edit({ model: 'gpt-image-1', image: fox, prompt: 'a hat' });
    expect(edited.data).toHaveLength(1);
    const varied = await client.images.createVariation({ model: 'gpt-image-1', image: fox });
    expect(varied.data![0]!.b64_json).not.toBe(edited.data![0]!.b64_json);
    const speech = await client.audio.speech.create({
      model: 'tts-1',
      voice: 'alloy',
      input: 'abcd',
    });
    const wav = Buffer.from(await speech.arrayBuffer());
    expect(wav.toString('ascii', 0, 4)).toBe('RIFF');
    // The speech's own WAV (4 characters: 0.24 s), transcribed as verbose_json.
    const heard = await client.audio.transcriptions.create({
      file: await toFile(wav, 'speech.wav'),
      model: 'whisper-1',
      response_format: 'verbose_json',
    });
    expect(heard.duration).toBeCloseTo(0.24, 6);

    const admin = { authorization: `Bearer ${ADMIN_KEY}` };
    type Group = { key: string; requests: number; costUsd: number };
    let groups: Group[] = [];
    // The log writer batches its rows off the hot path: wait for them to land.
    for (let i = 0; i < 50 && groups.length < 5; i++) {
      const usage = await fetch(
        `${server.baseUrl}/admin/v1/usage?since=1h&by=endpoint&tenant=admin`,
        {
          headers: admin,
        },
      );
      groups = ((await usage.json()) as { groups: Group[] }).groups;
      if (groups.length < 5) await new Promise((r) => setTimeout(r, 100));
    }
    const row = (key: string) => groups.find((g) => g.key === key);
    expect(row('images.generations')).toMatchObject({ requests: 1 });
    expect(row('images.generations')!.costUsd).toBeCloseTo(0.5, 10);
    for (const key of ['images.edits', 'images.variations']) {
      expect(row(key)).toMatchObject({ requests: 1 });
      expect(row(key)!.costUsd).toBeCloseTo(0.25, 10);
    }
    expect(row('audio.speech')).toMatchObject({ requests: 1 });
    expect(row('audio.speech')!.costUsd).toBeCloseTo(4, 10);
    expect(row('audio.transcriptions')).toMatchObject({ requests: 1 });
    expect(row('audio.transcriptions')!.costUsd).toBeCloseTo((0.24 / 60) * 6, 10);

    const metrics = await (await fetch(`${server.baseUrl}/metrics`)).text();
    // The image model served the slow key once too (and refused it once: 429), and an edit and a
    // variation.
    for (const [name, n] of [
      ['gpt-image-1', 4],
      ['tts-1', 1],
      ['whisper-1', 1],
    ] as const)
      expect(metrics).toMatch(
        new RegExp(
          `model_router_requests_total\\{router="",model="${name}",deployment="${name}",status="200"\\} ${n}\n`,
        ),
      );
    expect(metrics).toMatch(
      /model_router_cost_usd_total\{router="",model="gpt-image-1",deployment="gpt-image-1"\} 1\.25\n/,
    );
  });
});
