// Per-deployment circuit breakers: open after `failureThreshold` failures within `windowMs`,
// stay open for `openMs`, then half-open: one probe request at a time decides close or re-open.
import type { Clock } from '../core/clock.js';

export type CircuitState = 'closed' | 'open' | 'half-open';

export interface CircuitBreakerOptions {
  failureThreshold: number;
  windowMs: number;
  openMs: number;
}

export const DEFAULT_BREAKER: CircuitBreakerOptions = {
  failureThreshold: 5,
  windowMs: 30_000,
  openMs: 15_000,
};

interface Circuit {
  failures: number[];
  openedAt: number;
  state: CircuitState;
  probeInFlight: boolean;
}

export type CircuitListener = (deployment: string, state: CircuitState) => void;

export class CircuitBreakers {
  private readonly circuits = new Map<string, Circuit>();

  constructor(
    private readonly clock: Clock,
    private readonly options: CircuitBreakerOptions = DEFAULT_BREAKER,
    private readonly onChange: CircuitListener = () => {},
  ) {}

  private circuit(deployment: string): Circuit {
    let c = this.circuits.get(deployment);
    if (!c) {
      c = { failures: [], openedAt: 0, state: 'closed', probeInFlight: false };
      this.circuits.set(deployment, c);
    }
    return c;
  }

  private transition(deployment: string, c: Circuit, state: CircuitState): void {
    if (c.state === state) return;
    c.state = state;
    this.onChange(deployment, state);
  }

  /** Current state, moving open → half-open once the open period has passed. */
  state(deployment: string): CircuitState {
    const c = this.circuits.get(deployment);
    if (!c) return 'closed';
    if (c.state === 'open' && this.clock.now() - c.openedAt >= this.options.openMs) {
      this.transition(deployment, c, 'half-open');
      c.probeInFlight = false;
    }
    return c.state;
  }

  /** May a request go to this deployment now? Half-open admits one probe at a time. */
  allows(deployment: string): boolean {
    const s = this.state(deployment);
    if (s === 'closed') return true;
    if (s === 'open') return false;
    return !this.circuit(deployment).probeInFlight;
  }

  /** Mark the start of an attempt (claims the half-open probe). */
  begin(deployment: string): void {
    this.state(deployment);
    const c = this.circuits.get(deployment);
    if (c && c.state === 'half-open') c.probeInFlight = true;
  }

  success(deployment: string): void {
    const c = this.circuits.get(deployment);
    if (!c) return;
    c.failures.length = 0;
    c.probeInFlight = false;
    this.transition(deployment, c, 'closed');
  }

  failure(deployment: string): void {
    this.state(deployment);
    const c = this.circuit(deployment);
    const now = this.clock.now();
    c.probeInFlight = false;
    if (c.state === 'half-open') {
      c.openedAt = now;
      this.transition(deployment, c, 'open');
      return;
    }
    c.failures.push(now);
    while (c.failures.length && now - (c.failures[0] as number) > this.options.windowMs)
      c.failures.shift();
    if (c.failures.length >= this.options.failureThreshold) {
      c.openedAt = now;
      c.failures.length = 0;
      this.transition(deployment, c, 'open');
    }
  }

  /** Snapshot for /readyz and the dashboard. */
  snapshot(): Record<string, CircuitState> {
    const out: Record<string, CircuitState> = {};
    for (const name of this.circuits.keys()) out[name] = this.state(name);
    return out;
  }
}
