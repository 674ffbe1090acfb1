// Found by fuzzing the media, files and embeddings routes with bad requests (helper hC,
// 2026-12-07): a 70,000-character `model`, `quality`, `previous_response_id` or `input_file_id` was quoted back whole in the 400/404
// message (a 70 KB error body); a name is now JSON-escaped and cut. A form that names `purpose`
// twice was read as its last part; it is a 400 naming the field.
import { describe, expect, it } from 'vitest';
import { buildTestApp, simulatedAdapters } from '../../test/helpers/build-test-app.js';
import { loadConfigFile } from '../config/load-config.js';
import { createMemoryBatchStore } from '../store/memory/memory-batch-store.js';
import { createResponseStore } from '../store/response-store.js';

async function app() {
  const config = loadConfigFile('config/default.yaml', {}).config;
  return buildTestApp(config, simulatedAdapters(config), {
    files: createMemoryBatchStore(),
    responses: createResponseStore(),
  });
}

const long = 'x'.repeat(70_000);

describe('values a client sent, quoted in a refusal', () => {
  it('an unknown model is quoted JSON-escaped and cut at 120 characters, on every API', async () => {
    const t = await app();
    for (const [url, body] of [
      ['/v1/embeddings', { model: long, input: 'hi' }],
      ['/v1/chat/completions', { model: long, messages: [{ role: 'user', content: 'hi' }] }],
    ] as const) {
      const res = await t.app.inject({ method: 'POST', url, payload: body });
      expect(res.statusCode, url).toBe(404);
      expect(res.json().error.message, url).toBe(
        `The model or deployment "${'x'.repeat(120)}…" does not exist or you do not have access to it. GET /v1/models lists the router deployments and deployments you can use.`,
      );
    }
    const nul = await t.app.inject({
      method: 'POST',
      url: '/v1/embeddings',
      payload: { model: 'a\u0000b', input: 'hi' },
    });
    expect(nul.json().error.message).toMatch(/^The model or deployment "a\\u0000b" does not/);
  });

  it('an unknown previous_response_id is quoted cut (input_file_id: batches-routes.test.ts)', async () => {
    const t = await app();
    const previous = await t.app.inject({
      method: 'POST',
      url: '/v1/responses',
      payload: { model: 'model-router', input: 'hi', previous_response_id: long },
    });
    expect(previous.statusCode).toBe(400);
    expect(previous.json().error.message).toMatch(
      new RegExp(`^Previous response "${'x'.repeat(120)}…" was not found: `),
    );
  });

  it('an image quality is quoted cut', async () => {
    const t = await app();
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/images/generations',
      payload: { model: 'gpt-image-1', prompt: 'a cat', quality: long },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.message.length).toBeLessThan(200);
    expect(res.json().error.param).toBe('quality');
  });

  it('a form field sent twice is refused, not read as its last', async () => {
    const t = await app();
    const boundary = 'B';
    const part = (name: string, value: string, file = '') =>
      `--${boundary}\r\nContent-Disposition: form-data; name="${name}"${file && `; filename="${file}"`}\r\n\r\n${value}\r\n`;
    const line = JSON.stringify({
      custom_id: 'a',
      method: 'POST',
      url: '/v1/embeddings',
      body: { model: 'text-embedding-3-small', input: 'x' },
    });
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/files',
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
      payload:
        part('purpose', 'batch') +
        part('purpose', 'user_data') +
        part('file', `${line}\n`, 'in.jsonl') +
        `--${boundary}--\r\n`,
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toEqual({
      message: "'purpose' is in the form twice; send it once.",
      type: 'invalid_request_error',
      param: 'purpose',
      code: 'invalid_value',
    });
  });
});
