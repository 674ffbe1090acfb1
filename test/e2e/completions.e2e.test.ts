// The legacy Completions API through the whole router with the official `openai` package (OpenAI
// and AzureOpenAI): routed like chat, `model` the one that served, streams as text_completion
// chunks with usage, recorded as endpoint `completions`; what has no chat counterpart is a 400.
import OpenAI, { AzureOpenAI } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RequestRecord } from '../../src/store/request-record.js';
import { createRuntime, type Runtime } from '../../src/runtime.js';
import { testConfig } from '../helpers/test-config.js';

let rt: Runtime;
let base: string;
let client: OpenAI;
const records: RequestRecord[] = [];

beforeAll(async () => {
  rt = await createRuntime(testConfig(), { recorder: { record: (r) => void records.push(r) } });
  base = await rt.app.listen({ host: '127.0.0.1', port: 0 });
  client = new OpenAI({ baseURL: `${base}/v1`, apiKey: 'unused', maxRetries: 0 });
});

afterAll(async () => {
  await rt?.close();
});

describe('legacy Completions with the openai SDK', () => {
  it('routes a prompt and answers in text_completion shape with the served model', async () => {
    const { data, response } = await client.completions
      .create({ model: 'model-router', prompt: 'Say hello', max_tokens: 20 })
      .withResponse();
    expect(data).toMatchObject({ object: 'text_completion', model: 'small-sim' });
    expect(data.id).toMatch(/^cmpl-/);
    expect(data.choices[0]?.text.length).toBeGreaterThan(0);
    expect(data.choices[0]).toMatchObject({ index: 0, logprobs: null });
    expect(data.usage?.prompt_tokens).toBeGreaterThan(0);
    expect(response.headers.get('x-router-decision-id')).toMatch(/^dec_/);
    const rec = records.find((r) => r.requestId === response.headers.get('x-request-id'));
    expect(rec).toMatchObject({ endpoint: 'completions', router: 'model-router' });
  });

  it('streams text_completion chunks that add up to the answer, with usage last', async () => {
    const stream = await client.completions.create({
      model: 'mid',
      prompt: 'Tell me a story',
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let finish: string | null = null;
    let usage: OpenAI.CompletionUsage | undefined | null;
    for await (const chunk of stream) {
      expect(chunk.object).toBe('text_completion');
      for (const c of chunk.choices) {
        text += c.text;
        finish = c.finish_reason ?? finish;
      }
      usage = chunk.usage ?? usage;
    }
    expect(text.length).toBeGreaterThan(0);
    expect(finish).toBe('stop');
    expect(usage?.completion_tokens).toBeGreaterThan(0);
  });

  it('the Azure client reaches the dated deployment path', async () => {
    const azure = new AzureOpenAI({
      endpoint: base,
      apiKey: 'unused',
      apiVersion: '2024-10-21',
      maxRetries: 0,
    });
    const res = await azure.completions.create({ model: 'big', prompt: 'Hi' });
    expect(res.model).toBe('big-sim');
  });

  it('what chat cannot do is a 400 naming the field', async () => {
    const bad = (body: object) => client.completions.create(body as never);
    await expect(bad({ model: 'small', prompt: 'x', echo: true })).rejects.toMatchObject({
      status: 400,
      param: 'echo',
    });
    await expect(bad({ model: 'small', prompt: ['a', 'b'] })).rejects.toMatchObject({
      status: 400,
      param: 'prompt',
    });
    await expect(bad({ model: 'small', prompt: [1, 2, 3] })).rejects.toMatchObject({
      status: 400,
      param: 'prompt',
    });
    await expect(bad({ model: 'small', prompt: 'x', suffix: 'y' })).rejects.toMatchObject({
      status: 400,
      param: 'suffix',
    });
    await expect(bad({ model: 'small' })).rejects.toMatchObject({ status: 400, param: 'prompt' });
    await expect(bad({ prompt: 'x' })).rejects.toMatchObject({ status: 400, param: 'model' });
  });
});
