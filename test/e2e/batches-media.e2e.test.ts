// Moderations and image-generation batches through the whole router on a loopback port, driven by
// the official `openai` package: upload a JSONL file, create the batch, poll it to `completed`,
// read the output and error files. Each line goes through the router's own route for its endpoint
// (the key's scopes, the content filter where that route runs it, costs, the request log), its
// answer is the endpoint's own body in OpenAI's batch output shape, and its failures are in the
// error file. A line whose `url` is not the batch's endpoint fails the batch; `/v1/images/edits`
// and `/v1/videos` batches are refused with a 400 naming the endpoints the router runs.
import OpenAI, { AzureOpenAI, toFile } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashApiKey } from '../../src/auth/api-key.js';
import type { RequestRecord } from '../../src/store/request-record.js';
import { createRuntime, type Runtime } from '../../src/runtime.js';
import { settle } from '../helpers/batch-client.js';
import {
  simDeployment,
  simModerationDeployment,
  testConfig,
  testConfigInput,
} from '../helpers/test-config.js';

const KEY = 'mr-batch-media-key-0123456789';
const KEY_SMALL = 'mr-batch-media-small-0123456789';

let rt: Runtime;
let base: string;
const records: RequestRecord[] = [];
const client = (key = KEY) => new OpenAI({ baseURL: `${base}/v1`, apiKey: key, maxRetries: 0 });

beforeAll(async () => {
  const input = testConfigInput({
    auth: {
      mode: 'keys',
      keys: [
        { id: 'media', hash: hashApiKey(KEY), tenant: 'acme' },
        { id: 'small', hash: hashApiKey(KEY_SMALL), tenant: 'acme', scopes: ['small'] },
      ],
    },
    batches: { pollIntervalMs: 50 },
    contentFilter: {
      enabled: true,
      rules: [
        {
          id: 'no-secrets',
          kind: 'keyword',
          patterns: ['project-x'],
          action: 'block',
          appliesTo: 'input',
        },
      ],
    },
  });
  input.deployments.push(
    simModerationDeployment('omni-moderation-latest'),
    simDeployment('img', {
      kind: 'images',
      model: 'gpt-image-1',
      maxOutputTokens: undefined,
      prices: { inputPer1M: 0, outputPer1M: 0, perImage: 0.04 },
    }),
  );
  rt = await createRuntime(testConfig(input), {
    recorder: { record: (r) => void records.push(r) },
  });
  base = await rt.app.listen({ host: '127.0.0.1', port: 0 });
});

afterAll(async () => {
  await rt?.close();
});

type Endpoint = OpenAI.BatchCreateParams['endpoint'];

const line = (id: string, url: string, body: object) => ({
  custom_id: id,
  method: 'POST',
  url,
  body,
});

/** Uploads `lines` as a JSONL file and creates a batch over it on `endpoint`. */
async function submit(c: OpenAI, endpoint: Endpoint, lines: object[]): Promise<OpenAI.Batch> {
  const file = await c.files.create({
    file: await toFile(
      Buffer.from(lines.map((l) => JSON.stringify(l)).join('\n') + '\n'),
      'in.jsonl',
    ),
    purpose: 'batch',
  });
  return c.batches.create({ input_file_id: file.id, endpoint, completion_window: '24h' });
}

interface FileLine {
  id: string;
  custom_id: string;
  response: { status_code: number; request_id: string; body: Record<string, unknown> } | null;
  error: unknown;
}

const fileLines = async (c: OpenAI, fileId: string | null | undefined) =>
  (await (await c.files.content(fileId!)).text())
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as FileLine);

const recordsOf = (batchId: string) => records.filter((r) => r.tags?.includes(`batch:${batchId}`));

describe('moderations and image generation batches with the openai SDK', () => {
  it('a /v1/moderations batch: each line classified by the moderation route, errors apart', async () => {
    const c = client();
    const mod = (id: string, body: object) => line(id, '/v1/moderations', body);
    const created = await submit(c, '/v1/moderations', [
      mod('m1', { model: 'omni-moderation-latest', input: 'I will flag:violence today' }),
      mod('m2', { input: ['hello there', 'flag:harassment you'] }), // the default model
      mod('m3', { model: 'no-such-moderation', input: 'hello' }),
      // The content filter does not run on moderations (live or batched): its input is what the
      // client wants classified.
      mod('m4', { input: 'the project-x launch' }),
      mod('m5', { input: 42 }),
    ]);
    expect(created).toMatchObject({ endpoint: '/v1/moderations', status: 'validating' });
    const done = await settle(c, created.id);
    expect(done.status).toBe('completed');
    expect(done.request_counts).toEqual({ total: 5, completed: 3, failed: 2 });

    const out = await fileLines(c, done.output_file_id);
    expect(out.map((l) => l.custom_id)).toEqual(['m1', 'm2', 'm4']);
    for (const l of out) {
      expect(l.error).toBeNull();
      expect(l.response!.status_code).toBe(200);
      expect(l.response!.request_id).toBe(l.id);
      expect(l.response!.body).toMatchObject({
        id: expect.stringMatching(/^modr-/),
        model: 'omni-moderation-latest',
      });
    }
    type Result = { flagged: boolean; categories: Record<string, boolean> };
    const results = (i: number) => out[i]!.response!.body.results as Result[];
    expect(results(0).map((r) => [r.flagged, r.categories.violence])).toEqual([[true, true]]);
    expect(results(1).map((r) => [r.flagged, r.categories.harassment])).toEqual([
      [false, false],
      [true, true],
    ]);
    expect(results(2).map((r) => r.flagged)).toEqual([false]);

    const errors = await fileLines(c, done.error_file_id);
    expect(errors.map((l) => [l.custom_id, l.response?.status_code])).toEqual([
      ['m3', 404],
      ['m5', 400],
    ]);
    expect(errors[1]!.response!.body).toMatchObject({
      error: { type: 'invalid_request_error', param: 'input' },
    });

    // In the request log as live requests are: m5's body was refused by the route before any
    // routing, which a live request's is too, and is not logged.
    const mine = recordsOf(created.id);
    expect(mine).toHaveLength(4);
    expect(mine.every((r) => r.endpoint === 'moderations' && r.keyId === 'media')).toBe(true);
    expect(mine.every((r) => r.tags?.[0] === 'batch')).toBe(true);
  });

  it('a /v1/images/generations batch: images in the output file, costed, filtered, logged', async () => {
    const c = client();
    const img = (id: string, body: object) =>
      line(id, '/v1/images/generations', { model: 'img', ...body });
    const created = await submit(c, '/v1/images/generations', [
      img('i1', { prompt: 'a red fox in the snow', size: '1024x1024' }),
      img('i2', { prompt: 'the project-x logo' }), // blocked by the content filter
      img('i3', { prompt: 'a blue whale', size: 'huge' }), // the route's own 400
      img('i4', { prompt: 'two green parrots', n: 2 }),
    ]);
    const done = await settle(c, created.id);
    expect(done).toMatchObject({
      status: 'completed',
      model: 'img',
      request_counts: { total: 4, completed: 2, failed: 2 },
    });

    const out = await fileLines(c, done.output_file_id);
    expect(out.map((l) => l.custom_id)).toEqual(['i1', 'i4']);
    const images = (i: number) => out[i]!.response!.body.data as { b64_json?: string }[];
    expect(images(0)).toHaveLength(1);
    expect(images(1)).toHaveLength(2);
    // A PNG, base64: the route's own answer, kept as it sent it.
    expect(Buffer.from(images(0)[0]!.b64_json!, 'base64').subarray(1, 4).toString()).toBe('PNG');
    expect(out[0]!.response!.body.created).toEqual(expect.any(Number));

    const errors = await fileLines(c, done.error_file_id);
    expect(errors.map((l) => [l.custom_id, l.response?.status_code])).toEqual([
      ['i2', 400],
      ['i3', 400],
    ]);
    expect(errors[0]!.response!.body).toMatchObject({ error: { code: 'content_filter' } });
    expect(errors[1]!.response!.body).toMatchObject({ error: { param: 'size' } });

    const mine = recordsOf(created.id); // i3's body refused by the route, before the log
    expect(mine.map((r) => r.endpoint)).toEqual(Array(3).fill('images.generations'));
    const served = mine.filter((r) => r.status === 200).map((r) => r.costUsd);
    expect(served.sort()).toEqual([0.04, 0.08]);
  });

  it("lines run as the creator's key: a key scoped elsewhere gets 403 moderation and image lines", async () => {
    const c = client(KEY_SMALL);
    for (const [endpoint, body] of [
      ['/v1/moderations', { input: 'hello' }],
      ['/v1/images/generations', { model: 'img', prompt: 'a cat' }],
    ] as const) {
      const done = await settle(c, (await submit(c, endpoint, [line('x', endpoint, body)])).id);
      expect(done.request_counts, endpoint).toEqual({ total: 1, completed: 0, failed: 1 });
      expect((await fileLines(c, done.error_file_id))[0]!.response!.status_code).toBe(403);
    }
  });

  it("a line whose url is not the batch's endpoint fails the batch before anything is sent", async () => {
    const c = client();
    const before = records.length;
    const done = await settle(
      c,
      (
        await submit(c, '/v1/moderations', [
          line('ok', '/v1/moderations', { input: 'hello' }),
          line('chat', '/v1/chat/completions', { model: 'small', messages: [] }),
          // Azure's spelling of a moderation path: Azure batches no moderations.
          line('azure', '/moderations', { input: 'hello' }),
          line('image', '/v1/images/generations', { model: 'img', prompt: 'a cat' }),
        ])
      ).id,
    );
    expect(done.status).toBe('failed');
    expect(done.errors?.data?.map((e) => [e.code, e.line, e.param])).toEqual([
      ['mismatched_url', 2, 'url'],
      ['mismatched_url', 3, 'url'],
      ['mismatched_url', 4, 'url'],
    ]);
    expect(done.errors?.data?.[0]?.message).toContain('"/v1/moderations"');
    const images = await settle(
      c,
      (
        await submit(c, '/v1/images/generations', [
          line('edit', '/v1/images/edits', { model: 'img', prompt: 'a cat' }),
        ])
      ).id,
    );
    expect(images.errors?.data?.map((e) => [e.code, e.line])).toEqual([['mismatched_url', 1]]);
    expect(records.length).toBe(before); // no line ran
  });

  it('image edits and video batches get a 400 saying which endpoints the router runs', async () => {
    const c = client();
    const file = await c.files.create({
      file: await toFile(Buffer.from('{}\n'), 'x.jsonl'),
      purpose: 'batch',
    });
    const create = (endpoint: string) =>
      c.batches
        .create({
          input_file_id: file.id,
          endpoint: endpoint as Endpoint,
          completion_window: '24h',
        })
        .then(
          () => undefined,
          (err: InstanceType<typeof OpenAI.APIError>) => err,
        );
    const edits = await create('/v1/images/edits');
    expect(edits).toMatchObject({ status: 400, param: 'endpoint', type: 'invalid_request_error' });
    expect(edits!.message).toMatch(/one at a time/);
    const videos = await create('/v1/videos');
    expect(videos).toMatchObject({ status: 400, param: 'endpoint' });
    expect(videos!.message).toMatch(/no video models/);
    for (const err of [edits, videos])
      for (const runs of ['/v1/chat/completions', '/v1/moderations', '/v1/images/generations'])
        expect(err!.message).toContain(runs);
    // Azure's clients spell the paths without /v1; Azure has no moderations or image batches.
    const azure = new AzureOpenAI({
      endpoint: base,
      apiKey: KEY,
      apiVersion: '2024-10-21',
      maxRetries: 0,
    });
    for (const endpoint of ['/moderations', '/images/generations'])
      await expect(
        azure.batches.create({
          input_file_id: file.id,
          endpoint: endpoint as Endpoint,
          completion_window: '24h',
        }),
      ).rejects.toMatchObject({ status: 400, param: 'endpoint' });
    // OpenAI's spelling is taken on Azure's paths too, as for the other endpoints.
    const ok = await azure.batches.create({
      input_file_id: file.id,
      endpoint: '/v1/moderations',
      completion_window: '24h',
    });
    expect(ok.endpoint).toBe('/v1/moderations');
  });
});
