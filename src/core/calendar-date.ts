// Whether a `YYYY-MM-DD` names a day that exists: API versions and time bounds are dates, and
// Date.parse rolls 2026-02-31 over into March rather than refusing it.

const YYYY_MM_DD = /^(\d{4})-(\d{2})-(\d{2})$/;

/** `2024-02-29` yes; `2023-02-29`, `2024-13-01`, `2024-04-31`, `2024-1-1` no. */
export function isCalendarDate(text: string): boolean {
  const m = YYYY_MM_DD.exec(text);
  if (!m) return false;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const d = new Date(Date.UTC(year, month - 1, day));
  // Date.UTC reads years 0–99 as 1900–1999: such a year never matches, and is no version either.
  return d.getUTCFullYear() === year && d.getUTCMonth() === month - 1 && d.getUTCDate() === day;
}
