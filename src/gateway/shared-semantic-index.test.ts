import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config/load-config.js';
import { ConfigHolder, compileConfig } from '../config/runtime-config.js';
import { createManualClock } from '../core/clock.js';
import { simEmbeddingDeployment, testConfigInput } from '../../test/helpers/test-config.js';
import { SemanticCache, type SemanticCacheDeps } from './semantic-cache.js';
import { unitVector } from './semantic-index.js';
import { createMemoryAffinityStore } from './session-affinity.js';
import {
  decodeEntry,
  decodeVector,
  encodeVector,
  type SemanticIndexFeed,
  type SharedIndexEntry,
} from './shared-semantic-index.js';

describe('shared semantic index entries', () => {
  it('vectors travel as raw little-endian float32s and come back equal', () => {
    const vector = unitVector([0.1, -2, 3.5, 1e-7, 42])!;
    const bytes = encodeVector(vector);
    expect(bytes.length).toBe(20);
    expect(bytes.readFloatLE(4)).toBe(vector[1]);
    // A slice of a bigger buffer, at an offset a Float32Array could not view: still read right.
    const unaligned = Buffer.concat([Buffer.from([7]), bytes]).subarray(1);
    expect(decodeVector(unaligned)).toEqual(vector);
    expect(decodeVector(Buffer.alloc(6))).toBeUndefined();
    expect(decodeVector(Buffer.alloc(0))).toBeUndefined();
  });

  it('an entry that is not whole is skipped', () => {
    const whole = new Map([
      ['p', Buffer.from('part')],
      ['k', Buffer.from('key')],
      ['e', Buffer.from('1000')],
      ['v', encodeVector(unitVector([1, 0])!)],
    ]);
    expect(decodeEntry(whole)).toMatchObject({ partition: 'part', key: 'key', expiresAt: 1000 });
    for (const name of ['p', 'k', 'e', 'v']) {
      const partial = new Map(whole);
      partial.delete(name);
      expect(decodeEntry(partial)).toBeUndefined();
    }
    expect(decodeEntry(new Map([...whole, ['e', Buffer.from('soon')]]))).toBeUndefined();
  });
});

describe("the semantic cache learning other replicas' entries", () => {
  function setup(semantic: Record<string, unknown> = { enabled: true, embeddings: 'embed' }) {
    const input = testConfigInput({ cache: { enabled: true, semantic } });
    input.deployments.push(simEmbeddingDeployment('embed'));
    const config = new ConfigHolder(compileConfig(parseConfig(input, {}).config));
    const clock = createManualClock();
    let learn: (entry: SharedIndexEntry) => void = () => {};
    let forget = () => {};
    let rewinds = 0;
    const feed: SemanticIndexFeed = {
      publish: () => {},
      follow(l, f) {
        learn = l;
        forget = f;
        return { caughtUp: Promise.resolve(), rewind: () => rewinds++, stop: async () => {} };
      },
      clear: async () => {},
      close: async () => {},
    };
    const cache = new SemanticCache({
      config,
      clock,
      semanticFeed: feed,
    } as unknown as SemanticCacheDeps);
    const entry = (key: string, expiresAt: number): SharedIndexEntry => ({
      partition: 'p',
      key,
      vector: unitVector([1, 2, 3])!,
      expiresAt,
    });
    return {
      cache,
      clock,
      learn: (e: SharedIndexEntry) => learn(e),
      forget: () => forget(),
      entry,
      config,
      input,
      rewinds: () => rewinds,
    };
  }

  it('indexes live entries only, up to maxEntries, and none while the feature is off', () => {
    const s = setup({ enabled: true, embeddings: 'embed', maxEntries: 2 });
    const now = s.clock.now();
    s.learn(s.entry('gone', now));
    expect(s.cache.entries).toBe(0);
    for (const key of ['a', 'b', 'c']) s.learn(s.entry(key, now + 60_000));
    expect(s.cache.entries).toBe(2);
    // Turned off: the index is freed and learns nothing; on again, it reads the stream anew.
    const off = { ...s.input, cache: { enabled: true, semantic: { enabled: false } } };
    s.config.apply(parseConfig(off, {}).config);
    expect(s.cache.entries).toBe(0);
    s.learn(s.entry('d', now + 60_000));
    expect(s.cache.entries).toBe(0);
    s.config.apply(parseConfig(s.input, {}).config);
    expect(s.rewinds()).toBe(1);
  });

  it('a clear mark read from the stream drops every vector, then learns again', () => {
    const s = setup();
    const later = s.clock.now() + 60_000;
    for (const key of ['a', 'b']) s.learn(s.entry(key, later));
    expect(s.cache.entries).toBe(2);
    s.forget();
    expect(s.cache.entries).toBe(0);
    s.learn(s.entry('c', later));
    expect(s.cache.entries).toBe(1);
  });
});

describe('the in-process affinity store', () => {
  it('a turn heard late from another replica never overrides a later one', () => {
    let now = 1_000;
    const store = createMemoryAffinityStore(10, 60_000, () => now);
    store.remember('s', 'big');
    store.rememberAt('s', 'small', 500);
    expect(store.lookup('s')).toBe('big');
    store.rememberAt('s', 'small', 1_500);
    expect(store.lookup('s')).toBe('small');
    // Its time counts from when it was served, not when it was heard.
    now = 1_500 + 60_001;
    expect(store.lookup('s')).toBeUndefined();
  });
});
