// A shared state whose next check-and-consume, once armed, is held in flight until the test
// releases it: a slow shared-state round trip (a Redis far away), caught in the middle with no
// sleeps. Everything else passes straight to the state it wraps.
import type { BucketSpec, SharedState } from '../../src/store/shared-state.js';

export interface HeldState {
  state: SharedState;
  /**
   * Holds the next consume: resolves with its buckets' keys once it is in flight, and with
   * `release` to let it reach the state and answer.
   */
  holdNext(): Promise<{ keys: string[]; release: () => void }>;
}

export function heldState(inner: SharedState): HeldState {
  let armed: ((held: { keys: string[]; release: () => void }) => void) | undefined;
  const consume: SharedState['consume'] = async (
    buckets: readonly BucketSpec[],
    now,
    read,
    pools,
  ) => {
    const arrived = armed;
    armed = undefined;
    if (arrived) {
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      arrived({ keys: buckets.map((b) => b.key), release });
      await gate;
    }
    return inner.consume(buckets, now, read, pools);
  };
  const state = new Proxy(inner, {
    get(target, prop) {
      if (prop === 'consume') return consume;
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return {
    state,
    holdNext: () => new Promise((resolve) => (armed = resolve)),
  };
}
