import { describe, expect, it } from 'vitest';
import { prng } from '../src/core/prng.js';
import { DENSE_SIZE } from '../src/routing/features.js';
import {
  FIT_LIMITS,
  batchesOf,
  fitBatch,
  fitPacked,
  type FitTask,
  type PackedRows,
} from './fit-pool.js';
import { minimizeLbfgs } from './lbfgs.js';

/**
 * The straightforward L-BFGS the trainer used until 2026-11-30d (one vector operation per pass,
 * the history in growing arrays): the fused version must take exactly its steps.
 */
function referenceLbfgs(
  f: (x: Float64Array, grad: Float64Array) => number,
  x: Float64Array,
  maxIter: number,
  tol: number,
): number {
  const n = x.length;
  const m = 8;
  const dot = (a: Float64Array, b: Float64Array) => {
    let t = 0;
    for (let i = 0; i < n; i++) t += a[i]! * b[i]!;
    return t;
  };
  const s: Float64Array[] = [];
  const y: Float64Array[] = [];
  const rho: number[] = [];
  const g = new Float64Array(n);
  const gNew = new Float64Array(n);
  const d = new Float64Array(n);
  const xNew = new Float64Array(n);
  const alpha = new Float64Array(m);
  let value = f(x, g);
  for (let iter = 0; iter < maxIter; iter++) {
    if (Math.max(...g.map(Math.abs)) < tol) break;
    for (let i = 0; i < n; i++) d[i] = -g[i]!;
    for (let k = s.length - 1; k >= 0; k--) {
      alpha[k] = rho[k]! * dot(s[k]!, d);
      for (let i = 0; i < n; i++) d[i]! += -alpha[k]! * y[k]![i]!;
    }
    if (s.length > 0) {
      const last = s.length - 1;
      const gamma = dot(s[last]!, y[last]!) / dot(y[last]!, y[last]!);
      for (let i = 0; i < n; i++) d[i]! *= gamma;
    } else {
      const norm = Math.sqrt(dot(g, g));
      for (let i = 0; i < n; i++) d[i]! /= Math.max(1, norm);
    }
    for (let k = 0; k < s.length; k++) {
      const beta = rho[k]! * dot(y[k]!, d);
      for (let i = 0; i < n; i++) d[i]! += (alpha[k]! - beta) * s[k]![i]!;
    }
    const slope = dot(g, d);
    let step = 1;
    let newValue = Infinity;
    for (let tries = 0; tries < 30; tries++) {
      for (let i = 0; i < n; i++) xNew[i] = x[i]! + step * d[i]!;
      newValue = f(xNew, gNew);
      if (newValue <= value + 1e-4 * step * slope) break;
      step /= 2;
    }
    if (!(newValue < value)) break;
    const sk = xNew.map((v, i) => v - x[i]!);
    const yk = gNew.map((v, i) => v - g[i]!);
    const sy = dot(sk, yk);
    if (sy > 1e-12) {
      if (s.length === m) {
        s.shift();
        y.shift();
        rho.shift();
      }
      s.push(sk);
      y.push(yk);
      rho.push(1 / sy);
    }
    x.set(xNew);
    g.set(gNew);
    const improvement = value - newValue;
    value = newValue;
    if (improvement < 1e-10 * Math.max(1, Math.abs(value))) break;
  }
  return value;
}

/**
 * Random rows over `size` hash buckets, of which only the even ones below `size / 2` are used;
 * `zeroShare` of the dense values zero, as many are in training rows (no tools, no system prompt):
 * the fits skip them, and must give what adding them would.
 */
function randomPacked(rows: number, size: number, zeroShare = 0, weighed = false): PackedRows {
  const rand = prng(7);
  const valueRand = prng(11);
  const offsets = new Int32Array(rows + 1);
  const indices: number[] = [];
  for (let r = 0; r < rows; r++) {
    offsets[r] = indices.length;
    const count = 3 + Math.floor(rand() * 10);
    for (let i = 0; i < count; i++) indices.push(2 * Math.floor(rand() * (size / 4)));
  }
  offsets[rows] = indices.length;
  return {
    offsets,
    indices: Int32Array.from(indices),
    // Weighed rows (tf-idf) give each index a value of its own; raw rows give every index 1.
    values: Float64Array.from(indices, () => (weighed ? 0.05 + valueRand() * 0.9 : 1)),
    sparseValue: Float64Array.from({ length: rows }, () => 0.2 + rand() * 0.3),
    dense: Float64Array.from({ length: rows * DENSE_SIZE }, () =>
      zeroShare > 0 && rand() < zeroShare ? 0 : rand() - 0.5,
    ),
  };
}

/** The head objective over every one of `size` buckets, as fitPacked defines it. */
function fullObjective(p: PackedRows, ys: Float64Array, c: number, size: number) {
  const n = ys.length;
  const B = size + DENSE_SIZE;
  const lambda = 1 / (c * n);
  return (w: Float64Array, grad: Float64Array): number => {
    grad.fill(0);
    let loss = 0;
    for (let r = 0; r < n; r++) {
      let sum = 0;
      for (let i = p.offsets[r]!; i < p.offsets[r + 1]!; i++)
        sum += w[p.indices[i]!]! * p.values[i]!;
      let z = w[B]! + sum * p.sparseValue[r]!;
      for (let i = 0; i < DENSE_SIZE; i++) z += w[size + i]! * p.dense[r * DENSE_SIZE + i]!;
      loss += (z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z))) - ys[r]! * z;
      const g = (1 / (1 + Math.exp(-z)) - ys[r]!) / n;
      for (let i = p.offsets[r]!; i < p.offsets[r + 1]!; i++)
        grad[p.indices[i]!]! += g * p.sparseValue[r]! * p.values[i]!;
      for (let i = 0; i < DENSE_SIZE; i++) grad[size + i]! += g * p.dense[r * DENSE_SIZE + i]!;
      grad[B]! += g;
    }
    let reg = 0;
    for (let i = 0; i < B; i++) {
      reg += w[i]! * w[i]!;
      grad[i]! += lambda * w[i]!;
    }
    return loss / n + (lambda / 2) * reg;
  };
}

describe('L-BFGS', () => {
  it('finds the minimum of a convex quadratic', () => {
    const n = 40;
    const target = Float64Array.from({ length: n }, (_, i) => Math.sin(i));
    const f = (x: Float64Array, grad: Float64Array) => {
      let v = 0;
      for (let i = 0; i < n; i++) {
        const w = 1 + i; // curvature 1…40
        v += (w * (x[i]! - target[i]!) ** 2) / 2;
        grad[i] = w * (x[i]! - target[i]!);
      }
      return v;
    };
    const x = new Float64Array(n);
    minimizeLbfgs(f, x, { maxIterations: 500, gradientTolerance: 1e-9 });
    for (let i = 0; i < n; i++) expect(x[i]).toBeCloseTo(target[i]!, 4);
  });

  it('takes the same steps, bit for bit, as the straightforward version (one operation per pass)', () => {
    const size = 256;
    const p = randomPacked(300, size);
    const ys = Float64Array.from({ length: 300 }, (_, r) =>
      r % 3 === 0 ? 1 : r % 3 === 1 ? 0.3 : 0,
    );
    const f = fullObjective(p, ys, 0.5, size);
    const a = new Float64Array(size + DENSE_SIZE + 1);
    const b = new Float64Array(size + DENSE_SIZE + 1);
    const run = minimizeLbfgs(f, a, { maxIterations: 60, gradientTolerance: 1e-12 });
    const vb = referenceLbfgs(f, b, 60, 1e-12);
    expect(run.iterations).toBeGreaterThan(20); // the history of 8 pairs wraps around
    expect(run.value).toBe(vb);
    expect([...a]).toEqual([...b]);
    expect(a.some((v) => v !== 0)).toBe(true);
  });
});

describe('a head fit over the buckets in use', () => {
  it.each([
    ['raw', false],
    ['tf-idf', true],
  ])(
    'gives the same weights, bit for bit, as the fit over every bucket, with zeros elsewhere (%s rows)',
    (_, weighed) => {
      const size = 512;
      const p = randomPacked(400, size, 1 / 3, weighed);
      const rows = Int32Array.from({ length: 200 }, (_, k) => 2 * k); // every other row
      const targets = Float64Array.from(rows, (r) => (r % 4 === 0 ? 1 : 0));
      const task = { rows, targets, c: 0.3, size, bias: -0.4 };
      const out = new Float64Array(size + DENSE_SIZE + 1);
      fitPacked(p, task, out);
      // The same rows, packed on their own, fitted over all `size` buckets.
      const indices: number[] = [];
      const values: number[] = [];
      const offsets = [0];
      for (const r of rows) {
        indices.push(...p.indices.subarray(p.offsets[r]!, p.offsets[r + 1]!));
        values.push(...p.values.subarray(p.offsets[r]!, p.offsets[r + 1]!));
        offsets.push(indices.length);
      }
      const sub: PackedRows = {
        offsets: Int32Array.from(offsets),
        indices: Int32Array.from(indices),
        values: Float64Array.from(values),
        sparseValue: Float64Array.from(rows, (r) => p.sparseValue[r]!),
        dense: Float64Array.from(
          [...rows].flatMap((r) => [...p.dense.subarray(r * DENSE_SIZE, (r + 1) * DENSE_SIZE)]),
        ),
      };
      const full = new Float64Array(size + DENSE_SIZE + 1);
      full[size + DENSE_SIZE] = task.bias;
      minimizeLbfgs(fullObjective(sub, targets, task.c, size), full, FIT_LIMITS);
      expect([...out]).toEqual([...full]);
      // Odd buckets and those of the upper half are never used: zero, and most weights are not.
      expect(out.slice(size / 2, size).every((v) => v === 0)).toBe(true);
      expect(out.slice(0, size / 2).filter((v) => v !== 0).length).toBeGreaterThan(50);
      // A task's own iteration cap stops its fit sooner (the training budget's last step).
      const short = new Float64Array(size + DENSE_SIZE + 1);
      fitPacked(p, { ...task, maxIterations: 3 }, short);
      expect([...short]).not.toEqual([...out]);
      const three = new Float64Array(size + DENSE_SIZE + 1);
      three[size + DENSE_SIZE] = task.bias;
      minimizeLbfgs(fullObjective(sub, targets, task.c, size), three, {
        ...FIT_LIMITS,
        maxIterations: 3,
      });
      expect([...short]).toEqual([...three]);
    },
  );
});

describe('heads fitted in lockstep', () => {
  const size = 512;
  const p = randomPacked(400, size, 1 / 3);
  const rows = Int32Array.from({ length: 300 }, (_, k) => k + 50);
  // Seven heads (four, two and one side by side) with their own targets, C, bias, cap and offsets.
  const tasks: FitTask[] = Array.from({ length: 7 }, (_, h) => ({
    rows,
    targets: Float64Array.from(rows, (r) => ((r * (h + 3)) % 5 < 2 ? 1 : h % 2 ? 0.4 : 0)),
    c: [0.3, 3, 1, 0.1, 10, 0.3, 2][h]!,
    size,
    bias: h / 10 - 0.3,
    ...(h === 3 ? { maxIterations: 4 } : {}),
    ...(h === 5 ? { offsets: Float64Array.from(rows, (r) => Math.sin(r)) } : {}),
  }));
  const solution = () => new Float64Array(size + DENSE_SIZE + 1);

  it.each([
    ['raw', p],
    ['tf-idf', randomPacked(400, size, 1 / 3, true)],
  ])(
    'gives each head the same weights, bit for bit, as fitting it alone (%s rows)',
    (_, rowsOf) => {
      const together = tasks.map(solution);
      fitBatch(rowsOf, tasks, together);
      tasks.forEach((t, h) => {
        const alone = solution();
        fitPacked(rowsOf, t, alone);
        expect([...together[h]!]).toEqual([...alone]);
      });
      // The heads differ from each other and all learned something.
      expect([...together[0]!]).not.toEqual([...together[1]!]);
      expect(together.every((x) => x.some((v) => v !== 0))).toBe(true);
    },
  );

  it('takes only tasks on the same rows', () => {
    const other = { ...tasks[0]!, rows: rows.subarray(1) };
    expect(() => fitBatch(p, [tasks[0]!, other], [solution(), solution()])).toThrow(
      /share their rows/,
    );
  });

  it('shares tasks out in batches: same rows together, at most eight, one or more per thread', () => {
    const same = (n: number) => Array.from({ length: n }, () => tasks[0]!);
    expect(batchesOf(same(9), 2)).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6, 7, 8],
    ]);
    expect(batchesOf(same(20), 2).map((b) => b.length)).toEqual([6, 7, 7]);
    expect(batchesOf(same(2), 4)).toEqual([[0], [1]]);
    // Equal rows in another array go together; other rows or another size do not.
    const copy = { ...tasks[0]!, rows: Int32Array.from(rows) };
    const fewer = { ...tasks[0]!, rows: rows.subarray(1) };
    const bigger = { ...tasks[0]!, size: 1024 };
    expect(batchesOf([tasks[0]!, fewer, copy, bigger], 1)).toEqual([[0, 2], [1], [3]]);
  });
});
