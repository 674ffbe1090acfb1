// The order in which a pool's eligible members are tried: the first serves, the others are its
// fallbacks. `priority` keeps the configured order (spillover from provisioned to pay-as-you-go
// capacity), `round-robin` takes turns per replica, `weighted` draws members at random in
// proportion to their weights, without replacement, so the fallbacks are weighted too; members of
// weight 0 come last, in their configured order (fallbacks only).
import type { PoolConfig } from '../config/schema.js';
import type { DeploymentConfig } from '../config/deployment-schema.js';

export class PoolBalancer {
  private readonly turns = new Map<string, number>();

  /** `random` in [0, 1): Math.random, or a seeded generator in tests. */
  constructor(private readonly random: () => number = Math.random) {}

  /** `eligible` in the pool's configured order; returns the order to try them in. */
  order(pool: PoolConfig, eligible: readonly DeploymentConfig[]): DeploymentConfig[] {
    if (eligible.length < 2 || pool.strategy === 'priority') return [...eligible];
    if (pool.strategy === 'round-robin') {
      const turn = this.turns.get(pool.name) ?? 0;
      // Bounded: the turn wraps at a number every member count divides into often enough.
      this.turns.set(pool.name, (turn + 1) % 1_000_000);
      const start = turn % eligible.length;
      return [...eligible.slice(start), ...eligible.slice(0, start)];
    }
    const weightOf = (d: DeploymentConfig) => pool.weights?.[d.name] ?? 1;
    const left = eligible.filter((d) => weightOf(d) > 0);
    const out: DeploymentConfig[] = [];
    while (left.length > 0) {
      const total = left.reduce((s, d) => s + weightOf(d), 0);
      let r = this.random() * total;
      let i = 0;
      while (i < left.length - 1 && r >= weightOf(left[i]!)) r -= weightOf(left[i++]!);
      out.push(...left.splice(i, 1));
    }
    return [...out, ...eligible.filter((d) => weightOf(d) === 0)];
  }
}
