// OpenAI's Decisions API through the whole router with the official `openai` package
// (`client.decisions.create`, OpenAI and AzureOpenAI v1): bridged to one chat request, routed like
// chat on the simulated fleet, answered in the Decision shape (predicate, typed choices, score,
// named and unnamed), `model` the one that served, the router's headers, recorded as endpoint
// `decisions`; an upstream answer that is invalid for a question is that question's refusal.
import OpenAI, { AzureOpenAI } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RequestRecord } from '../../src/store/request-record.js';
import { createRuntime, type Runtime } from '../../src/runtime.js';
import { buildTestApp, type TestApp } from '../helpers/build-test-app.js';
import { fakeAdapter } from '../helpers/fake-adapter.js';
import { hashApiKey } from '../../src/auth/api-key.js';
import { parseConfig } from '../../src/config/load-config.js';
import { testConfig, testConfigInput } from '../helpers/test-config.js';

let rt: Runtime;
let base: string;
let client: OpenAI;
const records: RequestRecord[] = [];

beforeAll(async () => {
  rt = await createRuntime(testConfig(), { recorder: { record: (r) => void records.push(r) } });
  base = await rt.app.listen({ host: '127.0.0.1', port: 0 });
  client = new OpenAI({ baseURL: `${base}/v1`, apiKey: 'unused', maxRetries: 0 });
});

afterAll(async () => {
  await rt?.close();
});

const QUESTIONS: OpenAI.DecisionCreateParams['questions'] = [
  { type: 'predicate', name: 'billing', instructions: 'Is this about billing?' },
  {
    type: 'choice',
    instructions: 'Does the customer want a refund?',
    choices: [{ value: true }, { value: 'true', description: 'the word itself' }, { value: false }],
  },
  {
    type: 'score',
    name: 'urgency',
    instructions: [{ type: 'input_text', text: 'How urgent is it?' }],
    levels: [{ label: 'low' }, { label: 'medium' }, { label: 'high' }],
  },
  {
    type: 'choice',
    name: 'team',
    instructions: 'Which team?',
    choices: [{ value: 'support' }, { value: 'sales' }],
  },
];

describe('Decisions with the openai SDK on the simulated fleet', () => {
  it('answers every question in order, typed, with the served model and the router headers', async () => {
    const { data, response } = await client.decisions
      .create({
        model: 'model-router',
        input: 'I was charged twice for my subscription this month, please fix it.',
        questions: QUESTIONS,
      })
      .withResponse();
    expect(data.model).toBe('small-sim');
    // The simulated fleet states 1 for every probability: uniform, its pick the first value.
    expect(data.answers).toEqual([
      { type: 'predicate', name: 'billing', probability: 1 },
      {
        type: 'choice',
        name: null,
        choice: true,
        confidence: 1 / 3,
        probabilities: [
          { value: true, probability: 1 / 3 },
          { value: 'true', probability: 1 / 3 },
          { value: false, probability: 1 / 3 },
        ],
      },
      {
        type: 'score',
        name: 'urgency',
        score: 1,
        confidence: 1 / 3,
        probabilities: [
          { label: 'low', value: 0, probability: 1 / 3 },
          { label: 'medium', value: 1, probability: 1 / 3 },
          { label: 'high', value: 2, probability: 1 / 3 },
        ],
      },
      {
        type: 'choice',
        name: 'team',
        choice: 'support',
        confidence: 0.5,
        probabilities: [
          { value: 'support', probability: 0.5 },
          { value: 'sales', probability: 0.5 },
        ],
      },
    ]);
    expect(data.usage.input_tokens).toBeGreaterThan(0);
    expect(data.usage.output_tokens).toBeGreaterThan(0);
    expect(data.usage.total_tokens).toBe(data.usage.input_tokens + data.usage.output_tokens);
    expect(response.headers.get('x-router-decision-id')).toMatch(/^dec_/);
    expect(response.headers.get('x-router-deployment')).toBe('small');
    const rec = records.find((r) => r.requestId === response.headers.get('x-request-id'));
    expect(rec).toMatchObject({
      endpoint: 'decisions',
      router: 'model-router',
      deployment: 'small',
      status: 200,
    });
    expect(rec?.costUsd).toBeGreaterThan(0);
  });

  it('takes messages with a tool call and its output, a deployment by name', async () => {
    const data = await client.decisions.create({
      model: 'big',
      input: [
        { role: 'user', content: [{ type: 'input_text', text: 'Where is my order?' }] },
        { type: 'function_call', call_id: 'c1', name: 'lookup_order', arguments: '{"id":7}' },
        { type: 'function_call_output', call_id: 'c1', output: 'shipped yesterday' },
        { role: 'assistant', content: 'It shipped yesterday.' },
      ],
      questions: [{ type: 'predicate', instructions: 'Did the assistant use the tool result?' }],
    });
    expect(data).toMatchObject({ model: 'big-sim', answers: [{ type: 'predicate', name: null }] });
  });

  it('the AzureOpenAI v1 client reaches /openai/v1/decisions', async () => {
    const azure = new AzureOpenAI({
      baseURL: `${base}/openai/v1`,
      apiVersion: 'v1',
      apiKey: 'unused',
      maxRetries: 0,
    });
    const data = await azure.decisions.create({
      model: 'mid',
      input: 'hello',
      questions: [QUESTIONS[0]!],
    });
    expect(data).toMatchObject({ model: 'mid-sim', answers: [{ name: 'billing' }] });
  });

  it('a bad question is a 400 naming it, whatever the model', async () => {
    const bad = client.decisions.create({
      model: 'model-router',
      input: 'x',
      questions: [
        QUESTIONS[0]!,
        { type: 'choice', instructions: 'Which?', choices: [{ value: 'a' }, { value: 'a' }] },
      ],
    });
    const err = await bad.then(
      () => undefined,
      (e: unknown) => e as InstanceType<typeof OpenAI.APIError>,
    );
    expect(err).toMatchObject({ status: 400, param: 'questions[1].choices[1].value' });
    // Recorded as a refused request of the decisions endpoint, no deployment called.
    const rec = records.find((r) => r.requestId === err?.headers?.get('x-request-id'));
    expect(rec).toMatchObject({ endpoint: 'decisions', status: 400 });
    expect(rec?.deployment).toBeUndefined();
  });
});

describe('Decisions whose upstream answers a question invalidly', () => {
  let t: TestApp;
  let url: string;
  beforeAll(async () => {
    const fake = fakeAdapter('fake-model', [
      {
        // q1 out of range, q2 a value that is no choice, q3 valid, q4 declined.
        reply: JSON.stringify({
          q1: { probability: 1.7 },
          q2: { choice: 'yes', probabilities: { 1: 0.5, 2: 0.5, 3: 0 } },
          q3: { probabilities: { 1: 0.1, 2: 0.3, 3: 0.6 } },
          q4: null,
        }),
      },
    ]);
    const config = testConfig();
    t = await buildTestApp(config, { big: fake, mid: fake, small: fake });
    url = await t.app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await t?.app.close();
  });

  it('refuses those questions only, keeping the others', async () => {
    const c = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const data = await c.decisions.create({ model: 'big', input: 'x', questions: QUESTIONS });
    expect(data.model).toBe('fake-model');
    expect(data.answers[0]).toEqual({ type: 'refusal', name: 'billing' });
    expect(data.answers[1]).toEqual({ type: 'refusal', name: null });
    expect(data.answers[2]).toMatchObject({ type: 'score', name: 'urgency', confidence: 0.6 });
    expect((data.answers[2] as { score: number }).score).toBeCloseTo(1.5);
    expect(data.answers[3]).toEqual({ type: 'refusal', name: 'team' });
    expect(data.usage).toEqual({
      input_tokens: 10,
      input_tokens_details: { cached_tokens: 4, cache_write_tokens: 0 },
      output_tokens: 5,
      output_tokens_details: { reasoning_tokens: 2 },
      total_tokens: 15,
    });
    expect(t.records.at(-1)).toMatchObject({ endpoint: 'decisions', deployment: 'big' });
  });
});

describe('Decisions are governed as chat', () => {
  const KEY = 'mr-dec-key-0123456789abc';
  const auth = { authorization: `Bearer ${KEY}` };
  const decide = (input: unknown, model = 'model-router'): object => ({
    model,
    input,
    questions: [{ type: 'predicate', instructions: 'Is it a question?' }],
  });
  let gov: Runtime;
  beforeAll(async () => {
    const config = parseConfig(
      testConfigInput({
        auth: {
          mode: 'keys',
          keys: [
            {
              id: 'team-d',
              hash: hashApiKey(KEY),
              tenant: 'team-d',
              scopes: ['model-router'],
              budget: { dailyUsd: 0.0000005 },
            },
          ],
        },
        routers: [
          { name: 'model-router', modelSubset: ['big', 'mid', 'small'], rateLimit: { rpm: 5 } },
        ],
        contentFilter: {
          enabled: true,
          rules: [
            {
              id: 'no-secrets',
              kind: 'keyword',
              patterns: ['project-x'],
              action: 'block',
              appliesTo: 'input',
            },
          ],
        },
      }),
      {},
    ).config;
    gov = await createRuntime(config);
  });
  afterAll(async () => {
    await gov?.close();
  });

  it('keys, scopes, the content filter on the input, rate-limit headers and budgets apply', async () => {
    const post = (payload: object, headers: Record<string, string> = auth) =>
      gov.app.inject({ method: 'POST', url: '/v1/decisions', headers, payload });
    expect((await post(decide('hi'), {})).statusCode).toBe(401);
    const wrongScope = await post(decide('hi', 'big'));
    expect(wrongScope.statusCode).toBe(403);
    const blocked = await post(
      decide([{ role: 'user', content: [{ type: 'input_text', text: 'about project-x' }] }]),
    );
    expect(blocked.statusCode).toBe(400);
    expect(blocked.json().error.code).toBe('content_filter');
    const ok = await post(decide('Is the sky blue?'));
    expect(ok.statusCode).toBe(200);
    expect(ok.json().answers[0]).toMatchObject({ type: 'predicate', name: null });
    expect(ok.headers['x-ratelimit-limit-requests']).toBe('5');
    // The tiny daily budget is spent by the first answer: the next decision is refused.
    const refused = await post(decide('Is the sky blue?'));
    expect(refused.statusCode).toBe(429);
    expect(refused.json().error.code).toBe('budget_exceeded');
  });
});
