// Anthropic's Message Batches through the whole router on a loopback port, driven by the official
// `@anthropic-ai/sdk`: create, poll, read the results (succeeded with the served model, errored in
// Anthropic's envelope, canceled), list with both cursors, cancel, delete; lines run as the
// creator's key; one tenant never sees another's batches; a Message Batch and its files stay out
// of OpenAI's Files and Batch APIs; bad bodies are refused in Anthropic's envelope.
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashApiKey } from '../../src/auth/api-key.js';
import type { RequestRecord } from '../../src/store/request-record.js';
import { createRuntime, type Runtime } from '../../src/runtime.js';
import { simDeployment, testConfig, testConfigInput } from '../helpers/test-config.js';

const KEY_A = 'mr-msgbatch-key-a-0123456789';
const KEY_B = 'mr-msgbatch-key-b-0123456789';

let rt: Runtime;
let base: string;
const records: RequestRecord[] = [];
const client = (key: string) => new Anthropic({ baseURL: base, apiKey: key, maxRetries: 0 });

beforeAll(async () => {
  const input = testConfigInput({
    auth: {
      mode: 'keys',
      keys: [
        { id: 'a', hash: hashApiKey(KEY_A), tenant: 'acme' },
        { id: 'b', hash: hashApiKey(KEY_B), tenant: 'beta' },
      ],
    },
    // One line at a time, so a cancelled batch of slow lines leaves some unrun.
    batches: { pollIntervalMs: 50, concurrency: 1 },
  });
  // A slow line takes 2 s: a batch of them is still running through the steps a test takes
  // before its cancel or its early reads, however slowly the machine runs.
  input.deployments.push(
    simDeployment('slow', { simulation: { ttftMs: 2_000, tokensPerSecond: 1_000_000 } }),
  );
  rt = await createRuntime(testConfig(input), {
    recorder: { record: (r) => void records.push(r) },
  });
  base = await rt.app.listen({ host: '127.0.0.1', port: 0 });
});

afterAll(async () => {
  await rt?.close();
});

const request = (id: string, model: string, content = 'Say hello') => ({
  custom_id: id,
  params: { model, max_tokens: 64, messages: [{ role: 'user' as const, content }] },
});

async function settle(c: Anthropic, id: string): Promise<Anthropic.Messages.MessageBatch> {
  const until = Date.now() + 25_000;
  for (;;) {
    const b = await c.messages.batches.retrieve(id);
    if (b.processing_status === 'ended') return b;
    if (Date.now() > until) throw new Error(`message batch ${id} still ${b.processing_status}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function results(c: Anthropic, id: string) {
  const out: Anthropic.Messages.MessageBatchIndividualResponse[] = [];
  for await (const r of await c.messages.batches.results(id)) out.push(r);
  return out;
}

describe('Message Batches with @anthropic-ai/sdk', () => {
  it('runs each request through /v1/messages: the served model, an errored line in Anthropic shape', async () => {
    const c = client(KEY_A);
    const created = await c.messages.batches.create({
      requests: [
        request('router', 'model-router'),
        request('unknown', 'no-such-model'),
        request('direct', 'small', 'Write a haiku'),
        // Asks to stream, which a batch request cannot: its errored result, not a refused batch,
        // as the docs say of a bad request (Anthropic audit F12).
        {
          custom_id: 'streams',
          params: { ...request('streams', 'small').params, stream: true },
        } as unknown as ReturnType<typeof request>,
      ],
    });
    expect(created).toMatchObject({
      type: 'message_batch',
      processing_status: 'in_progress',
      request_counts: { processing: 4, succeeded: 0, errored: 0, canceled: 0, expired: 0 },
      results_url: null,
      ended_at: null,
      archived_at: null,
      cancel_initiated_at: null,
    });
    expect(created.id).toMatch(/^msgbatch_/);
    expect(Date.parse(created.expires_at) - Date.parse(created.created_at)).toBe(86_400_000);

    const done = await settle(c, created.id);
    expect(done.request_counts).toEqual({
      processing: 0,
      succeeded: 2,
      errored: 2,
      canceled: 0,
      expired: 0,
    });
    expect(done.results_url).toBe(`${base}/v1/messages/batches/${created.id}/results`);
    expect(Date.parse(done.ended_at!)).toBeGreaterThanOrEqual(Date.parse(done.created_at));

    const out = await results(c, created.id);
    expect(out.map((r) => [r.custom_id, r.result.type])).toEqual([
      ['router', 'succeeded'],
      ['unknown', 'errored'],
      ['direct', 'succeeded'],
      ['streams', 'errored'],
    ]);
    const streams = out[3]!.result as Anthropic.Messages.MessageBatchErroredResult;
    expect(streams.error).toMatchObject({
      type: 'error',
      error: { type: 'invalid_request_error', message: expect.stringMatching(/^stream: a batch/) },
    });
    const first = out[0]!.result as Anthropic.Messages.MessageBatchSucceededResult;
    expect(first.message).toMatchObject({ type: 'message', role: 'assistant', model: 'small-sim' });
    expect(first.message.usage.output_tokens).toBeGreaterThan(0);
    const errored = out[1]!.result as Anthropic.Messages.MessageBatchErroredResult;
    expect(errored.error).toMatchObject({ type: 'error', error: { type: 'not_found_error' } });
    expect(errored.error.error.message).toMatch(/no-such-model/);

    const mine = records.filter((r) => r.tags?.includes(`batch:${created.id}`));
    // The request refused before it ran (`stream`) is in no record, as a malformed one is not.
    expect(mine).toHaveLength(3);
    expect(mine.every((r) => r.keyId === 'a' && r.tenant === 'acme')).toBe(true);

    expect(await c.messages.batches.delete(created.id)).toEqual({
      id: created.id,
      type: 'message_batch_deleted',
    });
    await expect(c.messages.batches.retrieve(created.id)).rejects.toMatchObject({ status: 404 });
  });

  it('results answer 404 in Anthropic shape until the batch has ended; delete refuses it too', async () => {
    const c = client(KEY_A);
    const created = await c.messages.batches.create({
      requests: [request('s1', 'slow'), request('s2', 'slow')],
    });
    const early = await rt.app.inject({
      method: 'GET',
      url: `/v1/messages/batches/${created.id}/results`,
      headers: { 'x-api-key': KEY_A, 'anthropic-version': '2023-06-01' },
    });
    expect(early.statusCode).toBe(404);
    expect(early.json()).toMatchObject({ type: 'error', error: { type: 'not_found_error' } });
    await expect(c.messages.batches.delete(created.id)).rejects.toMatchObject({
      status: 400,
      error: { type: 'error', error: { type: 'invalid_request_error' } },
    });
    const done = await settle(c, created.id);
    expect(done.request_counts.succeeded).toBe(2);
    const raw = await rt.app.inject({
      method: 'GET',
      url: `/v1/messages/batches/${created.id}/results`,
      headers: { 'x-api-key': KEY_A },
    });
    expect(raw.headers['content-type']).toMatch(/^application\/x-jsonl/);
    expect(raw.body.trim().split('\n')).toHaveLength(2);
  });

  it('cancel: the line in flight finishes, the unrun ones are canceled', async () => {
    const c = client(KEY_A);
    const created = await c.messages.batches.create({
      requests: ['c1', 'c2', 'c3', 'c4', 'c5'].map((id) => request(id, 'slow')),
    });
    const cancelling = await c.messages.batches.cancel(created.id);
    expect(cancelling.processing_status).toBe('canceling');
    expect(cancelling.cancel_initiated_at).not.toBeNull();
    const done = await settle(c, created.id);
    const counts = done.request_counts;
    expect(counts.canceled).toBeGreaterThanOrEqual(3);
    expect(counts.processing + counts.errored + counts.expired).toBe(0);
    expect(counts.succeeded + counts.canceled).toBe(5);
    expect(done.cancel_initiated_at).toBe(cancelling.cancel_initiated_at);
    const out = await results(c, created.id);
    expect(out.map((r) => r.custom_id)).toEqual(['c1', 'c2', 'c3', 'c4', 'c5']);
    expect(out.filter((r) => r.result.type === 'canceled')).toHaveLength(counts.canceled);
    // Cancelling an ended batch changes nothing.
    expect(await c.messages.batches.cancel(created.id)).toMatchObject({
      processing_status: 'ended',
      request_counts: counts,
    });
  });

  it('lists newest first with after_id and before_id pages', async () => {
    const c = client(KEY_B);
    const ids: string[] = [];
    for (const n of [1, 2, 3]) {
      const b = await c.messages.batches.create({ requests: [request(`l${n}`, 'small')] });
      ids.unshift(b.id);
      await new Promise((r) => setTimeout(r, 5));
    }
    const first = await c.messages.batches.list({ limit: 2 });
    expect(first.data.map((b) => b.id)).toEqual(ids.slice(0, 2));
    expect(first.has_more).toBe(true);
    expect(first.first_id).toBe(ids[0]);
    expect(first.last_id).toBe(ids[1]);
    const next = await c.messages.batches.list({ limit: 2, after_id: ids[1] });
    expect(next.data.map((b) => b.id)).toEqual([ids[2]]);
    expect(next.has_more).toBe(false);
    const back = await c.messages.batches.list({ limit: 1, before_id: ids[2] });
    expect(back.data.map((b) => b.id)).toEqual([ids[1]]);
    expect(back.has_more).toBe(true);
    const all: string[] = [];
    for await (const b of c.messages.batches.list({ limit: 1 })) all.push(b.id);
    expect(all).toEqual(ids);
  });

  it("another tenant's message batches do not exist for it, and OpenAI's APIs do not show them", async () => {
    const a = client(KEY_A);
    const b = client(KEY_B);
    const created = await a.messages.batches.create({ requests: [request('p', 'small')] });
    await settle(a, created.id);
    await expect(b.messages.batches.retrieve(created.id)).rejects.toMatchObject({
      status: 404,
      error: { type: 'error', error: { type: 'not_found_error' } },
    });
    await expect(b.messages.batches.cancel(created.id)).rejects.toMatchObject({ status: 404 });
    await expect(b.messages.batches.delete(created.id)).rejects.toMatchObject({ status: 404 });
    const stolen = await rt.app.inject({
      method: 'GET',
      url: `/v1/messages/batches/${created.id}/results`,
      headers: { 'x-api-key': KEY_B },
    });
    expect(stolen.statusCode).toBe(404);
    expect((await b.messages.batches.list()).data.map((x) => x.id)).not.toContain(created.id);
    expect((await a.messages.batches.list()).data.map((x) => x.id)).toContain(created.id);

    const openai = new OpenAI({ baseURL: `${base}/v1`, apiKey: KEY_A, maxRetries: 0 });
    await expect(openai.batches.retrieve(created.id)).rejects.toMatchObject({ status: 404 });
    expect((await openai.batches.list()).data.map((x) => x.id)).not.toContain(created.id);
    const files = (await openai.files.list()).data;
    expect(files.filter((f) => f.filename.startsWith(created.id))).toEqual([]);
  });

  it('bad bodies are refused in Anthropic envelope, naming the field', async () => {
    const c = client(KEY_A);
    const bad = async (body: unknown, match: RegExp) => {
      const res = await rt.app.inject({
        method: 'POST',
        url: '/v1/messages/batches',
        headers: { 'x-api-key': KEY_A, 'content-type': 'application/json' },
        payload: JSON.stringify(body),
      });
      expect(res.statusCode).toBe(400);
      const json = res.json();
      expect(json).toEqual({
        type: 'error',
        error: { type: 'invalid_request_error', message: expect.stringMatching(match) },
        request_id: res.headers['request-id'],
      });
    };
    const ok = request('ok', 'small');
    await bad({}, /^requests: Field required/);
    await bad({ requests: [] }, /^requests: List should have at least 1 item/);
    await bad({ requests: [{ ...ok, custom_id: 'has space' }] }, /^requests\.0\.custom_id/);
    await bad({ requests: [{ ...ok, custom_id: 'x'.repeat(65) }] }, /^requests\.0\.custom_id/);
    await bad({ requests: [ok, ok] }, /^requests\.1\.custom_id: Duplicate/);
    await bad({ requests: [{ custom_id: 'a', params: 'hi' }] }, /^requests\.0\.params/);
    await expect(
      c.messages.batches.create({ requests: [{ ...ok, custom_id: 'bad id!' }] }),
    ).rejects.toMatchObject({
      status: 400,
      error: { type: 'error', error: { type: 'invalid_request_error' } },
    });
    const unauthenticated = await rt.app.inject({ method: 'GET', url: '/v1/messages/batches' });
    expect(unauthenticated.statusCode).toBe(401);
    expect(unauthenticated.json()).toMatchObject({
      type: 'error',
      error: { type: 'authentication_error' },
    });
  });
});
