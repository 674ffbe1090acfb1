// OpenRouter's rule for a request with `models` and no `model`: the first of `models` is the one
// asked for. The request remembers it, so errors about that target name `models[0]`, the field
// the client wrote, rather than a `model` it never sent.

// A symbol key: object spreads and rests keep it; JSON (the upstream body, the request log, a
// stored response) never carries it.
const MODEL_FROM_MODELS = Symbol('model from models[0]');

/** Without `model`, the first of `models` is the one asked for (OpenRouter's rule). */
export function takeModelFromModels(request: Record<string, unknown>, models: string[]): void {
  request.model = models[0];
  (request as Record<symbol, unknown>)[MODEL_FROM_MODELS] = true;
}

/** The field that named a request's target: `model`, or `models[0]` when `model` was left out. */
export function modelParam(request: object): 'model' | 'models[0]' {
  return (request as Record<symbol, unknown>)[MODEL_FROM_MODELS] === true ? 'models[0]' : 'model';
}
