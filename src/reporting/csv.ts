// CSV as RFC 4180 writes it, for the files people open in a spreadsheet (compare results, usage
// for chargeback). Text a client chose (tags, end-user names) can start like a formula; such a
// field is written with a leading apostrophe (OWASP's advice against CSV injection), so a
// spreadsheet shows it as text instead of evaluating it.

/** One field: empty for none, quoted when it holds a comma, quote or line break. */
export function csvField(v: unknown): string {
  if (v === undefined || v === null) return '';
  let s = String(v);
  if (typeof v === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** One record, fields in order. */
export function csvLine(values: readonly unknown[]): string {
  return values.map(csvField).join(',');
}
