// An image part's URL is an http(s) URL or a data URL (Anthropic's url source: a URL), on Chat
// Completions, Responses and Messages alike: anything else is a 400 naming the field before
// routing. Before, the simulated fleet answered it, and OpenAI and Claude refused it upstream.
import { describe, expect, it } from 'vitest';
import { buildTestApp, simulatedAdapters } from '../../test/helpers/build-test-app.js';
import { testConfig } from '../../test/helpers/test-config.js';
import { createResponseStore } from '../store/response-store.js';

type Json = Record<string, unknown>;

const PNG =
  'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';
const BAD = ['notaurl', 'ftp://example.com/cat.png', 'https://', '/images/cat.png'];

async function app() {
  const config = testConfig();
  const t = await buildTestApp(config, simulatedAdapters(config), {
    responses: createResponseStore(100),
  });
  const post = (url: string, payload: Json) =>
    t.app.inject({
      method: 'POST',
      url,
      headers: url === '/v1/messages' ? { 'anthropic-version': '2023-06-01' } : {},
      payload: { model: 'model-router', ...payload },
    });
  const chat = (url: string) =>
    post('/v1/chat/completions', {
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is in this picture?' },
            { type: 'image_url', image_url: { url } },
          ],
        },
      ],
    });
  const responses = (url: string) =>
    post('/v1/responses', {
      input: [
        {
          role: 'user',
          content: [
            { type: 'input_text', text: 'What is in this picture?' },
            { type: 'input_image', image_url: url },
          ],
        },
      ],
    });
  const messages = (url: string) =>
    post('/v1/messages', {
      max_tokens: 50,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is in this picture?' },
            { type: 'image', source: { type: 'url', url } },
          ],
        },
      ],
    });
  return { t, chat, responses, messages };
}

describe('image URLs', () => {
  it('refuses an image URL that is neither http(s) nor a data URL, naming the field', async () => {
    const { t, chat, responses, messages } = await app();
    for (const url of BAD) {
      const c = await chat(url);
      expect(c.statusCode, url).toBe(400);
      expect(c.json().error).toMatchObject({
        type: 'invalid_request_error',
        param: 'messages[0].content[1].image_url.url',
        code: 'invalid_value',
      });
      expect(c.json().error.message).toContain(`got ${JSON.stringify(url)}`);
      const r = await responses(url);
      expect(r.statusCode, url).toBe(400);
      expect(r.json().error).toMatchObject({ param: 'input[0].content[1].image_url' });
      const m = await messages(url);
      expect(m.statusCode, url).toBe(400);
      expect(m.json()).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
      expect(m.json().error.message).toContain(
        'messages.0.content.1.source.url: must be an http(s) URL',
      );
    }
    // Anthropic's url source takes a URL; inline images go as base64 sources.
    expect((await messages(PNG)).statusCode).toBe(400);
    await t.app.close();
  });

  it('serves https and data URLs', async () => {
    const { t, chat, responses, messages } = await app();
    for (const url of ['https://example.com/cat.png', 'HTTP://example.com/cat.png?size=2', PNG]) {
      expect((await chat(url)).statusCode, url).toBe(200);
      expect((await responses(url)).statusCode, url).toBe(200);
    }
    expect((await messages('https://example.com/cat.png')).statusCode).toBe(200);
    await t.app.close();
  });
});
