// Files uploaded to the router as model input, used by id with whichever deployment is picked:
// uploaded through the official `openai` SDK (`purpose: user_data`) or `@anthropic-ai/sdk`
// (`client.beta.files.upload`), then named in a chat `file` part, a Responses `input_file` /
// `input_image`, or a Messages `document` with a file source. The simulated fleet answers; Claude
// (over a recording HTTP upstream) gets a base64 document or image block with the file's bytes;
// OpenAI gets them inline (`file_data`), never the router's id. Another tenant's id and an expired
// file are not the router's (passed through as any foreign id is, or a 404 on Messages); a
// foreign id still goes to OpenAI as it is; bad uploads get clear 400s.
import Anthropic, { toFile as toAnthropicFile } from '@anthropic-ai/sdk';
import OpenAI, { AzureOpenAI, toFile } from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../../../test/helpers/build-test-app.js';
import { recordedUpstreams } from '../../../test/helpers/recorded-upstreams.js';
import { simDeployment, testConfig } from '../../../test/helpers/test-config.js';
import { as, tenants } from '../../../test/helpers/two-tenants.js';
import { createSimulatedAdapter } from '../../providers/simulated/simulated-adapter.js';
import { createMemoryBatchStore } from '../../store/memory/memory-batch-store.js';
import { createResponseStore } from '../../store/response-store.js';
import { MAX_INPUT_FILE_BYTES } from './files-routes.js';

type Json = Record<string, unknown>;

const PDF = Buffer.from('%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n');
// A 1×1 PNG.
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
);

let t: (TestApp & { sent: ReturnType<typeof recordedUpstreams>['sent']; url: string }) | undefined;

afterEach(async () => {
  await t?.app.close();
  t = undefined;
});

async function setup() {
  const upstreams = recordedUpstreams();
  const config = testConfig({
    deployments: [simDeployment('small'), ...upstreams.deployments],
    routers: [
      { name: 'fleet', modelSubset: ['small'] },
      { name: 'claude-only', modelSubset: ['claude'] },
    ],
  });
  const small = config.deployments.find((d) => d.name === 'small')!;
  const app = await buildTestApp(
    config,
    {
      small: createSimulatedAdapter(small, { sleep: async () => {} }),
      ...upstreams.adapters(config.deployments),
    },
    {
      authenticator: tenants,
      files: createMemoryBatchStore(),
      responses: createResponseStore(100),
    },
  );
  const url = await app.app.listen({ host: '127.0.0.1', port: 0 });
  t = { ...app, sent: upstreams.sent, url };
  return t;
}

const openai = (url: string, tenant = 'team-a') =>
  new OpenAI({ baseURL: `${url}/v1`, apiKey: tenant, maxRetries: 0 });
const anthropic = (url: string, tenant = 'team-a') =>
  new Anthropic({ baseURL: url, authToken: tenant, maxRetries: 0 });

const lastBody = (sent: { body: string }[]) => JSON.parse(sent.at(-1)!.body) as Json;

async function uploadPdf(url: string, tenant = 'team-a') {
  return openai(url, tenant).files.create({
    file: await toFile(PDF, 'report.pdf'),
    purpose: 'user_data',
  });
}

const fileMessage = (fileId: string) => [
  {
    role: 'user' as const,
    content: [
      { type: 'text' as const, text: 'Summarise this.' },
      { type: 'file' as const, file: { file_id: fileId } },
    ],
  },
];

describe('Files as model input (OpenAI Files API)', () => {
  it('uploads user_data through the openai SDK; lists, retrieves, reads and deletes it', async () => {
    const { url } = await setup();
    const c = openai(url);
    const f = await uploadPdf(url);
    expect(f).toMatchObject({ object: 'file', purpose: 'user_data', filename: 'report.pdf' });
    expect(f.bytes).toBe(PDF.length);
    expect(f.id).toMatch(/^file-/);
    const batchFile = await c.files.create({
      file: await toFile(Buffer.from('{"a":1}\n'), 'in.jsonl'),
      purpose: 'batch',
    });
    const userData = await c.files.list({ purpose: 'user_data' });
    expect(userData.data.map((x) => x.id)).toEqual([f.id]);
    const all = await c.files.list();
    expect(all.data.map((x) => x.id).sort()).toEqual([f.id, batchFile.id].sort());
    expect((await c.files.retrieve(f.id)).purpose).toBe('user_data');
    const content = await c.files.content(f.id);
    expect(content.headers.get('content-type')).toBe('application/pdf');
    expect(Buffer.from(await content.arrayBuffer()).equals(PDF)).toBe(true);
    // Another tenant does not see it.
    await expect(openai(url, 'team-b').files.retrieve(f.id)).rejects.toMatchObject({ status: 404 });
    expect((await c.files.delete(f.id)).deleted).toBe(true);
    await expect(c.files.retrieve(f.id)).rejects.toMatchObject({ status: 404 });
  });

  it('a chat file_id is served by the simulated fleet, Claude (a base64 document) and OpenAI (inline)', async () => {
    const { url, sent } = await setup();
    const c = openai(url);
    const f = await uploadPdf(url);

    const fleet = await c.chat.completions.create({ model: 'fleet', messages: fileMessage(f.id) });
    expect(fleet.model).toBe('small-sim');
    expect(fleet.choices[0]!.message.content).toBeTruthy();

    // A router whose only deployment is Claude: eligible, as the file is inline by routing.
    const viaClaude = await c.chat.completions.create({
      model: 'claude-only',
      messages: fileMessage(f.id),
    });
    expect(viaClaude.choices[0]!.message.content).toBe('four');
    const claudeBody = lastBody(sent.claude) as { messages: { content: Json[] }[] };
    expect(claudeBody.messages[0]!.content).toContainEqual({
      type: 'document',
      source: { type: 'base64', media_type: 'application/pdf', data: PDF.toString('base64') },
      title: 'report.pdf',
    });

    await c.chat.completions.create({ model: 'gpt', messages: fileMessage(f.id) });
    const gptBody = lastBody(sent.gpt) as { messages: { content: Json[] }[] };
    expect(gptBody.messages[0]!.content[1]).toEqual({
      type: 'file',
      file: {
        file_data: `data:application/pdf;base64,${PDF.toString('base64')}`,
        filename: 'report.pdf',
      },
    });
    expect(sent.gpt.at(-1)!.body).not.toContain(f.id);
  });

  it('an image file becomes an image: image_url to OpenAI, an image block to Claude', async () => {
    const { url, sent } = await setup();
    const c = openai(url);
    const img = await c.files.create({ file: await toFile(PNG, 'dot.png'), purpose: 'vision' });
    const messages = [
      {
        role: 'user' as const,
        content: [{ type: 'file' as const, file: { file_id: img.id } }],
      },
    ];
    await c.chat.completions.create({ model: 'gpt', messages });
    expect(
      (lastBody(sent.gpt) as { messages: { content: Json[] }[] }).messages[0]!.content,
    ).toEqual([
      { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG.toString('base64')}` } },
    ]);
    await c.chat.completions.create({ model: 'claude', messages });
    expect(
      (lastBody(sent.claude) as { messages: { content: Json[] }[] }).messages[0]!.content,
    ).toEqual([
      {
        type: 'image',
        source: { type: 'base64', media_type: 'image/png', data: PNG.toString('base64') },
      },
    ]);
  });

  it('Responses input_file and input_image with a file_id are made inline for Claude and OpenAI', async () => {
    const { url, sent } = await setup();
    const c = openai(url);
    const f = await uploadPdf(url);
    const img = await c.files.create({ file: await toFile(PNG, 'dot.png'), purpose: 'user_data' });
    const input = [
      {
        role: 'user' as const,
        content: [
          { type: 'input_text' as const, text: 'What is this?' },
          { type: 'input_file' as const, file_id: f.id },
          { type: 'input_image' as const, file_id: img.id, detail: 'auto' as const },
        ],
      },
    ];
    const r = await c.responses.create({ model: 'claude', input });
    expect(r.output_text).toBe('four');
    const claude = (lastBody(sent.claude) as { messages: { content: Json[] }[] }).messages[0]!;
    expect(claude.content).toContainEqual({
      type: 'document',
      source: { type: 'base64', media_type: 'application/pdf', data: PDF.toString('base64') },
      title: 'report.pdf',
    });
    expect(claude.content).toContainEqual({
      type: 'image',
      source: { type: 'base64', media_type: 'image/png', data: PNG.toString('base64') },
    });
    await c.responses.create({ model: 'gpt', input });
    const gpt = sent.gpt.at(-1)!.body;
    expect(gpt).toContain(`data:application/pdf;base64,${PDF.toString('base64')}`);
    expect(gpt).toContain(`data:image/png;base64,${PNG.toString('base64')}`);
    expect(gpt).not.toContain(f.id);
    expect(gpt).not.toContain(img.id);
  });

  it("another tenant's file_id is not resolved: passed on as a foreign id, never its bytes", async () => {
    const { url, sent, app } = await setup();
    const f = await uploadPdf(url, 'team-a');
    // To OpenAI: the id as sent (OpenAI answers for it), not team-a's file.
    await openai(url, 'team-b').chat.completions.create({
      model: 'gpt',
      messages: fileMessage(f.id),
    });
    const gptBody = lastBody(sent.gpt) as { messages: { content: Json[] }[] };
    expect(gptBody.messages[0]!.content[1]).toEqual({ type: 'file', file: { file_id: f.id } });
    expect(sent.gpt.at(-1)!.body).not.toContain(PDF.toString('base64'));
    // Where only Claude could serve it: a 400 naming the files rule (a file_id uploaded elsewhere).
    const res = await app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      headers: as('team-b'),
      payload: { model: 'claude-only', messages: fileMessage(f.id) },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.message).toContain('files');
    expect(sent.claude).toHaveLength(0);
  });

  it('a foreign file_id still goes to OpenAI as it is; an expired router file is foreign too', async () => {
    const { url, sent, clock } = await setup();
    const c = openai(url);
    await c.chat.completions.create({ model: 'gpt', messages: fileMessage('file-Upstream123') });
    expect(
      (lastBody(sent.gpt) as { messages: { content: Json[] }[] }).messages[0]!.content[1],
    ).toEqual({ type: 'file', file: { file_id: 'file-Upstream123' } });
    const f = await c.files.create({
      file: await toFile(PDF, 'soon.pdf'),
      purpose: 'user_data',
      expires_after: { anchor: 'created_at', seconds: 3600 },
    });
    clock.advance(3_600_001);
    await c.chat.completions.create({ model: 'gpt', messages: fileMessage(f.id) });
    expect(
      (lastBody(sent.gpt) as { messages: { content: Json[] }[] }).messages[0]!.content[1],
    ).toEqual({ type: 'file', file: { file_id: f.id } });
    await expect(c.files.retrieve(f.id)).rejects.toMatchObject({ status: 404 });
  });

  it("Azure's paths: the AzureOpenAI client uploads, and a deployment path's chat gets the file inline", async () => {
    const { url, sent } = await setup();
    const az = new AzureOpenAI({
      endpoint: url,
      azureADTokenProvider: async () => 'team-a',
      apiVersion: '2024-10-21',
      deployment: 'gpt',
      maxRetries: 0,
    });
    const f = await az.files.create({ file: await toFile(PDF, 'az.pdf'), purpose: 'user_data' });
    expect(f.purpose).toBe('user_data');
    expect((await az.files.list({ purpose: 'user_data' })).data.map((x) => x.id)).toEqual([f.id]);
    await az.chat.completions.create({ model: 'gpt', messages: fileMessage(f.id) });
    expect(sent.gpt.at(-1)!.body).toContain(
      `data:application/pdf;base64,${PDF.toString('base64')}`,
    );
    expect(sent.gpt.at(-1)!.body).not.toContain(f.id);
  });

  it('bad uploads get clear 400s: wrong purpose, a type no model reads, an image-only purpose, too large', async () => {
    const { url } = await setup();
    const c = openai(url);
    const bad = async (file: Buffer, name: string, purpose: string) => {
      const err = (await c.files
        .create({ file: await toFile(file, name), purpose: purpose as 'user_data' })
        .catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
      expect(err).toBeInstanceOf(OpenAI.APIError);
      return err;
    };
    const purpose = await bad(PDF, 'a.pdf', 'fine-tune');
    expect(purpose.status).toBe(400);
    expect(purpose.param).toBe('purpose');
    expect(purpose.message).toContain('user_data');
    const binary = await bad(Buffer.from([0, 1, 2, 3, 0xff, 0xfe]), 'a.bin', 'user_data');
    expect(binary.status).toBe(400);
    expect(binary.code).toBe('unsupported_file');
    expect(binary.message).toContain('application/octet-stream');
    const vision = await bad(PDF, 'a.pdf', 'vision');
    expect(vision.status).toBe(400);
    expect(vision.message).toContain('an image');
    const big = Buffer.concat([PDF, Buffer.alloc(MAX_INPUT_FILE_BYTES)]);
    const tooLarge = await bad(big, 'big.pdf', 'user_data');
    expect(tooLarge.status).toBe(400);
    expect(tooLarge.code).toBe('file_too_large');
    expect((await c.files.list()).data).toEqual([]);
  });
});

describe("Files as model input (Anthropic's Files API)", () => {
  it('uploads through @anthropic-ai/sdk, uses the file in messages.create, lists, retrieves, deletes', async () => {
    const { url, sent, app, clock } = await setup();
    const c = anthropic(url);
    const f = await c.beta.files.upload({
      file: await toAnthropicFile(PDF, 'contract.pdf', { type: 'application/pdf' }),
    });
    expect(f).toMatchObject({
      type: 'file',
      filename: 'contract.pdf',
      mime_type: 'application/pdf',
      size_bytes: PDF.length,
      downloadable: true,
    });
    expect(Date.parse(f.created_at)).toBeGreaterThan(0);

    const msg = await c.messages.create({
      model: 'claude',
      max_tokens: 100,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Summarise.' },
            { type: 'document', source: { type: 'file', file_id: f.id } },
          ],
        },
      ],
    } as unknown as Anthropic.MessageCreateParamsNonStreaming);
    expect(msg.content).toEqual([{ type: 'text', text: 'four', citations: null }]);
    const claude = (lastBody(sent.claude) as { messages: { content: Json[] }[] }).messages[0]!;
    expect(claude.content).toContainEqual({
      type: 'document',
      source: { type: 'base64', media_type: 'application/pdf', data: PDF.toString('base64') },
      title: 'contract.pdf',
    });

    // The same file through OpenAI: inline.
    await c.messages.create({
      model: 'gpt',
      max_tokens: 100,
      messages: [
        { role: 'user', content: [{ type: 'document', source: { type: 'file', file_id: f.id } }] },
      ],
    } as unknown as Anthropic.MessageCreateParamsNonStreaming);
    expect(sent.gpt.at(-1)!.body).toContain(
      `data:application/pdf;base64,${PDF.toString('base64')}`,
    );

    // A batch file (OpenAI's) is not in Anthropic's list.
    await openai(url).files.create({
      file: await toFile(Buffer.from('{"a":1}\n'), 'in.jsonl'),
      purpose: 'batch',
    });
    // Newest first (the manual clock stands still unless moved).
    clock.advance(1000);
    const second = await c.beta.files.upload({ file: await toAnthropicFile(PNG, 'dot.png') });
    expect(second.mime_type).toBe('image/png');
    const page = await c.beta.files.list({ limit: 1 });
    expect(page.data.map((x) => x.id)).toEqual([second.id]);
    const listed: string[] = [];
    for await (const x of c.beta.files.list({ limit: 1 })) listed.push(x.id);
    expect(listed).toEqual([second.id, f.id]);
    const raw = await app.inject({
      method: 'GET',
      url: '/v1/files?beta=true&limit=5',
      headers: { ...as('team-a'), 'anthropic-version': '2023-06-01' },
    });
    expect(raw.json()).toMatchObject({
      has_more: false,
      first_id: second.id,
      last_id: f.id,
    });

    expect((await c.beta.files.retrieveMetadata(f.id)).filename).toBe('contract.pdf');
    const download = await c.beta.files.download(f.id);
    expect(Buffer.from(await download.arrayBuffer()).equals(PDF)).toBe(true);
    expect(await c.beta.files.delete(f.id)).toEqual({ id: f.id, type: 'file_deleted' });
    const gone = await app.inject({
      method: 'GET',
      url: `/v1/files/${f.id}?beta=true`,
      headers: { ...as('team-a'), 'anthropic-version': '2023-06-01' },
    });
    expect(gone.statusCode).toBe(404);
    expect(gone.json()).toMatchObject({ type: 'error', error: { type: 'not_found_error' } });
  });

  it("another tenant's file, or one never uploaded here, is a 404 not_found_error on /v1/messages", async () => {
    const { url, sent } = await setup();
    const f = await anthropic(url, 'team-a').beta.files.upload({
      file: await toAnthropicFile(PDF, 'mine.pdf'),
    });
    for (const id of [f.id, 'file_011CNha8iCJcU1wXNR6q4V8w']) {
      const err = (await anthropic(url, 'team-b')
        .messages.create({
          model: 'claude',
          max_tokens: 10,
          messages: [
            {
              role: 'user',
              content: [{ type: 'document', source: { type: 'file', file_id: id } }],
            },
          ],
        } as unknown as Anthropic.MessageCreateParamsNonStreaming)
        .catch((e: unknown) => e)) as InstanceType<typeof Anthropic.APIError>;
      expect(err.status).toBe(404);
      expect(err.error).toMatchObject({ type: 'error', error: { type: 'not_found_error' } });
      expect(err.message).toContain(id);
    }
    expect(sent.claude).toHaveLength(0);
  });

  it('an Anthropic upload of a type no model reads is an Anthropic-shaped 400', async () => {
    const { url } = await setup();
    const err = (await anthropic(url)
      .beta.files.upload({ file: await toAnthropicFile(Buffer.from([0, 0, 1, 2]), 'x.bin') })
      .catch((e: unknown) => e)) as InstanceType<typeof Anthropic.APIError>;
    expect(err.status).toBe(400);
    expect(err.error).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
  });
});
