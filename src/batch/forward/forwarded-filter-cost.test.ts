// A batch line forwarded to its deployment's Batch API has its answer checked by the output content
// filter when it comes back (filterForwardedAnswer), as a live answer is: the calls that check
// makes at a priced moderation deployment are part of the line's cost, listed in its record
// (`lookup: 'content_filter'`), settled with it and counted at `mod` in the usage summary. Before
// 2026-12-06 they counted nowhere. Real governance policies, filter and moderation gateway.
import { describe, expect, it } from 'vitest';
import {
  filterCalls,
  moderationCost,
  pricedModerationApp,
  summaryAt,
} from '../../../test/helpers/priced-moderation-filter.js';
import type { ChatResponse } from '../../core/wire-types.js';
import { ANONYMOUS } from '../../gateway/gateway-types.js';
import type { RequestRecord } from '../../store/request-record.js';
import type { ForwardGroup, ForwardedLine } from './forward-doc.js';
import { filterForwardedAnswer, recordForwardedLine } from './record-forwarded.js';

const answerText = 'Paris is the capital of France.';

const upstreamAnswer: ChatResponse = {
  id: 'chatcmpl-batch-1',
  object: 'chat.completion',
  created: 1,
  model: 'small-sim',
  choices: [
    {
      index: 0,
      finish_reason: 'stop',
      logprobs: null,
      message: { role: 'assistant', content: answerText, refusal: null },
    },
  ],
  usage: { prompt_tokens: 12, completion_tokens: 8, total_tokens: 20 },
} as ChatResponse;

describe('a forwarded batch line', () => {
  it("counts the output filter's moderation call on its answer, at mod", async () => {
    const app = await pricedModerationApp();
    const deployment = app.t.config.current.deployments.get('small')!;
    const line: ForwardedLine = { line: 0, requestId: 'req_b1', promptTokens: 12, top: 'big' };
    const group: ForwardGroup = { deployment: 'small', submittedAt: app.t.clock.now(), lines: [] };
    const answer = { status: 200, body: structuredClone(upstreamAnswer) };
    const out = await filterForwardedAnswer(app.policies, ANONYMOUS, line, deployment, answer);
    expect(out.status).toBe(200);
    const records: RequestRecord[] = [];
    recordForwardedLine(
      { clock: app.t.clock, recorder: { record: (r) => records.push(r) }, policies: app.policies },
      {
        tenant: 'default',
        auth: ANONYMOUS,
        group,
        line,
        deployment,
        top: app.t.config.current.deployments.get('big')!,
        status: answer.status,
        body: answer.body,
        filterCalls: out.filterCalls,
      },
    );
    const [record] = records;
    const expected = moderationCost(answerText);
    expect(filterCalls(record!)).toEqual([
      expect.objectContaining({ deployment: 'mod', outcome: 'ok', costUsd: expected }),
    ]);
    expect(record!.deployment).toBe('small');
    expect(record!.costUsd).toBeGreaterThan(expected);
    expect(app.settled.at(-1)!.costUsd).toBeCloseTo(record!.costUsd, 15);
    expect((await summaryAt([record!], 'mod'))?.costUsd).toBeCloseTo(expected, 15);
    expect((await summaryAt([record!], 'small'))?.costUsd).toBeCloseTo(
      record!.costUsd - expected,
      15,
    );
    expect((await app.spent()).at).toBeCloseTo(expected, 12);
  });
});
