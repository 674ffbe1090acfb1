import { describe, expect, it } from 'vitest';
import { SemanticIndex, unitVector } from './semantic-index.js';

const unit = (...xs: number[]) => unitVector(xs)!;
const FOREVER = Number.MAX_SAFE_INTEGER;

describe('SemanticIndex', () => {
  it('scales vectors to unit length once, and refuses a zero vector', () => {
    expect([...unit(3, 4)]).toEqual([Math.fround(0.6), Math.fround(0.8)]);
    expect(unitVector([0, 0, 0])).toBeUndefined();
  });

  it('finds the nearest entry by cosine, with its similarity', () => {
    const index = new SemanticIndex(10);
    index.add('p', 'east', unit(1, 0), FOREVER);
    index.add('p', 'north-east', unit(1, 1), FOREVER);
    index.add('p', 'north', unit(0, 1), FOREVER);
    const near = index.nearest('p', unit(2, 1), 0, 0);
    // cos(atan(1/2) - 45°) = 3 / √10 ≈ 0.9487 beats cos(atan(1/2)) = 2 / √5 ≈ 0.8944.
    expect(near?.key).toBe('north-east');
    expect(near?.similarity).toBeCloseTo(3 / Math.sqrt(10), 6);
    expect(index.nearest('p', unit(0, 5), 0, 0)?.key).toBe('north');
  });

  it('never compares entries of another partition', () => {
    const index = new SemanticIndex(10);
    index.add('temperature=0', 'a', unit(1, 0), FOREVER);
    expect(index.nearest('temperature=1', unit(1, 0), 0, 0)).toBeUndefined();
    expect(index.nearest('temperature=0', unit(1, 0), 0, 0)?.key).toBe('a');
    index.add('temperature=1', 'b', unit(0, 1), FOREVER);
    // The best in its own partition, though the other partition holds an exact match.
    expect(index.nearest('temperature=1', unit(1, 0), -1, 0)?.key).toBe('b');
  });

  it('serves at exactly minSimilarity and not above it (inclusive threshold)', () => {
    const index = new SemanticIndex(10);
    index.add('p', 'diagonal', unit(0.5, 0.5, 0.5, 0.5), FOREVER);
    // The dot product with (1, 0, 0, 0) is exactly 0.5 in float32.
    expect(index.nearest('p', unit(1, 0, 0, 0), 0.5, 0)).toEqual({
      key: 'diagonal',
      similarity: 0.5,
    });
    expect(index.nearest('p', unit(1, 0, 0, 0), 0.500001, 0)).toBeUndefined();
  });

  it('keeps at most maxEntries, dropping the least recently used (a hit is a use)', () => {
    const index = new SemanticIndex(2);
    index.add('p', 'a', unit(1, 0, 0), FOREVER);
    index.add('q', 'b', unit(0, 1, 0), FOREVER);
    expect(index.nearest('p', unit(1, 0, 0), 0.9, 0)?.key).toBe('a'); // a is now the newest
    index.add('p', 'c', unit(0, 0, 1), FOREVER);
    expect(index.size).toBe(2);
    expect(index.nearest('q', unit(0, 1, 0), 0.9, 0)).toBeUndefined(); // b was dropped
    expect(index.nearest('p', unit(1, 0, 0), 0.9, 0)?.key).toBe('a');
    index.resize(1);
    expect(index.size).toBe(1);
    expect(index.nearest('p', unit(0, 0, 1), 0.9, 0)).toBeUndefined(); // c, the older, went
  });

  it('replaces the entry of a key added again, and drops entries past their time', () => {
    const index = new SemanticIndex(10);
    index.add('p', 'a', unit(1, 0), 1_000);
    index.add('p', 'a', unit(0, 1), 1_000);
    expect(index.size).toBe(1);
    expect(index.nearest('p', unit(1, 0), 0.5, 999)).toBeUndefined();
    expect(index.nearest('p', unit(0, 1), 0.5, 999)?.key).toBe('a');
    expect(index.nearest('p', unit(0, 1), 0.5, 1_000)).toBeUndefined();
    expect(index.size).toBe(0);
  });

  it('never compares vectors of another length', () => {
    const index = new SemanticIndex(10);
    index.add('p', 'short', unit(1, 0), FOREVER);
    expect(index.nearest('p', unit(1, 0, 0), -1, 0)).toBeUndefined();
  });
});
