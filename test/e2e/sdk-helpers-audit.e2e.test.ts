// The SDKs' higher-level helpers against the BUILT server, where an audit of both SDKs (openai 7,
// @anthropic-ai/sdk 1.13) against `npm start` found them failing; what the other e2e files already
// prove (sdk-surface, client-features, messages, openai-sdk, responses, …) is not repeated here.
import Anthropic from '@anthropic-ai/sdk';
import { betaZodOutputFormat } from '@anthropic-ai/sdk/helpers/beta/zod';
import { zodOutputFormat } from '@anthropic-ai/sdk/helpers/zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { spawnServer, type SpawnedServer } from '../helpers/spawn-server.js';
import { testConfigInput } from '../helpers/test-config.js';

let server: SpawnedServer;
let anthropic: Anthropic;

beforeAll(async () => {
  server = await spawnServer(testConfigInput());
  anthropic = new Anthropic({ baseURL: server.baseUrl, apiKey: 'unused', maxRetries: 0 });
});

afterAll(async () => {
  await server?.stop();
});

describe("@anthropic-ai/sdk's structured outputs on the simulated fleet", () => {
  // Claude's structured outputs refuse these keywords, so the SDK's helpers move them into each
  // field's description and validate the answer against the zod schema with them.
  const Order = z.object({
    quantity: z.number().int().min(10).max(20),
    sku: z.string().regex(/^[A-Z]{3}-\d{4}$/),
    note: z.string().min(3).max(5),
    tags: z.array(z.string()).min(2).max(3),
    refund: z.number().negative(),
    batch: z.number().int().multipleOf(5),
  });
  const ask = [{ role: 'user' as const, content: 'An order, please' }];

  it('messages.parse, beta.messages.parse and messages.stream: an answer the zod schema accepts (they threw: the bounds in the descriptions were ignored)', async () => {
    const sent = JSON.stringify(zodOutputFormat(Order).schema);
    expect(sent).not.toContain('"minimum"');
    expect(sent).toContain('{minimum: 10, maximum: 20}');

    const parsed = await anthropic.messages.parse({
      model: 'model-router',
      max_tokens: 400,
      messages: ask,
      output_config: { format: zodOutputFormat(Order) },
    });
    expect(Order.parse(parsed.parsed_output)).toEqual(parsed.parsed_output);

    const beta = await anthropic.beta.messages.parse({
      model: 'model-router',
      max_tokens: 400,
      messages: ask,
      output_format: betaZodOutputFormat(Order),
    });
    expect(Order.parse(beta.parsed_output)).toEqual(beta.parsed_output);

    const stream = anthropic.messages.stream({
      model: 'model-router',
      max_tokens: 400,
      messages: ask,
      output_config: { format: zodOutputFormat(Order) },
    });
    const final = await stream.finalMessage();
    expect(Order.parse(final.parsed_output)).toEqual(final.parsed_output);
  });
});
