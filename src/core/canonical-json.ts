// JSON text with every object's keys in sorted order (at any depth; arrays keep their order), so
// two bodies that differ only in how a client ordered its keys read as the same. One pass over
// the value, building no sorted copy of it: the answer cache calls it once per cached request.

/**
 * `JSON.stringify(value)` with object keys sorted: the same text for `{"a":1,"b":2}` and
 * `{"b":2,"a":1}`, another for `[1,2]` and `[2,1]`. What JSON cannot hold is left out of objects
 * and written `null` in arrays, as `JSON.stringify` does; `toJSON` is honoured.
 */
export function canonicalJson(value: unknown): string {
  return write(value) ?? 'null';
}

function write(value: unknown): string | undefined {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      return Number.isFinite(value) ? String(value) : 'null';
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object': {
      const toJSON = (value as { toJSON?: unknown }).toJSON;
      if (typeof toJSON === 'function') return write(toJSON.call(value));
      if (Array.isArray(value)) return `[${value.map((x) => write(x) ?? 'null').join(',')}]`;
      const record = value as Record<string, unknown>;
      let out = '';
      for (const key of Object.keys(record).sort()) {
        const text = write(record[key]);
        if (text !== undefined) out += `${out ? ',' : ''}${JSON.stringify(key)}:${text}`;
      }
      return `{${out}}`;
    }
    default:
      // undefined, functions and symbols: nothing (a bigint throws, as in JSON.stringify)
      return JSON.stringify(value);
  }
}
