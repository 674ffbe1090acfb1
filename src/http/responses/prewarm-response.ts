// A Responses turn that generates nothing: WebSocket mode's `generate: false` (the guide's
// warm-up) and `prompt_cache_options.prewarm: true` (openai-node 7.60: "prepares the prompt cache
// without generating output; overrides `generate` to false"). The router answers it itself, with
// no upstream call, so no deployment answers (and bills) a full reply nobody asked for.
import { invalidRequest } from '../../core/errors.js';
import type { ChatCall } from '../../gateway/gateway-types.js';
import { authorizeChatTarget } from '../../gateway/request-target.js';
import type { ForegroundDeps, ResponseCaller } from './foreground-response.js';
import type { Json } from './responses-convert.js';
import { baseResponse } from './responses-reply.js';
import { storedResponse, type PreparedResponse } from './responses-run.js';
import type { ResponsesEvent } from './responses-stream.js';

/**
 * No model output and no upstream call (nor a request log record, nor a rate limit's charge:
 * nothing was served); a Response, completed with no output and no usage, that holds the
 * request's input, instructions and tools for the next turn to continue with
 * `previous_response_id`. Stored unless `store: false`. `param` names the field that asked.
 */
export async function warmUpResponse(
  deps: Pick<ForegroundDeps, 'config' | 'store'>,
  p: PreparedResponse,
  caller: Pick<ResponseCaller, 'auth' | 'keep'>,
  param: string,
): Promise<Json> {
  if (p.conversation)
    throw invalidRequest(
      `'${param === 'generate' ? 'generate: false' : `${param}: true`}' cannot add to a conversation: leave out 'conversation', or send the turn with generate.`,
      param,
      'unsupported_parameter',
    );
  // The model must be one the caller may use, as for a turn that generates (404, 400, 403).
  authorizeChatTarget(deps.config.current, { request: p.chat, auth: caller.auth } as ChatCall);
  const response = {
    ...baseResponse(p.ctx, String(p.body.model), 'completed'),
    // Nothing ran in the background: the answer is complete now.
    background: false,
    usage: {
      input_tokens: 0,
      input_tokens_details: { cached_tokens: 0 },
      output_tokens: 0,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: 0,
    },
  };
  const stored = storedResponse(p, response);
  caller.keep?.(stored);
  if (p.body.store !== false) await deps.store.save(stored);
  return response;
}

/** A whole Response (a JSON outcome, a warm-up) as the events that stream it. */
export async function* wholeResponseEvents(response: Json): AsyncGenerator<ResponsesEvent> {
  let sequence = 0;
  const event = (type: string, r: Json) => ({
    event: type,
    data: JSON.stringify({ type, sequence_number: sequence++, response: r }),
  });
  const started = {
    ...response,
    status: 'in_progress',
    completed_at: null,
    output: [],
    usage: null,
  };
  yield event('response.created', started);
  yield event('response.in_progress', started);
  yield event(
    response.status === 'incomplete' ? 'response.incomplete' : 'response.completed',
    response,
  );
}

/** The field that asks for a warm-up over HTTP. */
export const PREWARM = 'prompt_cache_options.prewarm';
