// A deployment's row in the dashboard's deployments table, from this replica's breakers, load and
// budget view (no round trip: the page refreshes every few seconds).
import type { ConfigHolder } from '../config/runtime-config.js';
import type { CircuitBreakers } from '../gateway/circuit-breaker.js';
import type { DeploymentLoad } from '../gateway/deployment-load.js';
import type { DeploymentBudgets } from '../policy/deployment-budget.js';
import type { DeploymentHealth } from './dashboard-routes.js';

export function deploymentHealth(
  config: ConfigHolder,
  breakers: CircuitBreakers,
  load: DeploymentLoad,
  budgets: DeploymentBudgets,
): (name: string) => DeploymentHealth {
  return (name) => {
    const cooling = breakers.coolingLeftMs(name);
    const d = config.current.deployments.get(name);
    const budget = d ? budgets.lines(d) : [];
    return {
      circuit: breakers.state(name),
      ...(cooling > 0 ? { coolingDownSeconds: Math.ceil(cooling / 1000) } : {}),
      ...load.snapshot(name),
      ...(budget.length ? { budgetUsed: Math.max(...budget.map((l) => l.fraction)) } : {}),
    };
  };
}
