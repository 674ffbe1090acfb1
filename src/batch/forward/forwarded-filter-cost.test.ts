// A batch line forwarded to its deployment's Batch API has its answer checked by the output content
// filter when it comes back (filterForwardedAnswer), as a live answer is: the calls that check
// makes at a priced moderation deployment are part of the line's cost, listed in its record
// (`lookup: 'content_filter'`), settled with it and counted at `mod` in the usage summary; so are
// the calls that checked its prompt before the gateway held it for the Batch API. Before
// 2026-12-06 they counted nowhere. A line the upstream Batch API gives back runs live with those
// prompt calls carried into its live run's record (before 2026-12-07 they were lost). Real
// governance policies, filter and moderation gateway.
import { describe, expect, it } from 'vitest';
import {
  filterCalls,
  moderationCost,
  pricedModerationApp,
  promptText,
  summaryAt,
} from '../../../test/helpers/priced-moderation-filter.js';
import { BATCH_CALLER_HEADER, BatchCallers } from '../batch-caller.js';
import type { ChatRequest, ChatResponse } from '../../core/wire-types.js';
import { ANONYMOUS, type PlannedBatchLine } from '../../gateway/gateway-types.js';
import type { RequestRecord } from '../../store/request-record.js';
import { forwardedLine, type ForwardGroup, type ForwardedLine } from './forward-doc.js';
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

  it("counts the filter's call on its prompt, made before the line was held, with the answer's", async () => {
    const app = await pricedModerationApp();
    const prompt = 'What is the capital of France?';
    let held: PlannedBatchLine | undefined;
    const outcome = await app.t.gateway.handleBatchLine(
      {
        request: {
          model: 'small',
          messages: [{ role: 'user', content: prompt }],
        } as ChatRequest,
        endpoint: 'chat',
        auth: ANONYMOUS,
        headers: {},
        signal: new AbortController().signal,
        requestId: 'req_b2',
      },
      { accepts: () => true, hold: (line) => (held = line) },
    );
    expect(outcome.kind).toBe('forward');
    const planned = outcome.kind === 'forward' ? outcome.line : held!;
    const promptCost = moderationCost(promptText(prompt));
    expect(planned.filterCalls).toEqual([
      expect.objectContaining({ deployment: 'mod', lookup: 'content_filter', costUsd: promptCost }),
    ]);
    // Kept in the batch's doc with the line, then recorded when its answer comes.
    const line = forwardedLine(0, 'req_b2', planned);
    const deployment = planned.deployment;
    const answer = { status: 200, body: structuredClone(upstreamAnswer) };
    const out = await filterForwardedAnswer(app.policies, ANONYMOUS, line, deployment, answer);
    const records: RequestRecord[] = [];
    const record = (r: RequestRecord) => records.push(r);
    const args = {
      tenant: 'default',
      auth: ANONYMOUS,
      group: { deployment: deployment.name, submittedAt: app.t.clock.now(), lines: [line] },
      line,
      deployment,
      top: planned.top,
      status: answer.status,
      body: answer.body,
      filterCalls: out.filterCalls,
    };
    recordForwardedLine({ clock: app.t.clock, recorder: { record }, policies: app.policies }, args);
    const answerCost = moderationCost(answerText);
    expect(filterCalls(records[0]!).map((a) => a.costUsd)).toEqual([promptCost, answerCost]);
    expect((await summaryAt(records, 'mod'))?.costUsd).toBeCloseTo(promptCost + answerCost, 15);
    // The doc's line keeps its calls (recorded from a copy): a replica recording it again
    // after a takeover counts them as this one did.
    expect(line.filterCalls).toHaveLength(1);
  });

  it("a line given back to run live counts its held prompt's filter call with its live run's", async () => {
    const callers = new BatchCallers();
    const app = await pricedModerationApp({ batchCallers: callers });
    const prompt = 'What is the capital of Italy?';
    const request = { model: 'small', messages: [{ role: 'user', content: prompt }] };
    const outcome = await app.t.gateway.handleBatchLine(
      {
        request: structuredClone(request) as ChatRequest,
        endpoint: 'chat',
        auth: ANONYMOUS,
        headers: {},
        signal: new AbortController().signal,
        requestId: 'req_b3',
      },
      { accepts: () => true, hold: () => {} },
    );
    const carried = (outcome.kind === 'forward' && outcome.line.filterCalls) || [];
    const promptCost = moderationCost(promptText(prompt));
    expect(carried.map((a) => a.costUsd)).toEqual([promptCost]);
    // The runner sends a line as its batch's creator, in process: once plain, once carrying.
    const send = (token: string) =>
      app.t.app.inject({
        method: 'POST',
        url: '/v1/chat/completions',
        headers: { [BATCH_CALLER_HEADER]: token },
        payload: request,
      });
    expect((await send(callers.register(ANONYMOUS))).statusCode).toBe(200);
    const plain = app.t.records.at(-1)!;
    expect((await send(callers.register(ANONYMOUS, undefined, carried))).statusCode).toBe(200);
    const live = app.t.records.at(-1)!;
    expect(live).not.toBe(plain);
    // The live run checked the prompt again (and the answer): the held check comes first.
    expect(filterCalls(live)).toEqual([carried[0], ...filterCalls(plain)]);
    expect(live.costUsd).toBeCloseTo(plain.costUsd + promptCost, 15);
    expect((await summaryAt([live], 'mod'))?.costUsd).toBeCloseTo(
      filterCalls(live).reduce((n, a) => n + (a.costUsd ?? 0), 0),
      15,
    );
    expect(app.settled.at(-1)!.costUsd).toBeCloseTo(live.costUsd, 15);
  });
});
