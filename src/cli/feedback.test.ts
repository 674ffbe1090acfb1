// `feedback export`'s parts: the artefact's name of a deployment's model (as the trained router
// maps it), and one routing-data row per rated request (weighted mean, prompt required).
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { FeedbackWithPrompt } from '../store/feedback-store.js';
import { HELP, artefactModelName, run, scoredRows } from './feedback.js';

const MODELS = [
  { name: 'qwen2.5-7b-instruct', group: 'llmrouter_9open.jsonl' },
  { name: 'mistralai/Mixtral-8x7B-Instruct-v0.1', group: 'routellm.jsonl' },
];

function fb(requestId: string, score: number, weight = 1, promptText?: string): FeedbackWithPrompt {
  return {
    id: `fb_${requestId}_${score}`,
    createdAt: 2,
    score,
    weight,
    request: {
      time: 1,
      requestId,
      endpoint: 'chat',
      tenant: 'team-a',
      router: 'model-router',
      deployment: 'small',
      servedModel: 'small-sim',
    },
    ...(promptText !== undefined ? { promptText } : {}),
  };
}

describe('feedback export', () => {
  it("names a deployment's model as the artefact does: like, model or name, exact then bare", () => {
    const d = (like: string | undefined, model: string, name = 'd') => ({ like, model, name });
    expect(artefactModelName(d('llmrouter_9open.jsonl:qwen2.5-7b-instruct', 'x'), MODELS)).toBe(
      'qwen2.5-7b-instruct',
    );
    expect(artefactModelName(d(undefined, 'qwen2.5-7b-instruct'), MODELS)).toBe(
      'qwen2.5-7b-instruct',
    );
    expect(artefactModelName(d(undefined, 'x', 'qwen2.5-7b-instruct'), MODELS)).toBe(
      'qwen2.5-7b-instruct',
    );
    // By bare name: no provider prefix, any case.
    expect(artefactModelName(d(undefined, 'together/mixtral-8x7b-instruct-v0.1'), MODELS)).toBe(
      'mistralai/Mixtral-8x7B-Instruct-v0.1',
    );
    expect(artefactModelName(d(undefined, 'fresh-model'), MODELS)).toBeUndefined();
  });

  it('writes one row per rated request with a prompt: the weighted mean of its feedback', () => {
    const { rows, withoutPrompt } = scoredRows(
      [
        fb('req_1', 1, 1, 'What is 2+2?\n'),
        fb('req_1', 0, 0.25, 'What is 2+2?\n'),
        fb('req_2', 0.5, 1),
        fb('req_3', 0.5, 0, 'weightless'),
      ],
      (deployment, served) => `${deployment}/${served}`,
    );
    expect(withoutPrompt).toBe(1);
    // The log did not say whether req_1 continued a conversation (a row from before migration
    // 18): not multi-turn; one that says so is.
    expect(rows).toEqual([
      {
        id: 'feedback/team-a/req_1',
        source: 'feedback',
        prompt: 'What is 2+2?',
        multi_turn: false,
        scores: { 'small/small-sim': 0.8 },
        meta: {
          request_id: 'req_1',
          time: new Date(1).toISOString(),
          router: 'model-router',
          deployment: 'small',
          served_model: 'small-sim',
          feedback: 2,
        },
      },
    ]);
    const turns = (multiTurn: boolean | undefined) =>
      scoredRows([{ ...fb('req_4', 1, 1, 'And 3+3?'), multiTurn }], () => 'm').rows[0]!.multi_turn;
    expect([turns(true), turns(false), turns(undefined)]).toEqual([true, false, false]);
  });
});

describe('feedback export usage', () => {
  afterEach(() => vi.restoreAllMocks());

  it('shows --since as optional with its default, as --help does', async () => {
    const err: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((s) => (err.push(String(s)), true));
    expect(await run(['export'])).toBe(2);
    const [said, usage] = err.join('').split('\n');
    expect(said).toBe('model-router feedback: missing --out');
    // Before: "export --since 30d [--until <t>] …", as if --since were required.
    expect(usage).toMatch(/^usage: model-router feedback export \[--since 30d\] \[--until <t>\]/);
    expect(usage).toMatch(/ --out <scored\.jsonl>$/);
    expect(HELP).toMatch(/^usage: model-router feedback export \[--since 30d\] /);
    expect(HELP).toContain('(default 30d)');
  });
});
