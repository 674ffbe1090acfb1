import { describe, expect, it } from 'vitest';
import { deploymentSchema } from '../config/deployment-schema.js';
import type { ChatRequest } from '../core/wire-types.js';
import { checkDeployment, describeExclusions, requestNeeds } from '../routing/eligibility.js';
import { chatToAnthropicRequest } from '../providers/anthropic/anthropic-convert.js';
import { adaptRequestForDeployment } from './reasoning-params.js';

const base = {
  provider: 'simulated',
  prices: { inputPer1M: 1, outputPer1M: 2 },
  contextWindow: 1000,
  maxOutputTokens: 100,
} as const;
const reasoning = deploymentSchema.parse({
  ...base,
  name: 'o-mini',
  model: 'o4-mini',
  capabilities: { reasoning: true },
});
const plain = deploymentSchema.parse({ ...base, name: 'mini', model: 'gpt-4o-mini' });

describe('adaptRequestForDeployment', () => {
  const request = {
    model: 'model-router',
    messages: [{ role: 'user', content: 'hi' }],
    temperature: 0.2,
    top_p: 1,
    stop: ['x'],
    presence_penalty: 0.1,
    logit_bias: { '1': 2 },
    max_tokens: 50,
    reasoning_effort: 'low',
    seed: 7,
  } as ChatRequest;

  it('drops and maps what a reasoning model rejects, and says so', () => {
    const { body, warnings } = adaptRequestForDeployment(request, reasoning);
    expect(body.model).toBe('o4-mini');
    expect(body.temperature).toBeUndefined();
    expect(body.top_p).toBeUndefined();
    expect(body.stop).toBeUndefined();
    expect(body.presence_penalty).toBeUndefined();
    expect(body.logit_bias).toBeUndefined();
    expect(body.max_tokens).toBeUndefined();
    expect(body.max_completion_tokens).toBe(50);
    expect(body.reasoning_effort).toBe('low');
    expect(body.seed).toBe(7);
    expect(warnings).toEqual([
      'temperature ignored: o-mini is a reasoning model',
      'stop dropped: not supported by reasoning model o-mini',
      'presence_penalty dropped: not supported by reasoning model o-mini',
      'logit_bias dropped: not supported by reasoning model o-mini',
      'max_tokens mapped to max_completion_tokens',
    ]);
    expect(request.temperature).toBe(0.2);
  });

  it('passes sampling parameters through to a plain model and drops reasoning_effort', () => {
    const { body, warnings } = adaptRequestForDeployment(request, plain);
    expect(body.temperature).toBe(0.2);
    expect(body.stop).toEqual(['x']);
    expect(body.max_tokens).toBe(50);
    expect(body.reasoning_effort).toBeUndefined();
    expect(warnings).toEqual(['reasoning_effort dropped: mini is not a reasoning model']);
  });

  it("an Anthropic client's effort reaches a reasoning model as reasoning_effort, max as high", () => {
    const asked = (effort: string) =>
      adaptRequestForDeployment(
        { model: 'm', messages: [{ role: 'user', content: 'hi' }], x_output_effort: effort },
        reasoning,
      );
    expect(asked('medium').body.reasoning_effort).toBe('medium');
    // OpenAI refuses "max" (it was sent on as is).
    const max = asked('max');
    expect(max.body.reasoning_effort).toBe('high');
    expect(max.body.x_output_effort).toBeUndefined();
    expect(max.warnings).toEqual([
      'output_config.effort max sent as reasoning_effort high: o-mini has no "max" level',
    ]);
    // A model whose levels list OpenAI's "max" gets it as asked.
    const maxModel = deploymentSchema.parse({
      ...base,
      name: 'g55',
      model: 'gpt-5.5',
      capabilities: { reasoning: true, reasoningEfforts: ['low', 'high', 'max'] },
    });
    const sent = adaptRequestForDeployment(
      { model: 'm', messages: [{ role: 'user', content: 'hi' }], x_output_effort: 'max' },
      maxModel,
    );
    expect(sent.body.reasoning_effort).toBe('max');
    expect(sent.warnings).toEqual([]);
  });
});

describe('reasoning_effort levels a model takes', () => {
  const ask = (effort: string, deployment = reasoning) =>
    adaptRequestForDeployment(
      {
        model: 'm',
        messages: [{ role: 'user', content: 'hi' }],
        reasoning_effort: effort,
      } as ChatRequest,
      deployment,
    );
  const o4 = deploymentSchema.parse({
    ...base,
    name: 'o4',
    model: 'o4-mini',
    capabilities: { reasoning: true, reasoningEfforts: ['low', 'medium', 'high'] },
  });
  const gpt51 = deploymentSchema.parse({
    ...base,
    name: 'g51',
    model: 'gpt-5.1',
    capabilities: { reasoning: true, reasoningEfforts: ['none', 'low', 'medium', 'high'] },
  });

  it('sends a level the model lacks as the nearest it has, the higher of two, and says so', () => {
    expect(ask('minimal', o4).body.reasoning_effort).toBe('low');
    expect(ask('none', o4).body.reasoning_effort).toBe('low');
    expect(ask('xhigh', o4).body.reasoning_effort).toBe('high');
    expect(ask('xhigh', o4).warnings).toEqual([
      'reasoning_effort xhigh sent as high: o4 takes low, medium, high',
    ]);
    // minimal is as near to none as to low: the higher.
    expect(ask('minimal', gpt51).body.reasoning_effort).toBe('low');
    expect(ask('none', gpt51).body.reasoning_effort).toBe('none');
    expect(ask('medium', o4)).toMatchObject({ body: { reasoning_effort: 'medium' }, warnings: [] });
    // OpenAI's "max" to a model that lacks it: its highest.
    expect(ask('max', o4).body.reasoning_effort).toBe('high');
    // Without the list, every level is sent as asked.
    expect(ask('xhigh')).toMatchObject({ body: { reasoning_effort: 'xhigh' }, warnings: [] });
  });

  it('none needs no reasoning model, and a plain model drops it without a word', () => {
    const needs = (effort: string) =>
      requestNeeds(
        {
          model: 'm',
          messages: [{ role: 'user', content: 'hi' }],
          reasoning_effort: effort,
        } as ChatRequest,
        5,
      );
    const probes = { circuitAllows: () => true };
    expect(checkDeployment(plain, needs('none'), probes)).toEqual([]);
    expect(checkDeployment(plain, needs('low'), probes)).toEqual(['reasoning']);
    const { body, warnings } = ask('none', plain);
    expect(body.reasoning_effort).toBeUndefined();
    expect(warnings).toEqual([]);
  });

  it('a config with a level OpenAI does not have is refused, naming it', () => {
    const r = deploymentSchema.safeParse({
      ...base,
      name: 'bad',
      model: 'o3',
      capabilities: { reasoning: true, reasoningEfforts: ['low', 'extreme'] },
    });
    expect(r.success).toBe(false);
    expect(JSON.stringify(r.error?.issues)).toContain('reasoningEfforts');
  });
});

describe('what cannot go to Anthropic', () => {
  const claude = deploymentSchema.parse({
    ...base,
    provider: 'anthropic',
    name: 'claude',
    model: 'claude-sonnet-4-5',
  });
  const request = {
    model: 'claude',
    messages: [{ role: 'user', content: 'hi' }],
    temperature: 1.4,
    seed: 7,
    presence_penalty: 0.1,
    frequency_penalty: 0.2,
    logit_bias: { '1': 2 },
  } as ChatRequest;

  it('says which chat parameters Anthropic has no counterpart for, instead of losing them silently', () => {
    expect(adaptRequestForDeployment(request, claude).warnings).toEqual([
      "seed dropped: Anthropic's API (claude) has no such parameter",
      "presence_penalty dropped: Anthropic's API (claude) has no such parameter",
      "frequency_penalty dropped: Anthropic's API (claude) has no such parameter",
      "logit_bias dropped: Anthropic's API (claude) has no such parameter",
      "temperature 1.4 sent as 1: Anthropic's range is 0–1 (claude)",
    ]);
    const quiet = { model: 'claude', messages: request.messages, temperature: 0.7 } as ChatRequest;
    expect(adaptRequestForDeployment(quiet, claude).warnings).toEqual([]);
    // top_k (an Anthropic client's) goes to Anthropic and OpenAI-compatible servers, not to OpenAI.
    const topK = { ...quiet, top_k: 5 } as ChatRequest;
    expect(adaptRequestForDeployment(topK, claude)).toMatchObject({
      body: { top_k: 5 },
      warnings: [],
    });
    expect(chatToAnthropicRequest(topK, claude)).toMatchObject({ top_k: 5, temperature: 0.7 });
    const openai = deploymentSchema.parse({
      ...base,
      provider: 'openai',
      name: 'oa',
      model: 'gpt-4.1',
    });
    const toOpenAi = adaptRequestForDeployment(topK, openai);
    expect(toOpenAi.body.top_k).toBeUndefined();
    expect(toOpenAi.warnings).toEqual(["top_k dropped: OpenAI's API (oa) has no such parameter"]);
    // An Anthropic client's fifth stop sequence: OpenAI takes four (Claude and the rest, all).
    const fiveStops = { ...quiet, stop: ['a', 'b', 'c', 'd', 'e'] } as ChatRequest;
    const stopsToOpenAi = adaptRequestForDeployment({ ...fiveStops }, openai);
    expect(stopsToOpenAi.body.stop).toEqual(['a', 'b', 'c', 'd']);
    expect(stopsToOpenAi.warnings).toEqual([
      "stop sequences after the first 4 dropped (1): OpenAI's API (oa) takes at most 4",
    ]);
    expect(adaptRequestForDeployment({ ...fiveStops }, claude).body.stop).toHaveLength(5);
    const vllm = deploymentSchema.parse({
      ...base,
      provider: 'openai-compatible',
      name: 'v',
      model: 'm',
    });
    expect(adaptRequestForDeployment(topK, vllm).body.top_k).toBe(5);
  });

  it('a Claude that reasons keeps its stop sequences, and its sampling unless it thinks', () => {
    const thinker = deploymentSchema.parse({
      ...base,
      provider: 'anthropic',
      name: 'claude-r',
      model: 'claude-sonnet-4-5',
      capabilities: { reasoning: true },
    });
    const plain = {
      model: 'claude-r',
      messages: [{ role: 'user', content: 'Tell me a story' }],
      temperature: 0.2,
      top_p: 0.9,
      stop: ['the'],
      max_tokens: 300,
    } as ChatRequest;
    const asIs = adaptRequestForDeployment(plain, thinker);
    expect(asIs.warnings).toEqual([]);
    expect(chatToAnthropicRequest(asIs.body, thinker)).toMatchObject({
      temperature: 0.2,
      top_p: 0.9,
      stop_sequences: ['the'],
      max_tokens: 300,
    });
    // Thinking: the stop sequences still go; the sampling is left out, and said.
    const thinking = adaptRequestForDeployment(
      { ...plain, reasoning_effort: 'low', top_k: 5 } as ChatRequest,
      thinker,
    );
    expect(thinking.warnings).toEqual([
      "temperature ignored: Claude's extended thinking takes the default sampling (claude-r)",
      "top_p ignored: Claude's extended thinking takes the default sampling (claude-r)",
      "top_k ignored: Claude's extended thinking takes the default sampling (claude-r)",
    ]);
    const sent = chatToAnthropicRequest(thinking.body, thinker);
    expect(sent).toMatchObject({ stop_sequences: ['the'], thinking: { type: 'enabled' } });
    expect(sent).not.toHaveProperty('temperature');
    expect(sent).not.toHaveProperty('top_p');
    // An OpenAI reasoning model still refuses them.
    const o4 = deploymentSchema.parse({
      ...base,
      provider: 'openai',
      name: 'o',
      model: 'o4-mini',
      capabilities: { reasoning: true },
    });
    expect(adaptRequestForDeployment(plain, o4).body).not.toHaveProperty('stop');
  });

  it('sends Claude the first tool of each name, which OpenAI would take twice, and says so', () => {
    const claude = deploymentSchema.parse({
      ...base,
      provider: 'anthropic',
      name: 'claude',
      model: 'claude-sonnet-4-5',
    });
    const fn = (name: string, description: string) => ({
      type: 'function' as const,
      function: { name, description, parameters: { type: 'object', properties: {} } },
    });
    const request = {
      model: 'claude',
      messages: [{ role: 'user', content: 'Read the file' }],
      tools: [fn('read', 'built-in'), fn('grep', 'x'), fn('read', 'mcp'), fn('read', 'again')],
    } as ChatRequest;
    const adapted = adaptRequestForDeployment(request, claude);
    expect(adapted.warnings).toEqual([
      "tools: 2 later definitions of read left out: Anthropic's API (claude) takes one tool per name, so the first of each is sent",
    ]);
    const sent = chatToAnthropicRequest(adapted.body, claude) as {
      tools: { name: string; description: string }[];
    };
    expect(sent.tools.map((t) => `${t.name}:${t.description}`)).toEqual([
      'read:built-in',
      'grep:x',
    ]);
    // The client's request is untouched, and another provider gets every definition.
    expect(request.tools).toHaveLength(4);
    const gpt = deploymentSchema.parse({
      ...base,
      provider: 'openai',
      name: 'g',
      model: 'gpt-4.1',
    });
    expect(adaptRequestForDeployment(request, gpt).body.tools).toHaveLength(4);
    // Names already unique: nothing said.
    expect(
      adaptRequestForDeployment({ ...request, tools: request.tools!.slice(0, 2) }, claude).warnings,
    ).toEqual([]);
  });

  it('logprobs and n > 1: eligibility keeps them from deployments that cannot answer them', () => {
    const needs = (r: Partial<ChatRequest>) =>
      requestNeeds(
        { model: 'm', messages: [{ role: 'user', content: 'hi' }], ...r } as ChatRequest,
        5,
      );
    const probes = { circuitAllows: () => true };
    const operatorSays = deploymentSchema.parse({
      ...base,
      name: 'o-lp',
      model: 'o4-mini',
      capabilities: { reasoning: true, logprobs: true },
    });
    const logprobs = needs({ logprobs: true, top_logprobs: 3 });
    expect(checkDeployment(plain, logprobs, probes)).toEqual([]);
    expect(checkDeployment(claude, logprobs, probes)).toEqual(['logprobs']);
    expect(checkDeployment(reasoning, logprobs, probes)).toEqual(['logprobs']);
    expect(checkDeployment(operatorSays, logprobs, probes)).toEqual([]);
    // A reasoning deployment said to return them gets them (they are not dropped for it).
    const asked = {
      model: 'm',
      messages: [],
      logprobs: true,
      top_logprobs: 3,
    } as unknown as ChatRequest;
    expect(adaptRequestForDeployment(asked, operatorSays).body).toMatchObject({
      logprobs: true,
      top_logprobs: 3,
    });
    expect(checkDeployment(claude, needs({ logprobs: false, top_logprobs: 0 }), probes)).toEqual(
      [],
    );
    expect(checkDeployment(claude, needs({ n: 3 }), probes)).toEqual(['choices']);
    expect(checkDeployment(claude, needs({ n: 1 }), probes)).toEqual([]);
    expect(checkDeployment(plain, needs({ n: 3 }), probes)).toEqual([]);
    expect(describeExclusions([{ deployment: 'claude', failed: ['logprobs', 'choices'] }])).toBe(
      'claude: logprobs (does not return logprobs), choices (answers one choice a request, and n > 1 was asked)',
    );
  });
});

describe("Claude's extended thinking where Anthropic would refuse it", () => {
  const claude = deploymentSchema.parse({
    ...base,
    provider: 'anthropic',
    name: 'claude',
    model: 'claude-sonnet-4-5',
    maxOutputTokens: 8192,
    capabilities: { reasoning: true, tools: true },
  });
  const tools = [{ type: 'function', function: { name: 'read', parameters: { type: 'object' } } }];
  const call = { id: 'tu_1', type: 'function', function: { name: 'read', arguments: '{}' } };
  const thinking = { provider: 'anthropic', type: 'thinking', thinking: 'x', signature: 's' };
  const ask = (extra: Record<string, unknown>) =>
    ({
      model: 'model-router',
      reasoning_effort: 'medium',
      max_completion_tokens: 8000,
      tools,
      messages: [{ role: 'user', content: 'Fix it.' }],
      ...extra,
    }) as ChatRequest;
  const thinkingSent = (r: ChatRequest) =>
    'thinking' in chatToAnthropicRequest(adaptRequestForDeployment(r, claude).body, claude);

  it('is kept for a plain request and for a tool loop that carries its thinking back', () => {
    expect(thinkingSent(ask({}))).toBe(true);
    const loop = ask({
      messages: [
        { role: 'user', content: 'Fix it.' },
        { role: 'assistant', content: null, tool_calls: [call], reasoning_details: [thinking] },
        { role: 'tool', tool_call_id: 'tu_1', content: 'file' },
      ],
    });
    expect(adaptRequestForDeployment(loop, claude).warnings).toEqual([]);
    expect(thinkingSent(loop)).toBe(true);
  });

  it('is turned off, and said so, for a forced tool, JSON output, or a tool call without its thinking', () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ tool_choice: 'required' }, /forced tool_choice/],
      [{ tool_choice: { type: 'function', function: { name: 'read' } } }, /forced tool_choice/],
      [{ response_format: { type: 'json_object' } }, /JSON output/],
      [
        {
          messages: [
            { role: 'user', content: 'Fix it.' },
            { role: 'assistant', content: null, tool_calls: [call] },
            { role: 'tool', tool_call_id: 'tu_1', content: 'file' },
          ],
        },
        /tool call being answered came without Claude's thinking/,
      ],
      [
        {
          // Thinking the output filter redacted goes out unsigned: not Claude's to send back.
          messages: [
            { role: 'user', content: 'Fix it.' },
            {
              role: 'assistant',
              content: null,
              tool_calls: [call],
              reasoning_details: [{ provider: 'anthropic', type: 'thinking', thinking: 'x' }],
            },
            { role: 'tool', tool_call_id: 'tu_1', content: 'file' },
          ],
        },
        /tool call being answered came without Claude's thinking/,
      ],
    ];
    for (const [extra, why] of cases) {
      const { warnings } = adaptRequestForDeployment(ask(extra), claude);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(why);
      expect(warnings[0]).toMatch(/^reasoning_effort dropped: .*\(claude\)$/);
      expect(thinkingSent(ask(extra))).toBe(false);
    }
    // tool_choice auto and none are what Anthropic allows with thinking.
    expect(thinkingSent(ask({ tool_choice: 'auto' }))).toBe(true);
  });

  it("sends an Anthropic client's exact thinking budget to Anthropic only", () => {
    const r = ask({ x_thinking_budget_tokens: 5000 });
    const toClaude = chatToAnthropicRequest(adaptRequestForDeployment(r, claude).body, claude);
    expect(toClaude.thinking).toEqual({ type: 'enabled', budget_tokens: 5000 });
    const openai = deploymentSchema.parse({
      ...base,
      provider: 'openai',
      name: 'o',
      model: 'o4-mini',
      capabilities: { reasoning: true },
    });
    expect(adaptRequestForDeployment(r, openai).body).not.toHaveProperty(
      'x_thinking_budget_tokens',
    );
  });
});

describe('file parts go only where files are read', () => {
  const probes = { circuitAllows: () => true };
  const fileNeeds = (file: Record<string, string>) =>
    requestNeeds(
      {
        model: 'm',
        messages: [{ role: 'user', content: [{ type: 'file', file }] }],
      } as unknown as ChatRequest,
      10,
    );
  const make = (provider: string, capabilities: Record<string, boolean>) =>
    deploymentSchema.parse({ ...base, name: provider, model: 'm', provider, capabilities });
  const inline = fileNeeds({ file_data: 'data:application/pdf;base64,JVBERi0=' });
  const byId = fileNeeds({ file_id: 'file-abc' });

  it('a vision deployment reads them unless it is a generic OpenAI-compatible server, or says otherwise', () => {
    expect(inline.files).toBe('data');
    expect(checkDeployment(make('openai', { vision: true }), inline, probes)).toEqual([]);
    expect(checkDeployment(make('anthropic', { vision: true }), inline, probes)).toEqual([]);
    expect(checkDeployment(make('openai', { vision: false }), inline, probes)).toEqual(['files']);
    expect(checkDeployment(make('openai-compatible', { vision: true }), inline, probes)).toEqual([
      'files',
    ]);
    expect(
      checkDeployment(make('openai-compatible', { vision: true, files: true }), inline, probes),
    ).toEqual([]);
    expect(checkDeployment(make('openai', { vision: true, files: false }), inline, probes)).toEqual(
      ['files'],
    );
  });

  it("an uploaded file's id never goes to Claude", () => {
    expect(byId.files).toBe('id');
    expect(checkDeployment(make('azure', { vision: true }), byId, probes)).toEqual([]);
    expect(checkDeployment(make('anthropic', { vision: true, files: true }), byId, probes)).toEqual(
      ['files'],
    );
  });
});

describe("OpenAI's own tool kinds go only to OpenAI-format upstreams", () => {
  const probes = { circuitAllows: () => true };
  const claude = deploymentSchema.parse({ ...base, provider: 'anthropic', name: 'c', model: 'c' });
  const gpt = deploymentSchema.parse({ ...base, provider: 'openai', name: 'g', model: 'g' });
  const ask = (extra: Record<string, unknown>) =>
    requestNeeds(
      { model: 'm', messages: [{ role: 'user', content: 'hi' }], ...extra } as ChatRequest,
      5,
    );

  it('the legacy functions parameter: not to Claude, which would drop it; custom tools go (bridged)', () => {
    const custom = ask({ tools: [{ type: 'custom', custom: { name: 'grammar' } }] });
    const legacy = ask({ functions: [{ name: 'f', parameters: { type: 'object' } }] });
    const plainTools = ask({
      tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object' } } }],
    });
    // Custom tools reach Claude as function tools (src/gateway/custom-tool-bridge.ts).
    expect(checkDeployment(claude, custom, probes)).toEqual([]);
    expect(checkDeployment(claude, legacy, probes)).toEqual(['openai_tools']);
    expect(checkDeployment(gpt, custom, probes)).toEqual([]);
    expect(checkDeployment(gpt, legacy, probes)).toEqual([]);
    expect(checkDeployment(claude, plainTools, probes)).toEqual([]);
    // The legacy functions are tools too: a deployment without tools cannot take them.
    const noTools = deploymentSchema.parse({
      ...base,
      provider: 'openai',
      name: 'n',
      model: 'n',
      capabilities: { tools: false },
    });
    expect(checkDeployment(noTools, legacy, probes)).toEqual(['tools']);
  });
});
