// Image (generations, edits, variations) and speech requests through the whole router
// (createRuntime + app.inject), governed as embeddings are: the content filter on the prompt and
// the text to speak (block and redact; a JSON image edit's redacted prompt is what its upstream
// gets), and a deployment's own rate limit.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it, vi } from 'vitest';
import { parseConfig } from '../src/config/load-config.js';
import {
  simulatedPng,
  SPEECH_MS_PER_CHAR,
  SPEECH_SAMPLE_RATE,
} from '../src/providers/simulated/simulated-media.js';
import { createRuntime } from '../src/runtime.js';
import { simDeployment, testConfigInput } from './helpers/test-config.js';

// Redacts e-mail addresses in prompts; blocks a prompt that names project-x.
const FILTER: NonNullable<Parameters<typeof testConfigInput>[0]>['contentFilter'] = {
  enabled: true,
  rules: [
    { id: 'pii', kind: 'pii', patterns: ['email'], action: 'redact', appliesTo: 'input' },
    {
      id: 'no-secrets',
      kind: 'keyword',
      patterns: ['project-x'],
      action: 'block',
      appliesTo: 'input',
    },
  ],
};

describe('images and speech under governance', () => {
  it('the content filter blocks and redacts; the deployment rate limit refuses past its rpm', async () => {
    const input = testConfigInput({ contentFilter: FILTER });
    input.deployments.push(
      simDeployment('img', { kind: 'images', maxOutputTokens: undefined, rateLimit: { rpm: 2 } }),
      simDeployment('tts', { kind: 'speech', maxOutputTokens: undefined }),
    );
    const rt = await createRuntime(parseConfig(input, {}).config);
    try {
      const image = (prompt: string) =>
        rt.app.inject({
          method: 'POST',
          url: '/v1/images/generations',
          payload: { model: 'img', prompt },
        });
      const blocked = await image('a poster for project-x');
      expect(blocked.statusCode).toBe(400);
      expect(blocked.json().error.code).toBe('content_filter');
      // The image is drawn from the redacted prompt: two that differ only in the address match.
      const a = await image('a card for ann@example.com');
      const b = await image('a card for bob@example.org');
      expect(a.statusCode).toBe(200);
      expect(a.json().data[0].b64_json).toBe(b.json().data[0].b64_json);
      // The deployment's 2 requests a minute are spent (the blocked one never reached it).
      const limited = await image('one more');
      expect(limited.statusCode).toBe(429);
      expect(limited.json().error.message).toContain('deployment img');

      const speech = await rt.app.inject({
        method: 'POST',
        url: '/v1/audio/speech',
        payload: { model: 'tts', voice: 'alloy', input: 'mail ann@example.com' },
      });
      expect(speech.statusCode).toBe(200);
      expect(speech.headers['content-type']).toBe('audio/wav');
      // The WAV is as long as the text spoken: the redacted text, not the text sent.
      const spokenChars =
        speech.rawPayload.readUInt32LE(40) / 2 / ((SPEECH_MS_PER_CHAR * SPEECH_SAMPLE_RATE) / 1000);
      expect(spokenChars).toBe('mail [redacted:email]'.length);
      expect(speech.rawPayload.length).toBe(44 + speech.rawPayload.readUInt32LE(40));
      const blockedSpeech = await rt.app.inject({
        method: 'POST',
        url: '/v1/audio/speech',
        payload: { model: 'tts', voice: 'alloy', input: 'project-x launch' },
      });
      expect(blockedSpeech.statusCode).toBe(400);
      expect(blockedSpeech.json().error.code).toBe('content_filter');
    } finally {
      await rt.close();
    }
  });

  it('image edits and variations: the filter reads the edit prompt; the deployment rate limit counts them', async () => {
    const input = testConfigInput({ contentFilter: FILTER });
    input.deployments.push(
      simDeployment('img', { kind: 'images', maxOutputTokens: undefined, rateLimit: { rpm: 3 } }),
    );
    const rt = await createRuntime(parseConfig(input, {}).config);
    try {
      const send = async (path: string, prompt?: string) => {
        const form = new FormData();
        form.set('model', 'img');
        if (prompt !== undefined) form.set('prompt', prompt);
        form.set('image', new Blob([simulatedPng('source', 0)], { type: 'image/png' }), 'a.png');
        const req = new Request('http://router.test', { method: 'POST', body: form });
        return rt.app.inject({
          method: 'POST',
          url: path,
          headers: { 'content-type': req.headers.get('content-type')! },
          payload: Buffer.from(await req.arrayBuffer()),
        });
      };
      const blocked = await send('/v1/images/edits', 'a poster for project-x');
      expect(blocked.statusCode).toBe(400);
      expect(blocked.json().error.code).toBe('content_filter');
      // The edit is drawn from the redacted prompt: two that differ only in the address match.
      const a = await send('/v1/images/edits', 'a card for ann@example.com');
      const b = await send('/v1/images/edits', 'a card for bob@example.org');
      expect(a.statusCode).toBe(200);
      expect(a.json().data[0].b64_json).toBe(b.json().data[0].b64_json);
      expect((await send('/v1/images/variations')).statusCode).toBe(200);
      // The deployment's 3 requests a minute are spent (the blocked one never reached it).
      const limited = await send('/v1/images/variations');
      expect(limited.statusCode).toBe(429);
      expect(limited.json().error.message).toContain('deployment img');
    } finally {
      await rt.close();
    }
  });

  it('a JSON image edit: the filter reads its prompt; the redacted one goes upstream', async () => {
    // An OpenAI-shaped upstream on loopback: the JSON bodies it got.
    const bodies: Record<string, unknown>[] = [];
    const upstream = createServer((req, res) => {
      let text = '';
      req.on('data', (c: Buffer) => (text += String(c)));
      req.on('end', () => {
        bodies.push(JSON.parse(text) as Record<string, unknown>);
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ created: 1, data: [{ b64_json: 'eA==' }] }));
      });
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    vi.stubEnv('GOV_IMG_KEY', 'sk-up');
    const input = testConfigInput({ contentFilter: FILTER });
    input.deployments.push(
      simDeployment('img', {
        kind: 'images',
        provider: 'openai',
        model: 'gpt-image-1.5',
        baseUrl: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/v1`,
        apiKeyEnv: 'GOV_IMG_KEY',
        simulation: undefined,
        maxOutputTokens: undefined,
      }),
    );
    const rt = await createRuntime(parseConfig(input, {}).config);
    try {
      const send = (prompt: string) =>
        rt.app.inject({
          method: 'POST',
          url: '/v1/images/edits',
          payload: { model: 'img', prompt, images: [{ image_url: 'https://example.com/a.png' }] },
        });
      const blocked = await send('a poster for project-x');
      expect(blocked.statusCode).toBe(400);
      expect(blocked.json().error.code).toBe('content_filter');
      expect(bodies).toEqual([]);
      expect((await send('a card for ann@example.com')).statusCode).toBe(200);
      expect(bodies).toEqual([
        {
          model: 'gpt-image-1.5',
          prompt: 'a card for [redacted:email]',
          images: [{ image_url: 'https://example.com/a.png' }],
        },
      ]);
    } finally {
      await rt.close();
      upstream.close();
      vi.unstubAllEnvs();
    }
  });
});
