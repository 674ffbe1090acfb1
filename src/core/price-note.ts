// Price files (`train`/`eval --prices`, `compare --prices`) may carry notes beside the models: a
// key starting with `_` that holds text (`"_source": "list prices, 2026-11"`). One that holds a
// price object is a model like any other (`__proto__`, `_internal-7b`).

/** Whether `key: value` of a price table is a note, not a model. */
export function isPriceNote(key: string, value: unknown): boolean {
  return key.startsWith('_') && (typeof value !== 'object' || value === null);
}
