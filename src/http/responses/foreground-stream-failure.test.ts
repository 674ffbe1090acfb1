// A foreground Responses stream that fails after its first event ends as a background one does
// (CONTRACTS.md §3.3's terminal events): OpenAI's `error`, then `response.failed` with the
// response as `response.created` announced it; and the id the client was given retrieves it as
// failed (it was a 404 blaming store: false). The upstream is the simulated fleet cutting every
// stream off mid-answer.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../config/load-config.js';
import { createRuntime, type Runtime } from '../../runtime.js';
import { simDeployment, testConfigInput } from '../../../test/helpers/test-config.js';

let rt: Runtime;
beforeAll(async () => {
  const input = testConfigInput({
    deployments: [
      simDeployment('cut', {
        simulation: {
          ttftMs: 0,
          tokensPerSecond: 1_000_000,
          answerTokens: 40,
          failure: { kind: 'drop-mid-stream', rate: 1 },
        },
      }),
    ],
    routers: [],
  });
  rt = await createRuntime(parseConfig(input, {}).config);
});
afterAll(() => rt?.close());

const events = (body: string) =>
  body
    .split('\n\n')
    .map((block) => /^data: (.*)$/m.exec(block)?.[1])
    .filter((d): d is string => d !== undefined)
    .map(
      (d) =>
        JSON.parse(d) as {
          type: string;
          sequence_number: number;
          response: { id: string; model: string };
        },
    );

describe('a foreground Responses stream cut off mid-answer', () => {
  it('ends with error then response.failed, and the response is retrievable as failed', async () => {
    const res = await rt.app.inject({
      method: 'POST',
      url: '/v1/responses',
      payload: { model: 'cut', input: 'Tell me about rivers', stream: true },
    });
    expect(res.statusCode).toBe(200);
    const all = events(res.body);
    const created = all[0]!;
    expect(created.type).toBe('response.created');
    const [error, failed] = all.slice(-2);
    expect(error).toMatchObject({ type: 'error', code: 'upstream_dropped' });
    expect(failed).toMatchObject({
      type: 'response.failed',
      sequence_number: error!.sequence_number + 1,
      response: {
        id: created.response.id,
        model: created.response.model,
        status: 'failed',
        error: { code: 'upstream_dropped' },
      },
    });
    // Sequence numbers run on without a gap.
    expect(all.map((e) => e.sequence_number)).toEqual(all.map((_, i) => i));
    const got = await rt.app.inject({ url: `/v1/responses/${created.response.id}` });
    expect(got.statusCode, got.body).toBe(200);
    expect(got.json()).toMatchObject({ id: created.response.id, status: 'failed' });
  });

  it('with store: false nothing is kept', async () => {
    const res = await rt.app.inject({
      method: 'POST',
      url: '/v1/responses',
      payload: { model: 'cut', input: 'Tell me about lakes', stream: true, store: false },
    });
    const all = events(res.body);
    expect(all.at(-1)!.type).toBe('response.failed');
    const got = await rt.app.inject({ url: `/v1/responses/${all[0]!.response.id}` });
    expect(got.statusCode).toBe(404);
  });
});
