// The forwarder's parts (batch-forwarder.ts): what it asks of the runner, what it is built with,
// and its state of one batch while the batch runs here.
import type { DeploymentConfig } from '../../config/deployment-schema.js';
import type { ConfigHolder } from '../../config/runtime-config.js';
import type {
  AuthContext,
  BatchForwardOffer,
  PlannedBatchLine,
} from '../../gateway/gateway-types.js';
import type { ProviderAdapter } from '../../providers/types.js';
import type { ActiveBatch } from '../active-batch.js';
import type { ForwardDoc, ForwardedLine } from './forward-doc.js';
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
  adapters: { adapterFor(deployment: DeploymentConfig): ProviderAdapter };
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
  lastPolled: Map<string, number>;
  /** Polls of an upstream batch that failed in a row (they are retried with backoff). */
  pollFailures: Map<string, number>;
  /** Upstream work on this batch, one step at a time. */
  work: Promise<void>;
  queued: boolean;
}

/** An offer of one line: `taken` once the gateway held it. */
export type LineOffer = BatchForwardOffer & { taken: boolean };
