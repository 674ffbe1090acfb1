// How the page writes figures, times and names: one place, so cards, charts, tables and the
// charts' names (chart-text.js) all say a figure the same way.

const money2 = new Intl.NumberFormat('en-US', {
  style: 'currency',
  currency: 'USD',
  minimumFractionDigits: 2,
  maximumFractionDigits: 2,
});
const moneySmall = new Intl.NumberFormat('en-US', {
  style: 'currency',
  currency: 'USD',
  maximumSignificantDigits: 3,
});
/** USD: cents from a dollar up, three significant digits below (a request costs fractions of a cent). */
export const usd = (v) => (v === 0 ? '$0.00' : (Math.abs(v) >= 1 ? money2 : moneySmall).format(v));
export const count = (v) => new Intl.NumberFormat('en-US').format(v);
const compact = new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 1 });
/** A count in a few characters for an axis (1.5K, 9,000T), never an exponent as 9E15. */
export const compactCount = (v) => compact.format(v);
export const pct = (v) => `${(v * 100).toFixed(1)}%`;
/** A short duration: µs under a millisecond (a router's overhead), else ms to two places. */
export const ms = (v) => (v < 1 ? `${Math.round(v * 1000)} µs` : `${v.toFixed(2)} ms`);

/** The browser's time zone, named and as an offset from UTC: every time on the page is in it. */
export function timeZoneLabel(at = new Date()) {
  const name = Intl.DateTimeFormat().resolvedOptions().timeZone || 'local time';
  const off = -at.getTimezoneOffset();
  const hhmm = `${String(Math.floor(Math.abs(off) / 60)).padStart(2, '0')}:${String(Math.abs(off) % 60).padStart(2, '0')}`;
  return name === 'UTC' ? 'UTC' : `${name} (UTC${off < 0 ? '−' : '+'}${hhmm})`;
}
export const clock = (t) =>
  new Date(t).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
export const dayAndClock = (t) =>
  new Date(t).toLocaleString([], {
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
  });

/** A name cut for a legend or an axis (the tooltip shows it whole). */
export const short = (name, max = 28) => (name.length > max ? `${name.slice(0, max - 1)}…` : name);
/** Requests no model served (refused or failed before one did): the summary's `(none)`. */
export const modelLabel = (key) => (key === '(none)' ? '(not served)' : key);

/** A window or bucket length in the largest unit that divides it: "1 h", "15 min", "7 d". */
export const human = (ms) =>
  ms % 86_400_000 === 0
    ? `${ms / 86_400_000} d`
    : ms % 3_600_000 === 0
      ? `${ms / 3_600_000} h`
      : ms % 60_000 === 0
        ? `${ms / 60_000} min`
        : `${Math.round(ms / 1000)} s`;
