// Where a realtime deployment's session is opened: OpenAI's path under its base URL, Azure's GA
// v1 path, or Azure's preview path for a `-preview` api-version (Microsoft Learn, "Use the GPT
// Realtime API via WebSockets"); ws: for http, wss: for https.
import { describe, expect, it } from 'vitest';
import { deploymentSchema } from '../../config/deployment-schema.js';
import { realtimeUrl } from './openai-realtime.js';

const deployment = (fields: Record<string, unknown>) =>
  deploymentSchema.parse({
    name: 'rt',
    model: 'gpt-realtime',
    kind: 'realtime',
    prices: { inputPer1M: 4, outputPer1M: 16 },
    contextWindow: 32_000,
    ...fields,
  });

describe('realtimeUrl', () => {
  it("is OpenAI's /realtime?model= under the base URL", () => {
    expect(String(realtimeUrl(deployment({ provider: 'openai' })))).toBe(
      'wss://api.openai.com/v1/realtime?model=gpt-realtime',
    );
    expect(
      String(
        realtimeUrl(
          deployment({ provider: 'openai-compatible', baseUrl: 'http://10.0.0.5:8000/v1/' }),
        ),
      ),
    ).toBe('ws://10.0.0.5:8000/v1/realtime?model=gpt-realtime');
  });

  it("is Azure's GA v1 path, or its preview path for a -preview api-version", () => {
    const azure = { provider: 'azure', baseUrl: 'https://res.openai.azure.com' };
    expect(String(realtimeUrl(deployment({ ...azure, apiVersion: '2025-08-28' })))).toBe(
      'wss://res.openai.azure.com/openai/v1/realtime?model=gpt-realtime',
    );
    expect(String(realtimeUrl(deployment({ ...azure, apiVersion: '2025-04-01-preview' })))).toBe(
      'wss://res.openai.azure.com/openai/realtime?api-version=2025-04-01-preview&deployment=gpt-realtime',
    );
  });
});
