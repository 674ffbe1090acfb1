// The Decision built from the bridged chat answer (decision-reply.ts): answers in question order,
// named or null, probabilities normalised, typed choices, a score's expected level index, refusals
// where the model declined or answered invalidly, and usage in the Decision's shape.
import { describe, expect, it } from 'vitest';
import type { ChatResponse } from '../../core/wire-types.js';
import { valueForSchema } from '../../providers/simulated/schema-value.js';
import { answersSchema } from './decision-chat.js';
import { chatToDecision } from './decision-reply.js';
import { parseDecisionRequest, type DecisionQuestion } from './decision-request.js';

const questions: DecisionQuestion[] = parseDecisionRequest({
  model: 'm',
  input: 'x',
  questions: [
    { type: 'predicate', name: 'billing', instructions: 'Billing?' },
    {
      type: 'choice',
      instructions: 'Which?',
      choices: [{ value: true }, { value: 'true' }, { value: 'no' }],
    },
    {
      type: 'score',
      name: 'urgency',
      instructions: 'How urgent?',
      levels: [{ label: 'low' }, { label: 'mid' }, { label: 'high' }],
    },
  ],
}).questions;

function chatAnswer(content: string | null, refusal: string | null = null): ChatResponse {
  return {
    id: 'chatcmpl-1',
    object: 'chat.completion',
    created: 1,
    model: 'gpt-4.1-mini',
    choices: [
      {
        index: 0,
        finish_reason: 'stop',
        logprobs: null,
        message: { role: 'assistant', content, refusal },
      },
    ],
    usage: {
      prompt_tokens: 100,
      completion_tokens: 20,
      total_tokens: 120,
      prompt_tokens_details: { cached_tokens: 40, cache_write_tokens: 10 } as never,
      completion_tokens_details: { reasoning_tokens: 5 },
    },
  } as ChatResponse;
}

const refusals = [
  { type: 'refusal', name: 'billing' },
  { type: 'refusal', name: null },
  { type: 'refusal', name: 'urgency' },
];

describe('chatToDecision', () => {
  it('builds answers in order with normalised probabilities, typed choice and expected score', () => {
    const decision = chatToDecision(
      chatAnswer(
        JSON.stringify({
          q1: { probability: 0.8 },
          q2: { choice: 'true', probabilities: { 1: 0.2, 2: 0.6, 3: 0.2 } },
          q3: { probabilities: { 1: 0.2, 2: 0.4, 3: 0.2 } },
        }),
      ),
      questions,
    );
    expect(decision.model).toBe('gpt-4.1-mini');
    expect(decision.answers[0]).toEqual({ type: 'predicate', name: 'billing', probability: 0.8 });
    expect(decision.answers[1]).toMatchObject({ type: 'choice', name: null, choice: 'true' });
    expect((decision.answers[1] as { confidence: number }).confidence).toBeCloseTo(0.6);
    expect((decision.answers[1] as { probabilities: unknown[] }).probabilities).toEqual([
      { value: true, probability: expect.closeTo(0.2) },
      { value: 'true', probability: expect.closeTo(0.6) },
      { value: 'no', probability: expect.closeTo(0.2) },
    ]);
    // Stated 0.2, 0.4, 0.2 (not summing to 1): normalised to 0.25, 0.5, 0.25; expected index 1.
    expect(decision.answers[2]).toEqual({
      type: 'score',
      name: 'urgency',
      score: expect.closeTo(1),
      confidence: expect.closeTo(0.5),
      probabilities: [
        { label: 'low', value: 0, probability: expect.closeTo(0.25) },
        { label: 'mid', value: 1, probability: expect.closeTo(0.5) },
        { label: 'high', value: 2, probability: expect.closeTo(0.25) },
      ],
    });
    expect(decision.usage).toEqual({
      input_tokens: 100,
      input_tokens_details: { cached_tokens: 40, cache_write_tokens: 10 },
      output_tokens: 20,
      output_tokens_details: { reasoning_tokens: 5 },
      total_tokens: 120,
    });
  });

  it('the choice is the most probable value, not the stated pick; a tie goes to the pick', () => {
    const answer = (stated: unknown) =>
      chatToDecision(chatAnswer(JSON.stringify({ q2: stated })), questions).answers[1];
    expect(answer({ choice: 'no', probabilities: { 1: 0.7, 2: 0.2, 3: 0.1 } })).toMatchObject({
      choice: true,
    });
    expect(answer({ choice: 'no', probabilities: { 1: 0.4, 2: 0.2, 3: 0.4 } })).toMatchObject({
      choice: 'no',
    });
  });

  it('a declined or invalid answer is a refusal of that question only', () => {
    const decision = chatToDecision(
      chatAnswer(
        JSON.stringify({
          q1: null,
          // a value that is not a choice (the boolean's text)
          q2: { choice: 'yes', probabilities: { 1: 0.5, 2: 0.5, 3: 0 } },
          q3: { probabilities: { 1: 0, 2: 0, 3: 0 } },
        }),
      ),
      questions,
    );
    expect(decision.answers).toEqual(refusals);
    const invalid = (stated: unknown) =>
      chatToDecision(chatAnswer(JSON.stringify({ q1: stated })), questions).answers[0];
    expect(invalid({ probability: 1.5 })).toEqual(refusals[0]);
    expect(invalid({ probability: '0.5' })).toEqual(refusals[0]);
    expect(invalid({})).toEqual(refusals[0]);
    const q2 = chatToDecision(
      chatAnswer(JSON.stringify({ q2: { choice: true, probabilities: { 1: 0.5, 2: 0.5 } } })),
      questions,
    ).answers[1];
    expect(q2).toEqual(refusals[1]);
  });

  it('a refused, cut-short or non-JSON chat answer refuses every question', () => {
    expect(chatToDecision(chatAnswer(null, 'I cannot help'), questions).answers).toEqual(refusals);
    expect(chatToDecision(chatAnswer('{"q1": {"probab'), questions).answers).toEqual(refusals);
    expect(chatToDecision(chatAnswer('[1, 2]'), questions).answers).toEqual(refusals);
  });

  it("the simulated fleet's value for the bridged schema is a valid answer to every question", () => {
    const stated = valueForSchema(answersSchema(questions), 'answer');
    const decision = chatToDecision(chatAnswer(JSON.stringify(stated)), questions);
    expect(decision.answers.map((a) => a.type)).toEqual(['predicate', 'choice', 'score']);
    // It states 1 for every probability: uniform, the tie going to its pick (the first value).
    expect(decision.answers[1]).toMatchObject({ choice: true, confidence: 1 / 3 });
    expect(decision.answers[2]).toMatchObject({ score: 1, confidence: 1 / 3 });
  });
});
