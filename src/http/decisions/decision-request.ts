// OpenAI's Decisions API request (`POST /v1/decisions`, openai-node 7.60
// `resources/decisions.d.ts` `DecisionCreateParams`) checked as its types say, before any routing:
// an input (a string, or messages, function and custom tool calls and their outputs) and 1–400
// questions (predicate, choice with 2–255 unique typed choices, score with ordered levels). A
// wrong field is a 400 in OpenAI's envelope naming it (`questions[3].choices`), whichever
// deployment routing would pick.
import { describeValue } from '../../core/describe-value.js';
import { invalidRequest } from '../../core/errors.js';
import { isImageUrl, quoteUrl } from '../../core/image-url.js';
import { isObject } from '../../core/is-object.js';

/** The most questions one request may ask (`questions`: "Ask 1–400 questions"). */
export const MAX_QUESTIONS = 400;
/** A choice question's fewest and most choices ("Provide between 2 and 255 choices"). */
export const MIN_CHOICES = 2;
export const MAX_CHOICES = 255;
/** A score question's fewest levels: one level orders nothing. */
export const MIN_LEVELS = 2;

export type ChoiceValue = string | boolean;

interface QuestionBase {
  /** The question's `name`, null where it has none (as its answer names it). */
  name: string | null;
  /** A string, or text, image and JSON parts (`Shared.DecisionQuestionInputPart`). */
  instructions: string | Record<string, unknown>[];
}

export type DecisionQuestion =
  | (QuestionBase & { type: 'predicate' })
  | (QuestionBase & {
      type: 'choice';
      choices: { value: ChoiceValue; description?: string }[];
    })
  | (QuestionBase & { type: 'score'; levels: { label: string; description?: string }[] });

export interface DecisionRequest {
  /** The body as sent (its `model`, `input`, `prompt_cache_key`, `safety_identifier`). */
  body: Record<string, unknown>;
  questions: DecisionQuestion[];
}

/** The request a Decisions body asks for, or a 400 naming the field to change. */
export function parseDecisionRequest(body: unknown): DecisionRequest {
  if (!isObject(body)) throw invalidRequest('The request body must be a JSON object.');
  checkInput(body.input);
  return { body, questions: parseQuestions(body.questions) };
}

const bad = (message: string, param: string, code?: string) => invalidRequest(message, param, code);

function requireString(v: unknown, param: string, what: string, nonEmpty = true): string {
  if (typeof v !== 'string')
    throw bad(
      v === undefined
        ? `${param} is required: ${what}.`
        : `${param} must be a string (${what}); got ${describeValue(v)}.`,
      param,
      v === undefined ? 'missing_required_parameter' : 'invalid_type',
    );
  if (nonEmpty && v.length === 0) throw bad(`${param} must not be empty: ${what}.`, param);
  return v;
}

function optionalString(v: unknown, param: string, what: string): string | undefined {
  return v === undefined ? undefined : requireString(v, param, what, false);
}

/** Content parts: each an object whose `type` is one of `allowed`, checked by `checkPart`. */
function checkParts(content: unknown, param: string, allowed: readonly string[]): void {
  if (typeof content === 'string') return;
  if (!Array.isArray(content))
    throw bad(
      `${param} must be a string or an array of content parts (${allowed.join(', ')}).`,
      param,
      'invalid_type',
    );
  if (content.length === 0) throw bad(`${param} must not be empty.`, param);
  content.forEach((part, i) => {
    const at = `${param}[${i}]`;
    if (!isObject(part)) throw bad(`${at} must be an object.`, at, 'invalid_type');
    if (!allowed.includes(String(part.type)))
      throw bad(
        `${at}.type must be one of ${allowed.join(', ')}; got ${describeValue(part.type)}.`,
        `${at}.type`,
        'invalid_value',
      );
    checkPart(part, at);
  });
}

function checkPart(part: Record<string, unknown>, at: string): void {
  switch (part.type) {
    case 'input_text':
    case 'output_text':
      requireString(part.text, `${at}.text`, 'the text', false);
      return;
    case 'refusal':
      requireString(part.refusal, `${at}.refusal`, 'the refusal text', false);
      return;
    case 'input_image': {
      const url = requireString(part.image_url, `${at}.image_url`, 'an http(s) URL or a data URL');
      if (!isImageUrl(url, true))
        throw bad(
          `${at}.image_url must be an http(s) URL or a data URL (data:image/png;base64,…); got ${quoteUrl(url)}.`,
          `${at}.image_url`,
          'invalid_value',
        );
      if (
        part.detail !== undefined &&
        part.detail !== null &&
        !['low', 'high', 'auto', 'original'].includes(String(part.detail))
      )
        throw bad(
          `${at}.detail must be low, high, auto or original; got ${describeValue(part.detail)}.`,
          `${at}.detail`,
          'invalid_value',
        );
      return;
    }
    case 'input_json': {
      const data = part.data;
      if (!isObject(data) && !(Array.isArray(data) && data.every(isObject)))
        throw bad(
          `${at}.data must be a JSON object or an array of objects; got ${describeValue(data)}.`,
          `${at}.data`,
          'invalid_type',
        );
    }
  }
}

const USER_PARTS = ['input_text', 'input_image', 'input_json'] as const;
const TEXT_PARTS = ['input_text'] as const;
const ASSISTANT_PARTS = ['output_text', 'refusal'] as const;
const OUTPUT_PARTS = ['input_text', 'input_image'] as const;
const ROLE_PARTS: Record<string, readonly string[]> = {
  user: USER_PARTS,
  developer: TEXT_PARTS,
  system: TEXT_PARTS,
  assistant: ASSISTANT_PARTS,
};

/** Each tool output's call item type. */
const CALL_OF: Record<string, string> = {
  function_call_output: 'function_call',
  custom_tool_call_output: 'custom_tool_call',
};

function checkInput(input: unknown): void {
  if (typeof input === 'string') {
    if (input.length === 0)
      throw bad('input must not be empty: the text to decide about.', 'input');
    return;
  }
  if (!Array.isArray(input))
    throw bad(
      input === undefined
        ? 'input is required: a string, or an array of messages, tool calls and tool outputs.'
        : `input must be a string or an array of items; got ${describeValue(input)}.`,
      'input',
      input === undefined ? 'missing_required_parameter' : 'invalid_type',
    );
  if (input.length === 0) throw bad('input must not be empty.', 'input');
  // call_id → its item type, for the outputs after it.
  const calls = new Map<string, unknown>();
  input.forEach((item, i) => {
    const at = `input[${i}]`;
    if (!isObject(item)) throw bad(`${at} must be an object.`, at, 'invalid_type');
    const type = item.type ?? 'message';
    if (type === 'message') {
      const allowed = ROLE_PARTS[String(item.role)];
      if (!allowed)
        throw bad(
          `${at}.role must be user, developer, system or assistant; got ${describeValue(item.role)}.`,
          `${at}.role`,
          'invalid_value',
        );
      if (item.content === undefined)
        throw bad(`${at}.content is required.`, `${at}.content`, 'missing_required_parameter');
      checkParts(item.content, `${at}.content`, allowed);
      return;
    }
    if (type === 'function_call' || type === 'custom_tool_call') {
      const id = requireString(item.call_id, `${at}.call_id`, "the call's id");
      requireString(item.name, `${at}.name`, "the tool's name");
      if (type === 'function_call')
        requireString(item.arguments, `${at}.arguments`, 'the arguments as JSON text', false);
      else requireString(item.input, `${at}.input`, "the tool's input", false);
      calls.set(id, type);
      return;
    }
    const callType = CALL_OF[String(type)];
    if (!callType)
      throw bad(
        `${at}.type must be message, function_call, function_call_output, custom_tool_call or custom_tool_call_output; got ${describeValue(item.type)}.`,
        `${at}.type`,
        'invalid_value',
      );
    const id = requireString(item.call_id, `${at}.call_id`, 'the id of the call it answers');
    if (calls.get(id) !== callType)
      throw bad(
        `No ${callType} item with call_id ${describeValue(id)} comes before ${at}: a tool output must answer a call earlier in the input.`,
        `${at}.call_id`,
        'invalid_value',
      );
    if (item.output === undefined)
      throw bad(`${at}.output is required.`, `${at}.output`, 'missing_required_parameter');
    checkParts(item.output, `${at}.output`, OUTPUT_PARTS);
  });
}

function parseQuestions(questions: unknown): DecisionQuestion[] {
  if (!Array.isArray(questions))
    throw bad(
      questions === undefined
        ? `questions is required: 1 to ${MAX_QUESTIONS} questions about the input.`
        : `questions must be an array of 1 to ${MAX_QUESTIONS} questions; got ${describeValue(questions)}.`,
      'questions',
      questions === undefined ? 'missing_required_parameter' : 'invalid_type',
    );
  if (questions.length < 1 || questions.length > MAX_QUESTIONS)
    throw bad(
      `questions must hold 1 to ${MAX_QUESTIONS} questions; got ${questions.length}.`,
      'questions',
      questions.length < 1 ? 'empty_array' : 'array_above_max_length',
    );
  return questions.map((q, i) => parseQuestion(q, `questions[${i}]`));
}

function parseQuestion(q: unknown, at: string): DecisionQuestion {
  if (!isObject(q)) throw bad(`${at} must be an object.`, at, 'invalid_type');
  const name = optionalString(q.name, `${at}.name`, "the question's name") ?? null;
  if (q.instructions === undefined)
    throw bad(
      `${at}.instructions is required: what to decide.`,
      `${at}.instructions`,
      'missing_required_parameter',
    );
  checkParts(q.instructions, `${at}.instructions`, USER_PARTS);
  if (q.instructions === '')
    throw bad(`${at}.instructions must not be empty.`, `${at}.instructions`);
  const instructions = q.instructions as DecisionQuestion['instructions'];
  switch (q.type) {
    case 'predicate':
      return { type: 'predicate', name, instructions };
    case 'choice':
      return { type: 'choice', name, instructions, choices: parseChoices(q.choices, at) };
    case 'score':
      return { type: 'score', name, instructions, levels: parseLevels(q.levels, at) };
    default:
      throw bad(
        q.type === undefined
          ? `${at}.type is required: predicate, choice or score.`
          : `${at}.type must be predicate, choice or score; got ${describeValue(q.type)}.`,
        `${at}.type`,
        q.type === undefined ? 'missing_required_parameter' : 'invalid_value',
      );
  }
}

function parseChoices(choices: unknown, at: string) {
  const param = `${at}.choices`;
  if (!Array.isArray(choices) || choices.length < MIN_CHOICES || choices.length > MAX_CHOICES)
    throw bad(
      `${param} must be an array of ${MIN_CHOICES} to ${MAX_CHOICES} choices; got ${Array.isArray(choices) ? `${choices.length}` : describeValue(choices)}.`,
      param,
      Array.isArray(choices) ? 'invalid_value' : 'invalid_type',
    );
  // Typed: `true` and `"true"` are two choices (one key each: JSON text tells them apart).
  const seen = new Set<string>();
  return choices.map((c, j) => {
    const cat = `${param}[${j}]`;
    if (!isObject(c)) throw bad(`${cat} must be an object with a value.`, cat, 'invalid_type');
    const value = c.value;
    if (typeof value !== 'string' && typeof value !== 'boolean')
      throw bad(
        `${cat}.value must be a string or a boolean; got ${describeValue(value)}.`,
        `${cat}.value`,
        value === undefined ? 'missing_required_parameter' : 'invalid_type',
      );
    const key = JSON.stringify(value);
    if (seen.has(key))
      throw bad(
        `${cat}.value ${key} is already a choice of ${param}: each choice must be unique.`,
        `${cat}.value`,
        'duplicate_value',
      );
    seen.add(key);
    const description = optionalString(c.description, `${cat}.description`, 'what it means');
    return description === undefined ? { value } : { value, description };
  });
}

function parseLevels(levels: unknown, at: string) {
  const param = `${at}.levels`;
  if (!Array.isArray(levels) || levels.length < MIN_LEVELS)
    throw bad(
      `${param} must be an array of at least ${MIN_LEVELS} levels, lowest first; got ${Array.isArray(levels) ? `${levels.length}` : describeValue(levels)}.`,
      param,
      Array.isArray(levels) ? 'invalid_value' : 'invalid_type',
    );
  return levels.map((l, j) => {
    const lat = `${param}[${j}]`;
    if (!isObject(l)) throw bad(`${lat} must be an object with a label.`, lat, 'invalid_type');
    const label = requireString(l.label, `${lat}.label`, "the level's label");
    const description = optionalString(l.description, `${lat}.description`, 'what it means');
    return description === undefined ? { label } : { label, description };
  });
}
