// The forwarder's parts (batch-forwarder.ts): what it asks of the runner, what it is built with,
// and its state of one batch while the batch runs here.
import type { DeploymentConfig } from '../../config/deployment-schema.js';
import type { ConfigHolder } from '../../config/runtime-config.js';
import type {
  AuthContext,
  BatchForwardOffer,
  PlannedBatchLine,
} from '../../gateway/gateway-types.js';
import type {
  ProviderAdapter,
  ProviderBatchApi,
  ProviderBatchResult,
} from '../../providers/types.js';
import type { ActiveBatch } from '../active-batch.js';
import type { ForwardDoc, ForwardedLine, ForwardGroup } from './forward-doc.js';
import type { ForwardRecordDeps } from './record-forwarded.js';

/** What the forwarder asks of the runner that holds the batch. */
export interface ForwarderHooks {
  /** Keeps a finished line (its output- or error-file line). */
  keep(b: ActiveBatch, line: number, ok: boolean, json: string): void;
  /** Puts lines back to run live (or, in a batch that is ending, to be written as not run). */
  requeue(b: ActiveBatch, lines: number[]): void;
  /** Writes the batch's doc, after the lines kept so far. */
  save(b: ActiveBatch): Promise<void>;
  /** Ends the batch if nothing is left of it. */
  checkEnd(b: ActiveBatch): void;
  /** The batch's completion window is over. */
  expire(b: ActiveBatch): void;
}

export interface ForwarderDeps extends ForwardRecordDeps {
  config: ConfigHolder;
  /** The registry: the current deployments' adapters, and one built for a config no longer current. */
  adapters: {
    adapterFor(deployment: DeploymentConfig): ProviderAdapter;
    buildAdapter(deployment: DeploymentConfig): ProviderAdapter;
  };
  /** The batch's creator as it is now (its spend is settled as its); an error: not settled. */
  callerFor(keyId: string | undefined, owner: string): AuthContext | { error: string };
  log: { warn(msg: string): void; info(msg: string): void };
}

/** A planned line waiting to be submitted. */
export interface Collected {
  planned: PlannedBatchLine;
  meta: ForwardedLine;
  bytes: number;
  /** Epoch ms it was held. */
  at: number;
}

/** A batch with lines here. */
export interface Held {
  b: ActiveBatch;
  doc: ForwardDoc;
  live: Set<number>;
  collected: Map<string, Collected[]>;
  /** The bytes of each deployment's collected lines. */
  collectedBytes: Map<string, number>;
  /** By group key (forward-doc.ts `groupKey`): when its upstream batch was last polled or looked up. */
  lastPolled: Map<string, number>;
  /** Polls (or look-ups) of a group that failed in a row, by group key (retried with backoff). */
  pollFailures: Map<string, number>;
  /**
   * By group key: the deployment config and Batch API a group was submitted (or first read) under
   * on this replica, so a config reload that removes the deployment or its `batchApi` does not
   * stop its upstream batch being read (upstream-apis.ts).
   */
  under: Map<string, UpstreamAt>;
  /** Upstream work on this batch, one step at a time. */
  work: Promise<void>;
  queued: boolean;
}

/** An offer of one line: `taken` once the gateway held it. */
export type LineOffer = BatchForwardOffer & { taken: boolean };

/** Where a group's upstream batch is read: a deployment config and its Batch API. */
export interface UpstreamAt {
  deployment: DeploymentConfig;
  api: ProviderBatchApi;
}

/** What the forwarder's steps (submit, look-up, poll) use of it. */
export interface ForwardSteps {
  readonly deps: ForwarderDeps;
  readonly hooks: ForwarderHooks | undefined;
  /** Lines back to the runner; `live`: never to be forwarded again (they run live). */
  backToRunner(h: Held, lines: readonly ForwardedLine[], live: boolean): void;
  /** An upstream batch ended (or none is known): answers kept, the other lines back. */
  finishGroup(h: Held, group: ForwardGroup, results: readonly ProviderBatchResult[]): Promise<void>;
}
