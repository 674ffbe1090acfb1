// A test app for the Responses API whose config has simulated deployments and one OpenAI-format
// deployment answered by an undici MockAgent (its chat completions: `reply(stream)` gives the body,
// JSON or SSE), with a response store; and the POST /v1/responses calls tests make of it.
import { MockAgent } from 'undici';
import { expect } from 'vitest';
import type { Config } from '../../src/config/schema.js';
import { createHttpClient } from '../../src/providers/http-client.js';
import { createOpenAiAdapter } from '../../src/providers/openai/openai-adapter.js';
import { createResponseStore } from '../../src/store/response-store.js';
import { buildTestApp, simulatedAdapters, type TestApp } from './build-test-app.js';

type Json = Record<string, unknown>;

export interface ResponsesMockApp {
  /** The app, built at the first call. */
  app(): Promise<TestApp>;
  /** POST /v1/responses: the Response (JSON). */
  create(payload: Json): Promise<Json>;
  /** POST /v1/responses with `stream: true`: the stream's events, parsed. */
  stream(payload: Json): Promise<Json[]>;
  close(): Promise<void>;
}

export function responsesMockApp(
  config: Config,
  mocked: { deployment: string; origin: string; reply(stream: boolean): string },
): ResponsesMockApp {
  const agent = new MockAgent();
  agent.disableNetConnect();
  agent
    .get(mocked.origin)
    .intercept({ path: '/v1/chat/completions', method: 'POST' })
    .reply((req) => {
      const stream = (JSON.parse(String(req.body)) as Json).stream === true;
      return {
        statusCode: 200,
        data: mocked.reply(stream),
        responseOptions: {
          headers: { 'content-type': stream ? 'text/event-stream' : 'application/json' },
        },
      };
    })
    .persist();
  let t: TestApp | undefined;
  const app = async () =>
    (t ??= await buildTestApp(
      config,
      {
        ...simulatedAdapters(config),
        [mocked.deployment]: createOpenAiAdapter(
          config.deployments.find((d) => d.name === mocked.deployment)!,
          createHttpClient({ dispatcher: agent }),
          {},
        ),
      },
      { responses: createResponseStore(100) },
    ));
  return {
    app,
    async create(payload) {
      const res = await (await app()).app.inject({ method: 'POST', url: '/v1/responses', payload });
      expect(res.statusCode, res.body).toBe(200);
      return res.json() as Json;
    },
    async stream(payload) {
      const res = await (
        await app()
      ).app.inject({ method: 'POST', url: '/v1/responses', payload: { ...payload, stream: true } });
      expect(res.statusCode, res.body).toBe(200);
      return res.body
        .split('\n')
        .filter((l) => l.startsWith('data: '))
        .map((l) => JSON.parse(l.slice(6)) as Json);
    },
    async close() {
      await t?.app.close();
      await agent.close();
    },
  };
}
