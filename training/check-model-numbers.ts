import { DataError } from './data-error.js';

/**
 * A `model → number` field: an object whose every value is a number in [min, max], or null (JSON's
 * "no value": that model is left out, as if the field did not name it; `nulls` counts them). Says
 * which model's value is wrong, and how, when it is not.
 */
export function checkModelNumbers(
  v: unknown,
  field: string,
  where: string,
  nulls: { count: number },
  min: number,
  max = Infinity,
): Record<string, number> {
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw new DataError(`${where}: "${field}" must be an object of model → number`);
  const label = field === 'scores' ? 'score' : field;
  // No prototype: a model named `__proto__` is kept as any other (on `{}` its assignment is
  // dropped), and one named `valueOf` or `constructor` reads as not given where it is not.
  const out = Object.create(null) as Record<string, number>;
  for (const [m, x] of Object.entries(v as Record<string, unknown>)) {
    if (!m.trim())
      throw new DataError(
        `${where}: "${field}" names a model ${JSON.stringify(m)}: a model name cannot be empty`,
      );
    if (x === null) {
      nulls.count++;
      continue;
    }
    if (typeof x !== 'number' || !Number.isFinite(x))
      throw new DataError(
        // JSON.stringify says "null" for Infinity (a 1e999 in the file), so name numbers as they are.
        `${where}: ${label} of ${m} must be a finite number, got ${typeof x === 'number' ? String(x) : JSON.stringify(x)}`,
      );
    if (x < min || x > max)
      throw new DataError(
        `${where}: ${label} of ${m} is ${x}, ${max === Infinity ? `below ${min}` : `outside [${min}, ${max}]`}${field === 'scores' && x > max ? ' (quality is on a 0–1 scale: divide a 1–10 grade by 10, a percentage by 100)' : ''}`,
      );
    out[m] = x;
  }
  return out;
}
