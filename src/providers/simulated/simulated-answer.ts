// What a simulated model answers: text in the configured style, tool calls when the request offers
// tools and tool_choice allows, JSON for response_format. Deterministic for a seed.
import type { SimulationConfig } from '../../config/deployment-parts.js';
import type { DeploymentConfig } from '../../config/deployment-schema.js';
import type { ChatRequest } from '../../core/wire-types.js';
import { prng } from '../../core/prng.js';
import { cutAtStop, stopSequencesOf } from './simulated-stop.js';
import { valueForSchema, type JsonSchema } from './schema-value.js';

export interface SimToolCall {
  id: string;
  name: string;
  /** JSON arguments; for a custom tool's call (`custom`), its free-form input. */
  arguments: string;
  custom?: boolean;
}

export interface SimAnswer {
  text: string;
  /** The text split as it streams (each piece ≈ one token). */
  pieces: string[];
  /** Visible tokens: the text's pieces, or the tool calls' arguments. */
  completionTokens: number;
  /**
   * Hidden reasoning tokens (`simulation.reasoningTokens`), within the request's limit: like
   * OpenAI's `max_completion_tokens`, the limit bounds reasoning and visible output together.
   */
  reasoningTokens: number;
  /**
   * The reasoning text, split as it streams: empty when the answer has no reasoning tokens. A
   * short stand-in for the hidden reasoning, sent as OpenAI-format reasoning servers send it
   * (`reasoning_content`), which the Messages bridge shows as a thinking block when asked and
   * the Responses bridge returns as a reasoning item.
   */
  reasoningPieces: string[];
  finishReason: 'stop' | 'length' | 'tool_calls';
  toolCalls: SimToolCall[];
  /** The stop sequence the text ended before, named as vLLM names it (choice `stop_reason`). */
  matchedStop?: string;
}

const WORDS = (
  'the router picks a model for each prompt so that quality stays high while cost stays low ' +
  'this answer is simulated and deterministic it depends only on the request and the model ' +
  'consider the question carefully then answer with a short explanation and an example ' +
  'first we state the idea next we check it against the data and finally we summarise'
).split(' ');

const CODE_LINES = [
  '```python',
  'def answer(x):',
  '    """Simulated solution."""',
  '    return sorted(set(x))',
  '```',
];

/**
 * The reasoning of an answer with reasoning tokens: a few sentences from its own PRNG stream (so
 * the answer's text is the same with or without it), deterministic for the seed.
 */
function reasoningPiecesOf(body: ChatRequest, seed: number, reasoningTokens: number): string[] {
  if (reasoningTokens <= 0) return [];
  const rand = prng(seed ^ 0x5bd1e995);
  const asked = lastUserText(body).replace(/\s+/g, ' ').trim().slice(0, 60);
  const pieces = ['Simulated', ' reasoning:', ' the', ' request', ' asks', ` "${asked}".`];
  const words = Math.min(reasoningTokens, 24);
  for (let i = 0; i < words; i++) pieces.push(` ${WORDS[Math.floor(rand() * WORDS.length)]}`);
  pieces[pieces.length - 1] += '.';
  return pieces;
}

function lastUserText(body: ChatRequest): string {
  for (let i = body.messages.length - 1; i >= 0; i--) {
    const m = body.messages[i]!;
    if (m.role !== 'user') continue;
    if (typeof m.content === 'string') return m.content;
    if (Array.isArray(m.content))
      return m.content
        .map((p) => ('text' in p && typeof p.text === 'string' ? p.text : ''))
        .join(' ');
  }
  return '';
}

/** A tool offered, by its name; `parameters` for a function tool, `format` for a custom one. */
interface SimTool {
  name: string;
  parameters?: JsonSchema;
  custom?: { format?: unknown };
}

function offeredTools(body: ChatRequest): SimTool[] {
  return (body.tools ?? []).map((t) =>
    t.type === 'function'
      ? { name: t.function.name, parameters: t.function.parameters as JsonSchema }
      : { name: t.custom.name, custom: { format: t.custom.format } },
  );
}

/**
 * A custom tool's input: a line naming the tool and quoting the prompt, the same for the same
 * request. Free-form text even where the tool's format is a grammar: the simulated fleet does
 * not generate from Lark or regex grammars, so the input need not match one.
 */
function customInput(name: string, body: ChatRequest, seed: number): string {
  const prompt = lastUserText(body).replace(/\s+/g, ' ').trim().slice(0, 80);
  return `simulated input for ${name} (${seed.toString(16)}): ${prompt}`;
}

function chooseTools(body: ChatRequest, sim: SimulationConfig, seed: number): SimToolCall[] {
  const tools = offeredTools(body);
  const choice = body.tool_choice;
  if (!sim.toolCalls || tools.length === 0 || choice === 'none') return [];
  const lastMessage = body.messages[body.messages.length - 1];
  if (lastMessage?.role === 'tool' && choice !== 'required' && typeof choice !== 'object')
    return [];
  let picked = tools;
  if (choice && typeof choice === 'object' && 'function' in choice) {
    picked = tools.filter((t) => !t.custom && t.name === choice.function.name);
  } else if (choice && typeof choice === 'object' && 'custom' in choice) {
    picked = tools.filter((t) => t.custom && t.name === choice.custom.name);
  } else if (choice !== 'required') {
    const text = lastUserText(body).toLowerCase();
    picked = tools.filter((t) =>
      t.name
        .toLowerCase()
        .split(/[_\-.]/)
        .some((part) => part.length >= 4 && text.includes(part)),
    );
    if (picked.length === 0) return [];
  }
  const parallel = body.parallel_tool_calls !== false && !(choice && typeof choice === 'object');
  return picked.slice(0, parallel ? 2 : 1).map((t, i) => ({
    id: `call_sim${(seed + i).toString(16)}`,
    name: t.name,
    ...(t.custom
      ? { arguments: customInput(t.name, body, seed + i), custom: true }
      : { arguments: JSON.stringify(valueForSchema(t.parameters as JsonSchema, t.name) ?? {}) }),
  }));
}

export function buildAnswer(
  body: ChatRequest,
  sim: SimulationConfig,
  seed: number,
  deployment: DeploymentConfig,
): SimAnswer {
  // The request's limit, else the deployment's own maximum: a real model stops at either. The
  // reasoning comes first and counts against it.
  const cap =
    body.max_completion_tokens ?? body.max_tokens ?? deployment.maxOutputTokens ?? Infinity;
  const limit = typeof cap === 'number' && cap > 0 ? cap : Infinity;
  const reasoningTokens = Math.min(sim.reasoningTokens, limit);
  const left = limit - reasoningTokens;
  const reasoningPieces = reasoningPiecesOf(body, seed, reasoningTokens);
  // Reasoning used the whole limit: no visible output, ended by the limit (as OpenAI's do).
  if (left <= 0)
    return {
      text: '',
      pieces: [],
      completionTokens: 0,
      reasoningTokens,
      reasoningPieces,
      finishReason: 'length',
      toolCalls: [],
    };
  const toolCalls = chooseTools(body, sim, seed);
  if (toolCalls.length) {
    const tokens = toolCalls.reduce((n, c) => n + Math.ceil(c.arguments.length / 4) + 5, 0);
    return {
      text: '',
      pieces: [],
      completionTokens: tokens,
      reasoningTokens,
      reasoningPieces,
      finishReason: 'tool_calls',
      toolCalls,
    };
  }
  const rand = prng(seed);
  let target = Math.max(1, Math.round(sim.answerTokens * (0.6 + 0.8 * rand())));
  let finishReason: SimAnswer['finishReason'] = 'stop';
  if (target > left) {
    target = left;
    finishReason = 'length';
  }
  const rf = body.response_format as
    { type?: string; json_schema?: { schema?: JsonSchema } } | undefined;
  let pieces: string[];
  if (rf?.type === 'json_object' || rf?.type === 'json_schema') {
    const value =
      rf.type === 'json_schema'
        ? valueForSchema(rf.json_schema?.schema ?? { type: 'object' }, 'answer')
        : { answer: `simulated answer from ${deployment.model}` };
    const json = JSON.stringify(value);
    pieces = json.match(/.{1,4}/gs) ?? [json];
    finishReason = 'stop';
  } else if (sim.style === 'echo') {
    const words = `You said: ${lastUserText(body)}`.split(' ');
    pieces = words.slice(0, target).map((w, i) => (i === 0 ? w : ` ${w}`));
    // The whole echo fits: it ended on its own, not at the limit.
    if (words.length <= target) finishReason = 'stop';
  } else {
    const words: string[] = [];
    if (sim.style === 'code') words.push(...CODE_LINES.map((l) => `${l}\n`));
    if (sim.style === 'detailed') words.push('Here', ' is', ' a', ' detailed', ' answer:\n\n');
    while (words.length < target) {
      const w = WORDS[Math.floor(rand() * WORDS.length)] as string;
      words.push(words.length === 0 ? w[0]!.toUpperCase() + w.slice(1) : ` ${w}`);
    }
    words.length = target;
    words[words.length - 1] += '.';
    pieces = words;
  }
  const stopped = cutAtStop(pieces, stopSequencesOf(body.stop));
  pieces = stopped.pieces;
  return {
    text: pieces.join(''),
    pieces,
    // What was sent: the text before the sequence.
    completionTokens: pieces.length,
    reasoningTokens,
    reasoningPieces,
    finishReason: stopped.matched !== undefined ? 'stop' : finishReason,
    toolCalls: [],
    ...(stopped.matched !== undefined ? { matchedStop: stopped.matched } : {}),
  };
}
