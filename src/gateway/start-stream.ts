// Opening an attempt's stream: "peek before commit". The first chunk that says something must
// arrive under the first-token deadline before executeWithFailover (execute-with-failover.ts)
// commits to the deployment; after it, every read is watched by the idle deadline.
import type { DeploymentConfig } from '../config/deployment-schema.js';
import type { Clock } from '../core/clock.js';
import { GatewayError } from '../core/errors.js';
import { RAW_JSON, type ChatChunk } from '../core/wire-types.js';
import type { ProviderAdapter } from '../providers/types.js';
import type { RequestTiming } from './request-timing.js';
import { watchedReads } from './watched-reads.js';
import { timeoutError, withTimeout } from './with-timeout.js';

/**
 * Calls the upstream's stream and waits for its first chunk that says something (the ones that
 * say nothing before it are held and replayed by `next`); an upstream that ends or stalls first
 * fails the attempt, which the caller may fail over. The reads after it count their waits in
 * `timing` (the caller counts the wait for the first chunk).
 */
export async function startStream(
  adapter: ProviderAdapter,
  upstream: Parameters<ProviderAdapter['chatStream']>[0],
  deployment: DeploymentConfig,
  controller: AbortController,
  clock: Clock,
  timing?: RequestTiming,
) {
  const deadline = () =>
    timeoutError(
      deployment,
      'first_token_timeout',
      `no first token within ${deployment.firstTokenTimeoutMs} ms`,
    );
  const stream = await withTimeout(
    adapter.chatStream(upstream),
    deployment.firstTokenTimeoutMs,
    controller,
    deadline,
  );
  const iterator = stream.chunks[Symbol.asyncIterator]();
  const startedAt = clock.perfNow();
  // The first token is the first chunk that says something: chunks that carry nothing yet (the
  // role chunk OpenAI-format servers open with, Claude's `message_start`, Azure's prompt filter
  // results) are held, under the same deadline, so an upstream that opens and then fails or
  // stalls is failed over before the client has a byte (providers audit F1, 2026-12-06).
  const held: ChatChunk[] = [];
  let first = await withTimeout(
    iterator.next(),
    deployment.firstTokenTimeoutMs,
    controller,
    deadline,
  );
  while (!first.done && held.length < MAX_HELD_CHUNKS && saysNothing(first.value)) {
    held.push(first.value);
    const left = deployment.firstTokenTimeoutMs - (clock.perfNow() - startedAt);
    first = await withTimeout(iterator.next(), Math.max(1, left), controller, deadline);
  }
  // A stream that ends before it said anything answered nothing: the next deployment may.
  if (first.done) throw emptyStream(deployment);
  const firstChunkAt = clock.perfNow();
  const queue = held.length ? [...held.slice(1), first.value] : [];
  const firstChunk = held[0] ?? first.value;
  const model = firstChunk?.model || first.value?.model || deployment.model;
  const reads = watchedReads(
    iterator,
    deployment.streamIdleTimeoutMs ?? DEFAULT_STREAM_IDLE_TIMEOUT_MS,
    controller,
    () =>
      timeoutError(
        deployment,
        'stream_idle_timeout',
        `no stream chunk for ${deployment.streamIdleTimeoutMs ?? DEFAULT_STREAM_IDLE_TIMEOUT_MS} ms after the last one`,
      ),
    timing,
  );
  return {
    first: firstChunk,
    firstChunkAt,
    model,
    upstreamHeaders: stream.headers,
    next: queue.length
      ? () =>
          queue.length
            ? Promise.resolve({ done: false as const, value: queue.shift()! })
            : reads.next()
      : reads.next,
    reads,
  };
}

/** Chunks held back while they say nothing, at most (a stream of only those is cut short). */
const MAX_HELD_CHUNKS = 16;

/**
 * A chunk with nothing of the answer in it: no text, tool call, refusal, reasoning or audio, no
 * finish reason, no usage or error. A pass-through chunk (a plain delta after the first, its text
 * unread) counts as saying something.
 */
function saysNothing(chunk: ChatChunk): boolean {
  if (RAW_JSON in chunk || chunk.usage || 'error' in chunk) return false;
  return chunk.choices.every((c) => {
    if (c.finish_reason) return false;
    const delta = (c.delta ?? {}) as Record<string, unknown>;
    return Object.entries(delta).every(
      ([k, v]) =>
        k === 'role' ||
        v === null ||
        v === undefined ||
        v === '' ||
        (Array.isArray(v) && v.length === 0),
    );
  });
}

/** A deployment built without the schema's defaults (tests) still has an idle deadline. */
const DEFAULT_STREAM_IDLE_TIMEOUT_MS = 120_000;

function emptyStream(deployment: DeploymentConfig): GatewayError {
  return new GatewayError({
    status: 502,
    type: 'server_error',
    code: 'upstream_empty_stream',
    message: `Deployment ${deployment.name}: the upstream ended its stream without a chunk.`,
    retryable: true,
  });
}
