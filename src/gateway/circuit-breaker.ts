// Per-deployment circuit breakers: open after `failureThreshold` failures within `windowMs`,
// stay open for `openMs`, then half-open: one probe request at a time decides close or re-open.
// The settings are config's (`circuitBreaker`, a deployment's own), read at each failure: a reload
// or an admin change counts failures by the new ones at once (those already in the window still
// count), and a circuit keeps the `openMs` it opened with.
// Also each deployment's cool-down: an upstream that answered 429 and said how long to wait
// (`retry-after`, `retry-after-ms`) is skipped until then, so the next requests go straight to
// the next candidate instead of paying a refused round trip each (capped at a minute); with
// shared state every replica is told (shared-cool-downs.ts).
import { DEFAULT_CIRCUIT_BREAKER } from '../config/circuit-breaker-schema.js';
import type { Clock } from '../core/clock.js';

export type CircuitState = 'closed' | 'open' | 'half-open';

export interface CircuitBreakerOptions {
  failureThreshold: number;
  windowMs: number;
  openMs: number;
}

export const DEFAULT_BREAKER: CircuitBreakerOptions = DEFAULT_CIRCUIT_BREAKER;

/** Fixed settings, or each deployment's as config says now. */
export type BreakerSettings =
  CircuitBreakerOptions | ((deployment: string) => CircuitBreakerOptions);

interface Circuit {
  failures: number[];
  openedAt: number;
  /** How long it stays open: the settings' `openMs` when it opened. */
  openMs: number;
  state: CircuitState;
  probeInFlight: boolean;
}

export type CircuitListener = (deployment: string, state: CircuitState) => void;

/** Told of each cool-down an upstream asked for (epoch ms until), to share it with other replicas. */
export type CoolDownListener = (deployment: string, until: number) => void;

/** The longest an upstream's retry-after may take a deployment out of rotation. */
export const MAX_COOL_DOWN_MS = 60_000;

/**
 * How long an upstream 429 asked to wait, from `retry-after-ms` or `retry-after` (seconds or an
 * HTTP date); undefined when it did not say.
 */
export function retryAfterMs(
  headers: Readonly<Record<string, string>>,
  now: number,
): number | undefined {
  const ms = Number(headers['retry-after-ms']);
  if (headers['retry-after-ms'] !== undefined && Number.isFinite(ms) && ms > 0) return ms;
  const raw = headers['retry-after'];
  if (raw === undefined) return undefined;
  const seconds = Number(raw);
  if (raw.trim() !== '' && Number.isFinite(seconds))
    return seconds > 0 ? seconds * 1000 : undefined;
  const at = Date.parse(raw);
  return Number.isFinite(at) && at > now ? at - now : undefined;
}

export class CircuitBreakers {
  private readonly circuits = new Map<string, Circuit>();
  /** Deployment → epoch ms until which its upstream asked not to be called. */
  private readonly coolingUntil = new Map<string, number>();

  constructor(
    private readonly clock: Clock,
    private readonly options: BreakerSettings = DEFAULT_BREAKER,
    private readonly onChange: CircuitListener = () => {},
    private readonly onCoolDown: CoolDownListener = () => {},
  ) {}

  private circuit(deployment: string): Circuit {
    let c = this.circuits.get(deployment);
    if (!c) {
      c = { failures: [], openedAt: 0, openMs: 0, state: 'closed', probeInFlight: false };
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
    if (c.state === 'open' && this.clock.now() - c.openedAt >= c.openMs) {
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

  /** Mark the start of an attempt (claims the half-open probe); true when it claimed the probe. */
  begin(deployment: string): boolean {
    this.state(deployment);
    const c = this.circuits.get(deployment);
    if (c && c.state === 'half-open') c.probeInFlight = true;
    return c?.state === 'half-open';
  }

  /**
   * A probe that ended saying nothing of the deployment's health (the client left, or the upstream
   * refused the request itself): free the probe so the next request probes, else the circuit
   * would stay half-open and skipped for good.
   */
  abandonProbe(deployment: string): void {
    const c = this.circuits.get(deployment);
    if (c && c.state === 'half-open') c.probeInFlight = false;
  }

  success(deployment: string): void {
    const c = this.circuits.get(deployment);
    if (!c) return;
    c.failures.length = 0;
    c.probeInFlight = false;
    this.transition(deployment, c, 'closed');
  }

  /** The settings `deployment`'s circuit follows now. */
  settings(deployment: string): CircuitBreakerOptions {
    return typeof this.options === 'function' ? this.options(deployment) : this.options;
  }

  failure(deployment: string): void {
    this.state(deployment);
    const c = this.circuit(deployment);
    const now = this.clock.now();
    const settings = this.settings(deployment);
    c.probeInFlight = false;
    if (c.state === 'half-open') {
      c.openedAt = now;
      c.openMs = settings.openMs;
      this.transition(deployment, c, 'open');
      return;
    }
    c.failures.push(now);
    while (c.failures.length && now - (c.failures[0] as number) > settings.windowMs)
      c.failures.shift();
    if (c.failures.length >= settings.failureThreshold) {
      c.openedAt = now;
      c.openMs = settings.openMs;
      c.failures.length = 0;
      this.transition(deployment, c, 'open');
    }
  }

  /**
   * An upstream 429's headers: when they say how long to wait, skip the deployment until then (a
   * minute at most); when they do not, nothing changes.
   */
  coolDownAsAsked(deployment: string, headers: Readonly<Record<string, string>>): void {
    const now = this.clock.now();
    const ms = retryAfterMs(headers, now);
    if (ms === undefined) return;
    const until = now + Math.min(ms, MAX_COOL_DOWN_MS);
    if (this.coolUntil(deployment, until)) this.onCoolDown(deployment, until);
  }

  /**
   * Skip the deployment until `until` (epoch ms; a minute from now at most), as another replica's
   * upstream asked; true when that lengthens its cool-down here.
   */
  coolUntil(deployment: string, until: number): boolean {
    const capped = Math.min(until, this.clock.now() + MAX_COOL_DOWN_MS);
    if (capped <= (this.coolingUntil.get(deployment) ?? this.clock.now())) return false;
    this.coolingUntil.set(deployment, capped);
    return true;
  }

  /** Is the deployment cooling down after an upstream 429? */
  coolingDown(deployment: string): boolean {
    return this.coolingLeftMs(deployment) > 0;
  }

  /** How long the deployment's cool-down has left (0: none). */
  coolingLeftMs(deployment: string): number {
    const until = this.coolingUntil.get(deployment);
    if (until === undefined) return 0;
    const left = until - this.clock.now();
    if (left > 0) return left;
    this.coolingUntil.delete(deployment);
    return 0;
  }

  /** How long the deployment's circuit stays open before it lets a probe through (0: not open). */
  openLeftMs(deployment: string): number {
    const c = this.circuits.get(deployment);
    if (!c || this.state(deployment) !== 'open') return 0;
    return Math.max(0, c.openedAt + c.openMs - this.clock.now());
  }

  /** Deployments cooling down and the seconds each has left, for /readyz. */
  coolingDownSnapshot(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const name of [...this.coolingUntil.keys()]) {
      const left = this.coolingLeftMs(name);
      if (left > 0) out[name] = Math.ceil(left / 1000);
    }
    return out;
  }

  /** Snapshot for /readyz and the dashboard. */
  snapshot(): Record<string, CircuitState> {
    const out: Record<string, CircuitState> = {};
    for (const name of this.circuits.keys()) out[name] = this.state(name);
    return out;
  }
}
