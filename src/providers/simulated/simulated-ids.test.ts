// The simulated fleet answers the same prompt the same way (its seed is the request's text), but
// each answer has an id of its own, as OpenAI's do: clients and tracing tools key answers by id.
import { describe, expect, it } from 'vitest';
import { simDeployment, testConfig } from '../../../test/helpers/test-config.js';
import type { ChatChunk, ChatRequest } from '../../core/wire-types.js';
import { createSimulatedAdapter } from './simulated-adapter.js';

const config = testConfig({ deployments: [simDeployment('sim')], routers: [] });
const deployment = config.deployments[0]!;
const adapter = createSimulatedAdapter(deployment, { sleep: async () => {} });
const body = { model: 'sim', messages: [{ role: 'user', content: 'Hello there' }] } as ChatRequest;
const call = (b: ChatRequest) => ({
  deployment,
  body: b,
  signal: new AbortController().signal,
  requestId: 'r',
});

describe('simulated answer ids', () => {
  it('the same prompt twice: the same answer under two ids', async () => {
    const [one, two] = [await adapter.chat(call(body)), await adapter.chat(call(body))];
    expect(one.response.choices).toEqual(two.response.choices);
    expect(one.response.id).toMatch(/^chatcmpl-sim/);
    expect(one.response.id).not.toBe(two.response.id);
  });

  it("a stream's chunks share one id, another stream's is another", async () => {
    const ids = async () => {
      const { chunks } = await adapter.chatStream(call({ ...body, stream: true }));
      const seen = new Set<string>();
      for await (const c of chunks as AsyncIterable<ChatChunk>) seen.add(c.id);
      return [...seen];
    };
    const [a, b] = [await ids(), await ids()];
    expect(a).toHaveLength(1);
    expect(b).toHaveLength(1);
    expect(a[0]).not.toBe(b[0]);
  });
});
