// The simulated fleet honours stop sequences as a real model does: the answer ends before the
// first one it would write (not included), with finish_reason "stop"; usage counts what was sent.
// It names the sequence as vLLM does (`stop_reason`), so an Anthropic client through /v1/messages
// sees stop_reason "stop_sequence" with `stop_sequence` set. JSON and streamed, deterministic.
import { describe, expect, it } from 'vitest';
import { buildTestApp } from '../../../test/helpers/build-test-app.js';
import { simDeployment, testConfig } from '../../../test/helpers/test-config.js';
import type { ChatChunk, ChatRequest } from '../../core/wire-types.js';
import type { ProviderAdapter } from '../types.js';
import { createSimulatedAdapter } from './simulated-adapter.js';

type Json = Record<string, unknown>;

// The echo style answers "You said: <the last user text>", so where a sequence falls is known.
const config = testConfig({
  deployments: [simDeployment('echo', { simulation: { style: 'echo', answerTokens: 200 } })],
  routers: [{ name: 'model-router', modelSubset: ['echo'] }],
});
const deployment = config.deployments[0]!;
const adapter = createSimulatedAdapter(deployment, { sleep: async () => {} });

const ask = (extra: Json): ChatRequest =>
  ({
    model: 'echo',
    messages: [{ role: 'user', content: 'Count one, two ### three END four' }],
    ...extra,
  }) as ChatRequest;

async function streamed(body: ChatRequest) {
  const { chunks } = await adapter.chatStream({
    deployment,
    body: { ...body, stream: true, stream_options: { include_usage: true } },
    signal: new AbortController().signal,
    requestId: 'r',
  });
  const all: ChatChunk[] = [];
  for await (const c of chunks) all.push(c);
  const text = all.map((c) => c.choices[0]?.delta?.content ?? '').join('');
  const finish = all.find((c) => c.choices[0]?.finish_reason)!.choices[0] as unknown as Json;
  return { text, finish, usage: all.at(-1)!.usage! };
}

describe('stop sequences on the simulated fleet', () => {
  it('end the answer before the first sequence written, not included, finish_reason stop, named as vLLM names it', async () => {
    for (const stop of ['###', ['END', '###'], ['###', 'nowhere']]) {
      const { response } = await adapter.chat({
        deployment,
        body: ask({ stop }),
        signal: new AbortController().signal,
        requestId: 'r',
      });
      const choice = response.choices[0] as unknown as Json;
      expect((choice.message as Json).content).toBe('You said: Count one, two ');
      expect(choice.finish_reason).toBe('stop');
      expect(choice.stop_reason).toBe('###');
      // "You", " said:", " Count", " one,", " two", " " (the piece "###" was cut in): 6 sent.
      expect(response.usage?.completion_tokens).toBe(6);
      const s = await streamed(ask({ stop }));
      expect(s.text).toBe('You said: Count one, two ');
      expect(s.finish).toMatchObject({ finish_reason: 'stop', stop_reason: '###' });
      expect(s.usage.completion_tokens).toBe(6);
    }
  });

  it('leave an answer without the sequence as it was, and stop before a length limit would', async () => {
    const plain = await adapter.chat({
      deployment,
      body: ask({}),
      signal: new AbortController().signal,
      requestId: 'r',
    });
    const without = await adapter.chat({
      deployment,
      body: ask({ stop: ['nowhere'] }),
      signal: new AbortController().signal,
      requestId: 'r',
    });
    expect(without.response.choices).toEqual(plain.response.choices);
    expect(without.response.usage).toEqual(plain.response.usage);
    expect(without.response.choices[0]).not.toHaveProperty('stop_reason');
    // max_tokens 7 would end at "three" (length); "###" comes first.
    const limited = await adapter.chat({
      deployment,
      body: ask({ stop: '###', max_tokens: 7 }),
      signal: new AbortController().signal,
      requestId: 'r',
    });
    expect(limited.response.choices[0]!.finish_reason).toBe('stop');
    expect(limited.response.choices[0]!.message.content).toBe('You said: Count one, two ');
  });

  it('reach an Anthropic client through /v1/messages as stop_reason stop_sequence, JSON and streamed; a malformed chat stop is a 400', async () => {
    const adapters: Record<string, ProviderAdapter> = { echo: adapter };
    const t = await buildTestApp(config, adapters);
    const payload = {
      model: 'model-router',
      max_tokens: 100,
      stop_sequences: ['END', '###'],
      messages: [{ role: 'user', content: 'Count one, two ### three END four' }],
    };
    const json = await t.app.inject({ method: 'POST', url: '/v1/messages', payload });
    expect(json.json()).toMatchObject({
      content: [{ type: 'text', text: 'You said: Count one, two ' }],
      stop_reason: 'stop_sequence',
      stop_sequence: '###',
      usage: { output_tokens: 6 },
    });
    const sse = await t.app.inject({
      method: 'POST',
      url: '/v1/messages',
      payload: { ...payload, stream: true },
    });
    const delta = sse.body
      .split('\n')
      .filter((l) => l.startsWith('data: ') && l.includes('"message_delta"'))
      .map((l) => JSON.parse(l.slice(6)) as { delta: Json; usage: Json })[0]!;
    expect(delta.delta).toEqual({
      stop_reason: 'stop_sequence',
      stop_sequence: '###',
      stop_details: null,
      container: null,
    });
    expect(delta.usage.output_tokens).toBe(6);
    // On chat, a stop that is not a string or strings is a 400 naming it.
    for (const stop of [5, ['###', 7], { s: '###' }]) {
      const bad = await t.app.inject({
        method: 'POST',
        url: '/v1/chat/completions',
        payload: { model: 'model-router', messages: [{ role: 'user', content: 'hi' }], stop },
      });
      expect(bad.statusCode).toBe(400);
      expect(bad.json().error).toMatchObject({ param: 'stop', type: 'invalid_request_error' });
    }
    await t.app.close();
  });
});
