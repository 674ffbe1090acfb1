// The order in which a pool's eligible members are tried: the first serves, the others are its
// fallbacks. `priority` keeps the configured order (spillover from provisioned to pay-as-you-go
// capacity), `round-robin` takes turns per replica, `weighted` draws members at random in
// proportion to their weights, without replacement, so the fallbacks are weighted too;
// `least-busy` puts the members with the fewest calls in flight first and `latency` the ones
// that have answered fastest lately (both as this replica sees them, ties drawn by weight).
// Members of weight 0 come last, in their configured order (fallbacks only).
import type { PoolConfig } from '../config/schema.js';
import type { DeploymentConfig } from '../config/deployment-schema.js';
import type { DeploymentLoad } from './deployment-load.js';

export class PoolBalancer {
  private readonly turns = new Map<string, number>();

  /** `random` in [0, 1): Math.random, or a seeded generator in tests. */
  constructor(
    private readonly load: DeploymentLoad,
    private readonly random: () => number = Math.random,
  ) {}

  /**
   * `eligible` in the pool's configured order; returns the order to try them in. `streaming`
   * says which latency `latency` compares: to the first token, or to the whole answer.
   */
  order(
    pool: PoolConfig,
    eligible: readonly DeploymentConfig[],
    streaming = false,
  ): DeploymentConfig[] {
    if (eligible.length < 2 || pool.strategy === 'priority') return [...eligible];
    if (pool.strategy === 'round-robin') {
      const turn = this.turns.get(pool.name) ?? 0;
      // Bounded: the turn wraps at a number every member count divides into often enough.
      this.turns.set(pool.name, (turn + 1) % 1_000_000);
      const start = turn % eligible.length;
      return [...eligible.slice(start), ...eligible.slice(0, start)];
    }
    const weightOf = (d: DeploymentConfig) => pool.weights?.[d.name] ?? 1;
    const active = this.drawByWeight(
      eligible.filter((d) => weightOf(d) > 0),
      weightOf,
    );
    const standby = eligible.filter((d) => weightOf(d) === 0);
    if (pool.strategy === 'least-busy') {
      // A stable sort: members equally busy stay in their weighted draw.
      const busy = (d: DeploymentConfig) => this.load.inFlight(d.name);
      return [...active.sort((a, b) => busy(a) - busy(b)), ...standby];
    }
    if (pool.strategy === 'latency')
      return [
        ...this.byLatency(active, streaming ? 'firstToken' : 'answer', pool.latencyTolerance),
        ...standby,
      ];
    return [...active, ...standby];
  }

  /** Members at random in proportion to their weights, without replacement. */
  private drawByWeight(
    members: DeploymentConfig[],
    weightOf: (d: DeploymentConfig) => number,
  ): DeploymentConfig[] {
    const out: DeploymentConfig[] = [];
    while (members.length > 0) {
      const total = members.reduce((s, d) => s + weightOf(d), 0);
      let r = this.random() * total;
      let i = 0;
      while (i < members.length - 1 && r >= weightOf(members[i]!)) r -= weightOf(members[i++]!);
      out.push(...members.splice(i, 1));
    }
    return out;
  }

  /**
   * Fastest first: a member with no recent latency and nothing in flight is tried first (so a
   * new member, or one slow a minute ago, is measured again, one call at a time); then the
   * members within `tolerance` of the fastest, in their weighted draw (so near-equals share the
   * traffic instead of the fastest taking all of it); then the slower ones, fastest first; last,
   * unmeasured members whose first call is still in flight.
   */
  private byLatency(
    members: DeploymentConfig[],
    kind: 'firstToken' | 'answer',
    tolerance: number,
  ): DeploymentConfig[] {
    const latency = new Map(members.map((d) => [d, this.load.latencyMs(d.name, kind)]));
    const measured = members.filter((d) => latency.get(d) !== undefined);
    const unmeasured = members.filter((d) => latency.get(d) === undefined);
    const probing = (d: DeploymentConfig) => this.load.inFlight(d.name) > 0;
    const fastest = Math.min(...measured.map((d) => latency.get(d)!));
    const near = measured.filter((d) => latency.get(d)! <= fastest * (1 + tolerance));
    const slower = measured
      .filter((d) => latency.get(d)! > fastest * (1 + tolerance))
      .sort((a, b) => latency.get(a)! - latency.get(b)!);
    return [
      ...unmeasured.filter((d) => !probing(d)),
      ...near,
      ...slower,
      ...unmeasured.filter(probing),
    ];
  }
}
