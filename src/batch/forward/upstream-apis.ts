// Which Batch API a forwarded group's upstream batch is read at. A config hot reload may remove
// the deployment, turn its `batchApi` off, or point it elsewhere while its upstream batches run;
// sending their lines live then would pay for them twice. So a group is read, in this order:
// with the config and Batch API it was submitted (or first read) under on this replica; else
// (another replica took the batch over) through the current deployment of that name if it is at
// the same upstream account (provider, base URL, key variable), with or without `batchApi`;
// else nowhere: its lines wait (never live) until such a deployment is back, or the batch is
// cancelled or expires and they end unrun.
import type { DeploymentConfig } from '../../config/deployment-schema.js';
import type { ProviderBatchApi } from '../../providers/types.js';
import { groupKey, type ForwardGroup } from './forward-doc.js';
import type { ForwarderDeps, Held, UpstreamAt } from './forwarder-types.js';

/** The upstream account of `d`'s batches, with no secret: provider, base URL, key variable. */
export function upstreamAccount(d: DeploymentConfig): string {
  return [d.provider, (d.baseUrl ?? '').replace(/\/+$/, ''), d.apiKeyEnv ?? ''].join(' ');
}

/** The Batch API new lines may go to: the current deployment's, when its `batchApi` is on. */
export function batchApiFor(
  deps: Pick<ForwarderDeps, 'adapters'>,
  d: DeploymentConfig | undefined,
): ProviderBatchApi | undefined {
  if (!d?.batchApi?.enabled) return undefined;
  return deps.adapters.adapterFor(d).batchApi;
}

/** Finds where groups' upstream batches are read; one per forwarder. */
export class UpstreamApis {
  /** Batch APIs built for configs whose `batchApi` is off (reading only), per config snapshot. */
  private readonly readers = new WeakMap<DeploymentConfig, UpstreamAt>();

  constructor(private readonly deps: Pick<ForwarderDeps, 'adapters' | 'config'>) {}

  /** Where `group`'s upstream batch is read (then remembered for it), or undefined: nowhere known. */
  of(h: Held, group: ForwardGroup): UpstreamAt | undefined {
    const key = groupKey(group);
    const known = h.under.get(key);
    if (known) return known;
    const current = this.deps.config.current.deployments.get(group.deployment);
    if (!current) return undefined;
    if (group.account !== undefined && upstreamAccount(current) !== group.account) return undefined;
    const at = this.readerFor(current);
    if (at) h.under.set(key, at);
    return at;
  }

  private readerFor(d: DeploymentConfig): UpstreamAt | undefined {
    const on = batchApiFor(this.deps, d);
    if (on) return { deployment: d, api: on };
    let hit = this.readers.get(d);
    if (!hit) {
      // Its batches were made at the default discount unless its config still says otherwise.
      const deployment: DeploymentConfig = {
        ...d,
        batchApi: { completesAfterMs: 5_000, discount: 0.5, ...d.batchApi, enabled: true },
      };
      const api = this.deps.adapters.buildAdapter(deployment).batchApi;
      if (!api) return undefined;
      hit = { deployment, api };
      this.readers.set(d, hit);
    }
    return hit;
  }
}
