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

/** Milliseconds to the microsecond (the router's overhead, as `x-router-overhead-ms` says it). */
export function roundMsToMicros(x: number): number {
  return Number.isFinite(x) ? Math.round(x * 1e3) / 1e3 : x;
}

/** `f` of x, for an optional or nullable figure. */
export function roundMaybe<T extends number | null | undefined>(x: T, f: (v: number) => number): T {
  return (typeof x === 'number' ? f(x) : x) as T;
}

/**
 * A USD amount as a receipt's text shows it: 3 significant digits in plain decimals ("$0.0000121",
 * "$0.512", "$12.30"), not "$1.21e-5". Costs span 1e-7 to 1e3; at most 12 decimals.
 */
export function usdText(x: number): string {
  if (!Number.isFinite(x)) return `$${x}`;
  if (x === 0) return '$0';
  const decimals = Math.min(12, Math.max(2, 2 - Math.floor(Math.log10(Math.abs(x)))));
  return `${x < 0 ? '-' : ''}$${Math.abs(x).toFixed(decimals)}`;
}
