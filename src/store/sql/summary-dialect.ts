// What SQLite and PostgreSQL spell differently in the usage summary's statements (summary-sql.ts,
// summary-calls-sql.ts, spend-sql.ts): parameters, JSON arrays, the tests on a row's attempts
// and code point order.

/** What the two dialects spell differently. */
export interface SummaryDialect {
  /** The request table, schema-qualified when it has one. */
  table: string;
  /** The placeholder of the i-th parameter (from 1). */
  placeholder(i: number): string;
  /** A FROM item of the JSON array of strings in `column`, one row per element in `alias.value`. */
  jsonStrings(column: string, alias: string): string;
  /** True when any of the row's attempts errored (`upstreamErrored`). */
  upstreamErrored: string;
  /** True when an attempt errored and a later one was called (`failedOver`). */
  failedOver: string;
  /** `expr` in the list of strings `keys` (one parameter, added with `add`). */
  inList(expr: string, keys: readonly string[], add: (value: unknown) => string): string;
  /** `expr` for ORDER BY in code point order (UTF-8 byte order: compareCodePoints). */
  byCodePoint(expr: string): string;
  /** A FROM item of the row's attempts (`r.attempts`), one row per attempt. */
  calls: string;
  /** A text field of the attempt `calls` yields (NULL when it has none). */
  callField(field: 'deployment' | 'model' | 'outcome'): string;
  /** The attempt's `costUsd`, 0 when it has none. */
  callCost: string;
  /** How many attempts the row has (`r.attempts`' length). */
  callsLength: string;
  /** False only when none of the row's attempts can have been passed over (a cheap test). */
  maySkip: string;
  /**
   * False when the row cannot have called elsewhere: no attempt, or one at its own deployment
   * (most rows), told without unnesting its attempts.
   */
  mayCallElsewhere: string;
  /** `a` differs from `b`, NULL being a value (JavaScript's `!==` on undefined). */
  distinctFrom(a: string, b: string): string;
  /**
   * True when one of the row's attempts (in `column`) carries a `costUsd`: charged though it gave
   * no answer (timed out, stopped in flight). Rare; the partial index `requests_charged_time` is
   * built on it (`chargedIndex`), and a query that is to read through that index spells it the same.
   */
  charged(column: string): string;
  /** The columns of `requests_charged_time` (migration 23), in parentheses. */
  chargedIndexColumns: string;
  /**
   * False only when none of the row's attempts (in `column`) can be at `deployment` (one
   * parameter, added with `add`): a cheap test before unnesting them.
   */
  mayCallAt(column: string, deployment: string, add: (value: unknown) => string): string;
}

export const SQLITE_SUMMARY: Omit<SummaryDialect, 'table'> = {
  placeholder: (i) => `@p${i}`,
  jsonStrings: (column, alias) => `json_each(${column}) AS ${alias}`,
  upstreamErrored: `EXISTS (SELECT 1 FROM json_each(r.attempts) AS a WHERE json_extract(a.value, '$.outcome') = 'error')`,
  failedOver: `EXISTS (SELECT 1 FROM json_each(r.attempts) AS a, json_each(r.attempts) AS b WHERE json_extract(a.value, '$.outcome') = 'error' AND b.key > a.key AND json_extract(b.value, '$.outcome') <> 'skipped')`,
  inList: (expr, keys, add) =>
    `${expr} IN (SELECT value FROM json_each(${add(JSON.stringify(keys))}))`,
  // BINARY, SQLite's default collation, compares UTF-8 text with memcmp.
  byCodePoint: (expr) => `${expr} COLLATE BINARY`,
  calls: `json_each(r.attempts) AS a`,
  callField: (field) => `json_extract(a.value, '$.${field}')`,
  callCost: `COALESCE(json_extract(a.value, '$.costUsd'), 0)`,
  callsLength: `json_array_length(r.attempts)`,
  // The JSON text without the word has no attempt `skipped`, however it was written.
  maySkip: `instr(r.attempts, 'skipped') > 0`,
  mayCallElsewhere: `NOT (json_array_length(r.attempts) = 0 OR (json_array_length(r.attempts) = 1 AND json_extract(r.attempts, '$[0].deployment') IS r.deployment))`,
  distinctFrom: (a, b) => `${a} IS NOT ${b}`,
  // The key as JSON.stringify writes it (request-columns.ts toRow); a value that merely contains
  // the text only costs the row a closer look.
  charged: (column) => `instr(${column}, '"costUsd"') > 0`,
  // Covering: a deployment's spend reads these rows from the index alone (the attempts are kept
  // twice only for the few rows charged).
  chargedIndexColumns: '(time, deployment, attempts)',
  // The name as JSON.stringify writes it, as it is in the text wherever it is an attempt's.
  mayCallAt: (column, deployment, add) =>
    `instr(${column}, ${add(JSON.stringify(deployment))}) > 0`,
};

export const POSTGRES_SUMMARY: Omit<SummaryDialect, 'table'> = {
  placeholder: (i) => `$${i}`,
  // Tags are a JSON array in a TEXT column (migration 5); attempts are JSONB.
  jsonStrings: (column, alias) => `jsonb_array_elements_text(${column}::jsonb) AS ${alias}(value)`,
  upstreamErrored: `r.attempts @> '[{"outcome":"error"}]'::jsonb`,
  // The containment test first: most rows have no error, and it needs no unnesting.
  failedOver: `(r.attempts @> '[{"outcome":"error"}]'::jsonb AND EXISTS (SELECT 1 FROM jsonb_array_elements(r.attempts) WITH ORDINALITY AS a(v, i), jsonb_array_elements(r.attempts) WITH ORDINALITY AS b(v, i) WHERE a.v->>'outcome' = 'error' AND b.i > a.i AND b.v->>'outcome' <> 'skipped'))`,
  inList: (expr, keys, add) => `${expr} = ANY(${add(keys)}::text[])`,
  // "C" compares bytes (strcmp), whatever the database's own collation.
  byCodePoint: (expr) => `${expr} COLLATE "C"`,
  calls: `jsonb_array_elements(r.attempts) AS a(v)`,
  callField: (field) => `(a.v->>'${field}')`,
  callCost: `COALESCE((a.v->>'costUsd')::float8, 0)`,
  callsLength: `jsonb_array_length(r.attempts)`,
  maySkip: `r.attempts @> '[{"outcome":"skipped"}]'::jsonb`,
  mayCallElsewhere: `NOT (jsonb_array_length(r.attempts) = 0 OR (jsonb_array_length(r.attempts) = 1 AND r.attempts->0->>'deployment' IS NOT DISTINCT FROM r.deployment))`,
  distinctFrom: (a, b) => `${a} IS DISTINCT FROM ${b}`,
  // jsonb_path_exists is immutable, so it can be an index's predicate.
  charged: (column) => `${column} @? '$[*].costUsd'`,
  // Not covering: a B-tree entry holds at most about 2.7 KB, and an attempts array can be longer.
  chargedIndexColumns: '(time)',
  mayCallAt: (column, deployment, add) =>
    `${column} @> ${add(JSON.stringify([{ deployment }]))}::jsonb`,
};

/** What `{charged_index}` of migration 23 stands for: `requests_charged_time`'s columns and rows. */
export const chargedIndex = (d: Omit<SummaryDialect, 'table'>) =>
  `${d.chargedIndexColumns} WHERE ${d.charged('attempts')}`;
