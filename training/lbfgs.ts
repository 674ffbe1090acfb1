// Limited-memory BFGS (two-loop recursion, backtracking Armijo line search) for the small smooth
// problems training solves: one L2-regularised logistic regression per model over the hashed
// features, solved to convergence on the whole batch instead of a few stochastic epochs.

export interface LbfgsOptions {
  maxIterations?: number;
  /** Pairs of the curvature history kept. */
  memory?: number;
  /** Stop when the gradient's largest component is below this. */
  gradientTolerance?: number;
}

/** Minimises `f` (which writes its gradient into `grad` and returns the value) from `x` in place. */
export function minimizeLbfgs(
  f: (x: Float64Array, grad: Float64Array) => number,
  x: Float64Array,
  opts: LbfgsOptions = {},
): { value: number; iterations: number } {
  const n = x.length;
  const m = opts.memory ?? 8;
  const maxIter = opts.maxIterations ?? 200;
  const tol = opts.gradientTolerance ?? 1e-6;
  const s: Float64Array[] = [];
  const y: Float64Array[] = [];
  const rho: number[] = [];
  const g = new Float64Array(n);
  const gNew = new Float64Array(n);
  const d = new Float64Array(n);
  const xNew = new Float64Array(n);
  const alpha = new Float64Array(m);
  let value = f(x, g);
  let iter = 0;
  for (; iter < maxIter; iter++) {
    let gMax = 0;
    for (let i = 0; i < n; i++) gMax = Math.max(gMax, Math.abs(g[i]!));
    if (gMax < tol) break;
    // Two-loop recursion: d = −H·g.
    for (let i = 0; i < n; i++) d[i] = -g[i]!;
    for (let k = s.length - 1; k >= 0; k--) {
      alpha[k] = rho[k]! * dot(s[k]!, d);
      axpy(-alpha[k]!, y[k]!, d);
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
      axpy(alpha[k]! - beta, s[k]!, d);
    }
    let slope = dot(g, d);
    if (slope >= 0) {
      // Not a descent direction (numerical trouble): restart from steepest descent.
      s.length = y.length = rho.length = 0;
      for (let i = 0; i < n; i++) d[i] = -g[i]!;
      slope = dot(g, d);
    }
    let step = 1;
    let newValue = Infinity;
    for (let tries = 0; tries < 30; tries++) {
      for (let i = 0; i < n; i++) xNew[i] = x[i]! + step * d[i]!;
      newValue = f(xNew, gNew);
      if (newValue <= value + 1e-4 * step * slope) break;
      step /= 2;
    }
    if (!(newValue < value)) break;
    const sk = new Float64Array(n);
    const yk = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      sk[i] = xNew[i]! - x[i]!;
      yk[i] = gNew[i]! - g[i]!;
    }
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
  return { value, iterations: iter };
}

function dot(a: Float64Array, b: Float64Array): number {
  let t = 0;
  for (let i = 0; i < a.length; i++) t += a[i]! * b[i]!;
  return t;
}

function axpy(a: number, x: Float64Array, y: Float64Array): void {
  for (let i = 0; i < x.length; i++) y[i]! += a * x[i]!;
}
