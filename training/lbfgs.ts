// Limited-memory BFGS (two-loop recursion, backtracking Armijo line search) for the small smooth
// problems training solves: one L2-regularised logistic regression per model over the hashed
// features, solved on the whole batch to a gradient tolerance instead of a few stochastic epochs.

export interface LbfgsOptions {
  maxIterations?: number;
  /** Pairs of the curvature history kept. */
  memory?: number;
  /** Stop when the gradient's largest component is below this. */
  gradientTolerance?: number;
}

/**
 * Minimises `f` (which writes every component of its gradient into `grad`, a reused buffer, and
 * returns the value) from `x0` in place: `lbfgsSteps` with each point evaluated as it is asked for.
 */
export function minimizeLbfgs(
  f: (x: Float64Array, grad: Float64Array) => number,
  x0: Float64Array,
  opts: LbfgsOptions = {},
): { value: number; iterations: number } {
  const steps = lbfgsSteps(x0, opts);
  for (let next = steps.next(); ;) {
    if (next.done) return next.value;
    const { x, grad } = next.value;
    next = steps.next(f(x, grad));
  }
}

/** A point L-BFGS asks to have evaluated: write the gradient into `grad`, pass the value back. */
export interface Evaluation {
  x: Float64Array;
  grad: Float64Array;
}

/**
 * L-BFGS from `x0` (in place) as a generator: it yields each point whose value and gradient it
 * needs and is resumed with the value, so a caller can evaluate the points of several fits in one
 * pass over their shared rows (`fit-pool.ts`) — each fit's arithmetic is the same as alone.
 * Each pass over the vectors does all the work that can share it (the two-loop recursion's update
 * with the next dot product, the new pair with its dot products), in the same order as one
 * operation per pass would, so the result is the same bit for bit with less memory traffic.
 * `workspaceSlot` names the workspace its vectors come from: fits running side by side need
 * different ones.
 */
export function* lbfgsSteps(
  x0: Float64Array,
  opts: LbfgsOptions = {},
  workspaceSlot = 0,
): Generator<Evaluation, { value: number; iterations: number }, number> {
  const n = x0.length;
  const m = opts.memory ?? 8;
  const maxIter = opts.maxIterations ?? 200;
  const tol = opts.gradientTolerance ?? 1e-6;
  // Every vector is written before it is read, so they come from this thread's workspace, kept
  // from one fit to the next: neither an iteration nor a fit allocates (a 2^16 head needs 12 MB
  // of vectors, which would otherwise be garbage after every fit).
  const [x1, x2, g1, g2, dv, sv, yv, ...ring] = workspace(n, 7 + 2 * m, workspaceSlot);
  // The curvature pairs, oldest first: `pairs` of them, the oldest in slot `first` of a ring.
  const s = ring.slice(0, m);
  const y = ring.slice(m);
  const rho = new Float64Array(m);
  /** sᵀy / yᵀy of each pair: the initial Hessian scale when it is the newest. */
  const gammas = new Float64Array(m);
  let first = 0;
  let pairs = 0;
  const slot = (k: number) => (first + k) % m;
  let x = x1!;
  x.set(x0);
  let xNew = x2!;
  let g = g1!;
  let gNew = g2!;
  const d = dv!;
  let sk = sv!;
  let yk = yv!;
  const alpha = new Float64Array(m);
  let value = yield { x, grad: g };
  let iter = 0;
  for (; iter < maxIter; iter++) {
    // d = −g, the largest gradient component, and the first dot product the recursion needs.
    // (With no pairs yet, that is gᵀg, for steepest descent's length.)
    let gMax = 0;
    let t = 0;
    if (pairs > 0) {
      const top = s[slot(pairs - 1)]!;
      for (let i = 0; i < n; i++) {
        const gi = g[i]!;
        gMax = Math.max(gMax, Math.abs(gi));
        d[i] = -gi;
        t += top[i]! * -gi;
      }
    } else
      for (let i = 0; i < n; i++) {
        const gi = g[i]!;
        gMax = Math.max(gMax, Math.abs(gi));
        d[i] = -gi;
        t += gi * gi;
      }
    if (gMax < tol) break;
    let slope: number;
    if (pairs === 0) {
      // Steepest descent, scaled to at most unit length.
      const scale = Math.max(1, Math.sqrt(t));
      slope = 0;
      for (let i = 0; i < n; i++) {
        d[i]! /= scale;
        slope += g[i]! * d[i]!;
      }
    } else {
      // Two-loop recursion, d = −H·g: each update of d carries the next pair's dot product.
      for (let k = pairs - 1; k >= 0; k--) {
        const j = slot(k);
        alpha[k] = rho[j]! * t;
        const a = -alpha[k]!;
        const yj = y[j]!;
        t = 0;
        if (k > 0) {
          const next = s[slot(k - 1)]!;
          for (let i = 0; i < n; i++) {
            d[i]! += a * yj[i]!;
            t += next[i]! * d[i]!;
          }
        } else for (let i = 0; i < n; i++) d[i]! += a * yj[i]!;
      }
      const gamma = gammas[slot(pairs - 1)]!;
      const y0 = y[slot(0)]!;
      t = 0;
      for (let i = 0; i < n; i++) {
        d[i]! *= gamma;
        t += y0[i]! * d[i]!;
      }
      slope = 0;
      for (let k = 0; k < pairs; k++) {
        const j = slot(k);
        const beta = rho[j]! * t;
        const a = alpha[k]! - beta;
        const sj = s[j]!;
        t = 0;
        if (k < pairs - 1) {
          const next = y[slot(k + 1)]!;
          for (let i = 0; i < n; i++) {
            d[i]! += a * sj[i]!;
            t += next[i]! * d[i]!;
          }
        } else
          for (let i = 0; i < n; i++) {
            d[i]! += a * sj[i]!;
            slope += g[i]! * d[i]!;
          }
      }
    }
    if (slope >= 0) {
      // Not a descent direction (numerical trouble): restart from steepest descent.
      pairs = 0;
      slope = 0;
      for (let i = 0; i < n; i++) d[i] = -g[i]!;
      for (let i = 0; i < n; i++) slope += g[i]! * d[i]!;
    }
    let step = 1;
    let newValue = Infinity;
    for (let tries = 0; tries < 30; tries++) {
      for (let i = 0; i < n; i++) xNew[i] = x[i]! + step * d[i]!;
      newValue = yield { x: xNew, grad: gNew };
      if (newValue <= value + 1e-4 * step * slope) break;
      step /= 2;
    }
    if (!(newValue < value)) break;
    let sy = 0;
    let yy = 0;
    for (let i = 0; i < n; i++) {
      const si = xNew[i]! - x[i]!;
      const yi = gNew[i]! - g[i]!;
      sk[i] = si;
      yk[i] = yi;
      sy += si * yi;
      yy += yi * yi;
    }
    if (sy > 1e-12) {
      // Keep the pair: it takes the next free slot, or the oldest one's when the ring is full;
      // the slot's old arrays become the scratch for the next iteration.
      let j: number;
      if (pairs === m) {
        j = first;
        first = (first + 1) % m;
      } else j = slot(pairs++);
      [s[j], sk] = [sk, s[j]!];
      [y[j], yk] = [yk, y[j]!];
      rho[j] = 1 / sy;
      gammas[j] = sy / yy;
    }
    [x, xNew] = [xNew, x];
    [g, gNew] = [gNew, g];
    const improvement = value - newValue;
    value = newValue;
    if (improvement < 1e-10 * Math.max(1, Math.abs(value))) break;
  }
  x0.set(x);
  return { value, iterations: iter };
}

/** This thread's vectors, by workspace slot. */
const spares: Float64Array[][] = [];

/**
 * `count` vectors of length n: views on this thread's buffers of workspace `slot`, replaced when a
 * fit needs longer.
 */
function workspace(n: number, count: number, slot: number): Float64Array[] {
  let spare = spares[slot] ?? [];
  if (spare.length > 0 && spare[0]!.length < n) spare = [];
  while (spare.length < count) spare.push(new Float64Array(Math.max(n, spare[0]?.length ?? 0)));
  spares[slot] = spare;
  return spare.slice(0, count).map((a) => a.subarray(0, n));
}
