// Label values that do not come from the config, bounded: each new value of a label is a new
// series in this process and in Prometheus, so a value a client or an upstream can vary per
// request (an error code, the model an upstream says served) must not become a label unchecked.

/** Distinct error codes a label takes, beyond which any new one is `other`. */
const MAX_ERROR_LABELS = 64;
const ERROR_LABEL = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/;
const errorLabels = new Set<string>();

/**
 * An error code as a label value: the router's own codes and an upstream's are bounded so that
 * an upstream that puts per-request text in `error.code` cannot grow the series without end
 * (observability audit F3, 2026-12-06): a code past 64 characters or with other characters, or
 * any new one once 64 are in use, is `other`.
 */
export function errorLabel(code: string): string {
  if (errorLabels.has(code)) return code;
  if (!ERROR_LABEL.test(code) || errorLabels.size >= MAX_ERROR_LABELS) return 'other';
  errorLabels.add(code);
  return code;
}

/** Served-model names a deployment's label takes (its dated snapshots, a few aliases). */
const MAX_MODELS_PER_DEPLOYMENT = 8;
/** Deployment names tracked: the config's, and more than any config has. */
const MAX_DEPLOYMENTS = 1_000;
const MAX_MODEL_LENGTH = 128;
const servedModels = new Map<string, Set<string>>();

/**
 * The served model as a label value: the name the upstream reported, which the upstream (or a
 * client, through an upstream that echoes a field it was sent, or a gateway in front of many
 * models) may vary per request. Each deployment keeps the first 8 names it reports (its dated
 * snapshots); a further one, or one past 128 characters, is `other` (metrics audit, 2026-12-07).
 * Empty stays empty: nothing served.
 */
export function servedModelLabel(deployment: string, model: string): string {
  if (model === '') return model;
  let seen = servedModels.get(deployment);
  if (seen?.has(model)) return model;
  if (model.length > MAX_MODEL_LENGTH) return 'other';
  if (!seen) {
    if (servedModels.size >= MAX_DEPLOYMENTS) return 'other';
    seen = new Set();
    servedModels.set(deployment, seen);
  }
  if (seen.size >= MAX_MODELS_PER_DEPLOYMENT) return 'other';
  seen.add(model);
  return model;
}

/**
 * The statuses `status` labels keep as they are: those the router itself answers, and Anthropic's
 * 529 (`overloaded_error`), which Claude deployments pass on.
 */
const KEPT_STATUSES: ReadonlySet<number> = new Set([
  200, 201, 202, 400, 401, 403, 404, 405, 408, 409, 412, 413, 414, 415, 422, 429, 431, 499, 500,
  502, 503, 504, 529,
]);

/**
 * An HTTP status as a label value: an upstream's error status reaches the client as it came
 * (any of 400-599), so one answering 418, 520 or 599 would add a series each; those outside
 * KEPT_STATUSES are their class (`4xx`, `5xx`; `2xx`…), anything else `other`.
 */
export function statusLabel(status: number): string {
  if (KEPT_STATUSES.has(status)) return String(status);
  return Number.isInteger(status) && status >= 100 && status <= 599
    ? `${Math.floor(status / 100)}xx`
    : 'other';
}
