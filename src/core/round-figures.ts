// Figures as an API response or a receipt shows them, without floating-point noise
// (0.00009680000000000001 USD, a band of 0.1299999999999999, 766.538266999999 ms). Rounded where
// they are put into the response, never in the routing or summary arithmetic.

/** A USD amount to 6 significant digits (costs span 1e-7 to 1e3, so decimals would not do). */
export function roundUsd(x: number): number {
  return x === 0 || !Number.isFinite(x) ? x : Number(x.toPrecision(6));
}

/** A quality, band, share or rate (0–1) to 4 decimals. */
export function roundRatio(x: number): number {
  return Number.isFinite(x) ? Math.round(x * 1e4) / 1e4 : x;
}

/** Milliseconds to 0.1 ms. */
export function roundMs(x: number): number {
  return Number.isFinite(x) ? Math.round(x * 10) / 10 : x;
}

/** `f` of x, for an optional or nullable figure. */
export function roundMaybe<T extends number | null | undefined>(x: T, f: (v: number) => number): T {
  return (typeof x === 'number' ? f(x) : x) as T;
}
