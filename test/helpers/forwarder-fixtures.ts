// The forwarder's test bench (batch/forward tests): a config with deployments that have a Batch
// API, a batch over an in-memory store, a fake upstream Batch API whose `state` answers each poll,
// and a runner whose sender stands in for the gateway (it holds every line offered for a
// deployment with `batchApi`; anything else answers live).
import { parseConfig } from '../../src/config/load-config.js';
import { compileConfig, ConfigHolder } from '../../src/config/runtime-config.js';
import { systemClock, type Clock } from '../../src/core/clock.js';
import { ANONYMOUS, type GatewayPolicies } from '../../src/gateway/gateway-types.js';
import type {
  ProviderAdapter,
  ProviderBatchLine,
  ProviderBatchState,
  UpstreamBatchTag,
} from '../../src/providers/types.js';
import type { BatchStore } from '../../src/store/batch-store.js';
import type { AttemptRecord, RequestRecord } from '../../src/store/request-record.js';
import type { BatchLine } from '../../src/batch/batch-input.js';
import type { LineBatch } from '../../src/batch/batch-runner-deps.js';
import { BatchRunner } from '../../src/batch/batch-runner.js';
import { BatchForwarder } from '../../src/batch/forward/batch-forwarder.js';
import { createTestBatch } from './batch-fixtures.js';
import { simDeployment } from './test-config.js';
import { WAIT_TIMEOUT_MS } from './wait-for.js';

export const OWNER = 'acme';
/** The bench's config input: `gpt` (half price), `gpt2` (2 lines an upstream batch), `other`. */
export function configInput(batches: Record<string, unknown> = {}) {
  return {
    deployments: [
      simDeployment('gpt', {
        prices: { inputPer1M: 1, outputPer1M: 2 },
        batchApi: { discount: 0.5 },
      }),
      simDeployment('gpt2', { batchApi: { maxLines: 2 } }),
      simDeployment('other'),
    ],
    batches: { forward: 'when-available', forwardPollMs: 50, ...batches },
  };
}
export const config = parseConfig(configInput(), {}).config;
export const configHolder = new ConfigHolder(compileConfig(config));
/** A config holder of its own (a test may reload it), with `batches` overrides. */
export const holderWith = (batches: Record<string, unknown> = {}) =>
  new ConfigHolder(compileConfig(parseConfig(configInput(batches), {}).config));

/** A batch `batch_1` over one line per model (`r0`, `r1`…), on `endpoint` (chat by default). */
export async function setUp(
  store: BatchStore,
  models: string[],
  expiresAt = Date.now() + 60_000,
  endpoint = '/v1/chat/completions',
) {
  const content = Buffer.from(
    models
      .map((model, i) =>
        JSON.stringify({
          custom_id: `r${i}`,
          method: 'POST',
          url: endpoint,
          body: { model, messages: [{ role: 'user', content: `q${i}` }] },
        }),
      )
      .join('\n'),
  );
  await store.putFile(
    { id: 'file-in', owner: OWNER, purpose: 'batch', filename: 'in.jsonl', bytes: 1, createdAt: 1 },
    content,
  );
  await createTestBatch(store, { id: 'batch_1', owner: OWNER, expiresAt, endpoint });
}

/**
 * A fake upstream Batch API: `state` answers each poll. `submitError(n)`, for the n-th submit (from
 * 0): the error it throws, and whether the upstream made the batch anyway (an unknown outcome).
 * `find` finds a batch it made by the tag's group id (as OpenAI's metadata does).
 */
export function fakeUpstream(
  state: (id: string, lines: readonly ProviderBatchLine[]) => ProviderBatchState,
  opts: { submitError?: (n: number) => { error: Error; created: boolean } | undefined } = {},
) {
  const submitted: ProviderBatchLine[][] = [];
  const tags: UpstreamBatchTag[] = [];
  const cancelled: string[] = [];
  let polls = 0;
  let submits = 0;
  let finds = 0;
  const api = {
    submit: (lines: readonly ProviderBatchLine[], tag: UpstreamBatchTag) => {
      const n = submits++;
      const fail = opts.submitError?.(n);
      if (!fail || fail.created) {
        submitted.push([...lines]);
        tags.push(tag);
      }
      if (fail) return Promise.reject(fail.error);
      return Promise.resolve(`up_${submitted.length}`);
    },
    find: (tag: UpstreamBatchTag) => {
      finds++;
      const i = tags.findIndex((t) => t.groupId === tag.groupId);
      return Promise.resolve(i >= 0 ? `up_${i + 1}` : undefined);
    },
    poll: (id: string) => {
      polls++;
      return Promise.resolve(state(id, submitted[Number(id.slice(3)) - 1]!));
    },
    cancel: (id: string) => {
      cancelled.push(id);
      return Promise.resolve();
    },
  };
  return {
    api,
    submitted,
    tags,
    cancelled,
    polls: () => polls,
    submits: () => submits,
    finds: () => finds,
  };
}

/** Line `n`'s custom_id in an upstream batch's `lines` (`<group>-line-<n>`). */
export const lineId = (lines: readonly ProviderBatchLine[], n: number): string =>
  lines.find((l) => l.customId.endsWith(`-line-${n}`))!.customId;

/** `line-<n>` for a custom_id `<group>-line-<n>`. */
export const shortId = (customId: string): string => customId.replace(/^.*-line-/, 'line-');

export const answer = (customId: string, status = 200) => ({
  customId,
  status,
  body:
    status === 200
      ? {
          model: 'gpt-up-2025',
          choices: [{ index: 0, message: { role: 'assistant', content: `a ${customId}` } }],
          usage: { prompt_tokens: 100, completion_tokens: 50, total_tokens: 150 },
        }
      : { error: { message: 'boom' } },
});

export function runnerWith(
  store: BatchStore,
  upstream: ReturnType<typeof fakeUpstream>['api'],
  records: RequestRecord[],
  live: string[],
  policies?: GatewayPolicies,
  clock: Clock = systemClock,
  holder: ConfigHolder = configHolder,
  gatewayPart: {
    /** The content filter's calls on each held line's prompt (PlannedBatchLine.filterCalls). */
    heldFilterCalls?: (customId: string) => AttemptRecord[];
    /** Told of each line sent, with what its batch gave the send. */
    onSend?: (customId: string, batch: LineBatch) => void;
  } = {},
) {
  const adapter = { batchApi: upstream } as unknown as ProviderAdapter;
  const forwarder = new BatchForwarder({
    ...(policies ? { policies } : {}),
    config: holder,
    clock,
    recorder: { record: (r) => void records.push(r) },
    adapters: { adapterFor: () => adapter, buildAdapter: () => adapter },
    callerFor: () => ANONYMOUS,
    log: { warn: () => {}, info: () => {} },
  });
  // The gateway's part: a line for gpt with an offer is held; anything else answers live.
  const send = (line: BatchLine, requestId: string, batch: LineBatch) => {
    const model = line.body.model as string;
    const d = holder.current.deployments.get(model)!;
    gatewayPart.onSend?.(line.customId, batch);
    if (batch.forward?.accepts(d)) {
      const filterCalls = gatewayPart.heldFilterCalls?.(line.customId);
      batch.forward.hold({
        deployment: d,
        body: { model: 'gpt-up', messages: line.body.messages as never },
        promptTokens: 90,
        top: d,
        tags: ['batch', `batch:${batch.id}`],
        ...(filterCalls ? { filterCalls } : {}),
      });
      return Promise.resolve({ status: 202, headers: {}, body: '{}' });
    }
    live.push(line.customId);
    return Promise.resolve({
      status: 200,
      headers: {},
      body: JSON.stringify({
        model: `${model}-live`,
        usage: { prompt_tokens: 1, completion_tokens: 1 },
      }),
    });
  };
  const runner = new BatchRunner({
    store,
    clock,
    settings: () => ({
      concurrency: 2,
      maxActive: 4,
      maxAttempts: 3,
      maxRequests: 1_000,
      pollIntervalMs: 50,
    }),
    callerFor: () => ANONYMOUS,
    send: (line, _auth, requestId, batch) => send(line, requestId, batch),
    log: { warn: () => {}, info: () => {} },
    leaseMs: 600,
    retryBaseMs: 5,
    forwarder,
  });
  return Object.assign(runner, { forwarder });
}

export async function until<T>(
  what: () => Promise<T | undefined> | T | undefined,
  ms = WAIT_TIMEOUT_MS,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await what();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

export const fileLines = async (store: BatchStore, id: unknown) =>
  (await store.getFileContent(id as string, OWNER))!
    .toString()
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
