// A Decisions request bridged to one chat request, the router's internal format: the questions as
// a system message (each numbered, with its choices or levels), the input as the conversation
// after it (converted as Responses input is), and a JSON-schema response format asking for each
// answer in order under `q1`, `q2`, …: a predicate's probability, a choice's pick and a probability
// per choice, a score's probability per level, or null to decline. decision-reply.ts reads it.
import type { ChatContentPart, ChatMessage, ChatRequest } from '../../core/wire-types.js';
import { isObject } from '../../core/is-object.js';
import { parseChatRequest } from '../parse-chat-request.js';
import { convertInput } from '../responses/convert-input.js';
import type { DecisionQuestion, DecisionRequest } from './decision-request.js';

/** The key a question's answer has in the model's JSON (1-based, as the system message numbers). */
export const answerKey = (index: number): string => `q${index + 1}`;

/** The key a choice's or level's probability has (1-based, as listed). */
export const optionKey = (index: number): string => `${index + 1}`;

const HOW_TO_ANSWER = `Answer questions about the input: the conversation after this message. Answer every question below, in the JSON object the response format describes, question N under "qN":
- predicate: "probability" is how likely the statement is true, from 0 to 1.
- choice: "choice" is the option you pick, written as listed (a boolean as true or false, a string in quotes), and "probabilities" gives, for each option by its number, how likely it is the right one (summing to 1).
- score: "probabilities" gives, for each level by its number (levels are listed lowest first), how likely the input is at that level (summing to 1).
Write null for a question you decline to answer.`;

/** The chat request for a Decisions request (its `model`, checked as chat's). */
export function decisionToChat(decision: DecisionRequest): ChatRequest {
  const { body, questions } = decision;
  const images: ChatContentPart[] = [];
  const listed = questions.map((q, i) => describeQuestion(q, i, images));
  const messages: ChatMessage[] = [
    { role: 'system', content: `${HOW_TO_ANSWER}\n\n${listed.join('\n\n')}` },
  ];
  // A chat message holds images only from the user: the questions' come before the input.
  if (images.length) messages.push({ role: 'user', content: images });
  messages.push(...convertInput(asResponsesInput(body.input)));
  // A conversation ending on the assistant (or a tool) gets a user turn to answer, so no model
  // reads it as an answer to continue (Claude's prefill).
  if (messages[messages.length - 1]?.role !== 'user')
    messages.push({
      role: 'user',
      content: 'Answer the questions of the system message about the conversation above.',
    });
  const chat: Record<string, unknown> = {
    model: body.model,
    messages,
    response_format: {
      type: 'json_schema',
      json_schema: { name: 'decision', strict: true, schema: answersSchema(questions) },
    },
  };
  for (const key of ['prompt_cache_key', 'safety_identifier'] as const)
    if (typeof body[key] === 'string') chat[key] = body[key];
  return parseChatRequest(chat);
}

function describeQuestion(q: DecisionQuestion, i: number, images: ChatContentPart[]): string {
  const name = q.name === null ? '' : ` "${q.name}"`;
  const lines = [`Question ${i + 1} (${q.type}${name}): ${instructionText(q, i, images)}`];
  if (q.type === 'choice') {
    lines.push('Options:');
    q.choices.forEach((c, j) =>
      lines.push(`${optionKey(j)}. ${JSON.stringify(c.value)}${describe(c.description)}`),
    );
  } else if (q.type === 'score') {
    lines.push('Levels, lowest first:');
    q.levels.forEach((l, j) => lines.push(`${optionKey(j)}. ${l.label}${describe(l.description)}`));
  }
  return lines.join('\n');
}

const describe = (description: string | undefined) => (description ? `: ${description}` : '');

/** A question's instructions as text; its images go to `images`, under a line naming it. */
function instructionText(q: DecisionQuestion, i: number, images: ChatContentPart[]): string {
  if (typeof q.instructions === 'string') return q.instructions;
  const texts: string[] = [];
  let named = false;
  for (const part of q.instructions) {
    if (part.type === 'input_text') texts.push(String(part.text));
    else if (part.type === 'input_json') texts.push(JSON.stringify(part.data));
    else if (part.type === 'input_image') {
      if (!named) images.push({ type: 'text', text: `Image for question ${i + 1}:` });
      named = true;
      images.push(imagePart(part));
      texts.push(`(its image is in the first user message, after "Image for question ${i + 1}")`);
    }
  }
  return texts.join('\n');
}

function imagePart(part: Record<string, unknown>): ChatContentPart {
  return {
    type: 'image_url',
    image_url: { url: String(part.image_url), detail: chatDetail(part.detail) },
  };
}

/** Chat's image details are low, high and auto; `original` (full size) is the nearest to high. */
function chatDetail(detail: unknown): 'low' | 'high' | 'auto' {
  return detail === 'low' || detail === 'high' ? detail : detail === 'original' ? 'high' : 'auto';
}

/**
 * Decisions input as Responses input items, which convert-input.ts turns into chat messages: JSON
 * parts become text, assistant refusal parts text, image details chat's. Tool calls and their
 * outputs become text too (a call as the assistant's, its output as the user's): the model is
 * asked about them, not to go on with them, and as text no provider's rules on tool turns apply
 * (Anthropic's, a tool turn without `tools`; chat's, a call no output answers yet).
 */
function asResponsesInput(input: unknown): unknown {
  if (!Array.isArray(input)) return input;
  return input.map((item: Record<string, unknown>) => {
    if ('call_id' in item && !('output' in item))
      return { role: 'assistant', content: [{ type: 'output_text', text: callText(item) }] };
    if ('call_id' in item) return { role: 'user', content: outputParts(item) };
    if (!Array.isArray(item.content)) return item;
    return { ...item, content: item.content.map(chatPart) };
  });
}

function chatPart(p: unknown): unknown {
  if (!isObject(p)) return p;
  if (p.type === 'input_json') return { type: 'input_text', text: JSON.stringify(p.data) };
  if (p.type === 'refusal') return { type: 'output_text', text: String(p.refusal) };
  if (p.type === 'input_image') return { ...p, detail: chatDetail(p.detail) };
  return p;
}

function callText(call: Record<string, unknown>): string {
  const given =
    call.type === 'custom_tool_call'
      ? `input: ${String(call.input)}`
      : `arguments: ${String(call.arguments)}`;
  return `Calls tool ${String(call.name)} (call ${String(call.call_id)}), ${given}`;
}

/** A tool's output as the user's message: a line naming its call, then its text and images. */
function outputParts(item: Record<string, unknown>): unknown[] {
  const head = { type: 'input_text', text: `Output of tool call ${String(item.call_id)}:` };
  const output = item.output;
  if (!Array.isArray(output)) return [head, { type: 'input_text', text: String(output) }];
  return [head, ...output.map(chatPart)];
}

const PROBABILITY = { type: 'number', minimum: 0, maximum: 1 };

/** An object of the given properties, all required, no others (OpenAI's strict mode). */
function strictObject(properties: Record<string, unknown>): Record<string, unknown> {
  return {
    type: 'object',
    properties,
    required: Object.keys(properties),
    additionalProperties: false,
  };
}

function perOption(count: number): Record<string, unknown> {
  return strictObject(
    Object.fromEntries(Array.from({ length: count }, (_, j) => [optionKey(j), PROBABILITY])),
  );
}

/**
 * A choice's pick: an enum of its values, typed (OpenAI's strict mode takes an enum with its
 * `type`): strings and booleans mixed are one enum per type, the first choice's type first.
 */
export function choiceSchema(values: readonly (string | boolean)[]): Record<string, unknown> {
  const types = [...new Set(values.map((v) => typeof v))];
  const branches = types.map((type) => ({ type, enum: values.filter((v) => typeof v === type) }));
  return branches.length === 1 ? branches[0]! : { anyOf: branches };
}

/** The JSON schema of the answers: each question's answer object, or null where it declines. */
export function answersSchema(questions: readonly DecisionQuestion[]): Record<string, unknown> {
  const answers = questions.map((q, i) => {
    const answer =
      q.type === 'predicate'
        ? strictObject({ probability: PROBABILITY })
        : q.type === 'choice'
          ? strictObject({
              choice: choiceSchema(q.choices.map((c) => c.value)),
              probabilities: perOption(q.choices.length),
            })
          : strictObject({ probabilities: perOption(q.levels.length) });
    return [answerKey(i), { anyOf: [answer, { type: 'null' }] }];
  });
  return strictObject(Object.fromEntries(answers));
}
