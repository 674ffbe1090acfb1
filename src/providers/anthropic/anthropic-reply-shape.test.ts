// A 2xx from an Anthropic upstream that is not a Message (no `content`) is no answer: a retryable
// malformed reply, failed over (fault audit F3, 2026-12-06: it was served as an empty Message
// with all-zero usage).
import { describe, expect, it } from 'vitest';
import { deploymentSchema } from '../../config/deployment-schema.js';
import { recordingHttp } from '../../../test/helpers/fake-http.js';
import { createAnthropicAdapter } from './anthropic-adapter.js';

const claude = deploymentSchema.parse({
  name: 'claude',
  provider: 'anthropic',
  model: 'claude-sonnet-4-5',
  prices: { inputPer1M: 3, outputPer1M: 15 },
  contextWindow: 200_000,
  maxOutputTokens: 64_000,
});

const chat = (reply: string) =>
  createAnthropicAdapter(claude, recordingHttp(reply).http, {}).chat({
    deployment: claude,
    body: { model: 'claude', messages: [{ role: 'user', content: 'hi' }] },
    signal: new AbortController().signal,
    requestId: 'r',
  });

describe('an Anthropic reply', () => {
  it('without content is a retryable malformed reply', async () => {
    await expect(
      chat('{"id":"m","type":"message","role":"assistant","stop_reason":"end_turn"}'),
    ).rejects.toMatchObject({
      status: 502,
      code: 'upstream_malformed_response',
      retryable: true,
    });
  });

  it('with content is served', async () => {
    const { response } = await chat(
      '{"id":"m","type":"message","role":"assistant","content":[{"type":"text","text":"ok"}],"stop_reason":"end_turn","usage":{"input_tokens":3,"output_tokens":1}}',
    );
    expect(response.choices[0]!.message.content).toBe('ok');
  });
});
