// The upstream part of an embeddings request: callWithFailover (named-failover.ts) over the
// target's members, each attempt an embeddings call whose vectors must be usable: one per input
// sent when the answer cache keeps them by position.
import { GatewayError, invalidRequest } from '../core/errors.js';
import type { DeploymentConfig } from '../config/deployment-schema.js';
import type { EmbeddingsRequest, EmbeddingsResponse } from '../core/wire-types.js';
import type { RequestRecord } from '../store/request-record.js';
import { callEmbeddings, type EmbedReply } from './tracked-call.js';
import { orderedVectors } from './embedding-batch.js';
import type { ChatCall } from './gateway-types.js';
import {
  BilledFailure,
  callWithFailover,
  type NamedFailoverDeps,
  type NamedMembers,
} from './named-failover.js';
import { inputCostUsd, tokenCount } from './cost.js';

export type EmbeddingData = EmbeddingsResponse['data'][number];

/** What the calls need: the gateway's parts (built once per gateway, not per request). */
export type EmbedFailoverDeps = NamedFailoverDeps;

/** The members a request may use and what it sends them. */
export interface EmbedMembers extends NamedMembers {
  sent: EmbeddingsRequest;
  /** Vectors the reply must hold, one per input sent, when the cache keeps them by position. */
  expect: number | undefined;
  /** Some inputs came from the cache: a reply without one vector each cannot be used. */
  partial: boolean;
}

/** The call that served (its attempt in the record): deployment, reply, vectors in order. */
export interface EmbedServed {
  d: DeploymentConfig;
  reply: EmbedReply;
  vectors?: EmbeddingData[];
}

/** The 502 for a reply without one vector per input sent: it cannot be put in order. */
function wrongCount(d: DeploymentConfig, sent: number, response: EmbeddingsResponse): GatewayError {
  return new GatewayError({
    status: 502,
    type: 'server_error',
    code: 'upstream_malformed_response',
    message: `${d.name}: the upstream answered ${response.data.length} vectors for ${sent} inputs.`,
    retryable: true,
  });
}

/** Embeddings from the first member that answers usably; see callWithFailover. */
export async function embedWithFailover(
  deps: EmbedFailoverDeps,
  call: Pick<ChatCall, 'signal' | 'requestId'>,
  members: EmbedMembers,
  record: RequestRecord,
): Promise<EmbedServed> {
  const { d, served } = await callWithFailover(
    deps,
    call,
    members,
    record,
    async (d, adapter, signal, t0) => {
      if (!adapter.embed)
        throw invalidRequest(`${d.name}'s provider serves no embeddings.`, 'model');
      const reply = await callEmbeddings(
        deps,
        adapter,
        {
          deployment: d,
          body: { ...members.sent, model: d.model },
          signal,
          requestId: call.requestId,
        },
        t0,
      );
      // Kept vectors are put together with the upstream's by position: one each, or none.
      const vectors =
        members.expect !== undefined ? orderedVectors(reply.response, members.expect) : undefined;
      // Answered, so billed: what its usage says (else the estimate), counted where it was made.
      if (members.expect !== undefined && !vectors)
        throw new BilledFailure(
          wrongCount(d, members.expect, reply.response),
          inputCostUsd(d, tokenCount(reply.response.usage?.prompt_tokens) ?? members.sentEstimate),
        );
      return { served: { reply, vectors }, model: reply.response.model };
    },
  );
  return { d, ...served };
}
