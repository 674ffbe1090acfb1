// OpenRouter's message transforms: `transforms: ["middle-out"]`, or the plugin that replaced it,
// `plugins: [{"id": "context-compression"}]`, ask that a prompt over the model's context window be
// fitted by "removing or truncating messages from the middle of the prompt" (OpenRouter's docs).
// The router does it for every chat-shaped request (chat, legacy completions, Responses bridged)
// before routing (context-fit.ts, middle-out), and says so in `x-router-warnings`. Neither field
// is ever sent upstream (an OpenAI upstream answers 400 to both). `transforms: []` asks for none,
// as the router does by default (OpenRouter compresses small-context models unasked; the router
// never leaves out what a client sent unless asked). The web plugin is web search (web-plugin.ts);
// other transforms and plugins are accepted and named as not applied; a malformed value is a 400
// naming the field.
import { invalidRequest } from '../core/errors.js';
import type { RuntimeConfig } from '../config/runtime-config.js';
import { isObject } from '../core/is-object.js';
import { copyCall } from './call-stop.js';
import { fitToContext } from './context-fit.js';
import type { ChatCall, Target } from './gateway-types.js';
import { isWebPlugin } from './web-plugin.js';

const MIDDLE_OUT = 'middle-out';
const COMPRESSION_PLUGIN = 'context-compression';
const quote = (v: unknown) => (JSON.stringify(v) ?? String(v)).slice(0, 40);

export interface CompressionAsk {
  middleOut: boolean;
  /** What was accepted and not applied. */
  warnings: string[];
}

/** What a request's `transforms` and `plugins` ask for (a 400 when malformed); none: undefined. */
export function compressionAsked(body: Record<string, unknown>): CompressionAsk | undefined {
  const { transforms, plugins } = body;
  if (transforms == null && plugins == null) return undefined;
  const ask: CompressionAsk = { middleOut: false, warnings: [] };
  if (transforms != null) {
    if (!Array.isArray(transforms))
      throw invalidRequest(
        `transforms must be an array of transform names, e.g. ["middle-out"]; got ${quote(transforms)}.`,
        'transforms',
        'invalid_type',
      );
    transforms.forEach((t, i) => {
      if (typeof t !== 'string')
        throw invalidRequest(
          `transforms[${i}] must be a transform name such as "middle-out"; got ${quote(t)}.`,
          `transforms[${i}]`,
          'invalid_type',
        );
      if (t === MIDDLE_OUT) ask.middleOut = true;
      else
        ask.warnings.push(
          `transforms: "${t.slice(0, 40)}" not applied (the router has "middle-out" only)`,
        );
    });
  }
  if (plugins != null) {
    if (!Array.isArray(plugins))
      throw invalidRequest(
        `plugins must be an array of plugin objects, e.g. [{"id": "context-compression"}]; got ${quote(plugins)}.`,
        'plugins',
        'invalid_type',
      );
    plugins.forEach((p, i) => {
      if (!isObject(p) || typeof p.id !== 'string')
        throw invalidRequest(
          `plugins[${i}] must be an object with a string id, e.g. {"id": "context-compression"}; got ${quote(p)}.`,
          isObject(p) ? `plugins[${i}].id` : `plugins[${i}]`,
          'invalid_type',
        );
      // The web plugin is web search's (web-plugin.ts).
      if (p.enabled === false || isWebPlugin(p)) return;
      if (p.id !== COMPRESSION_PLUGIN)
        ask.warnings.push(
          `plugins: "${p.id.slice(0, 40)}" not applied (the router runs "${COMPRESSION_PLUGIN}" and "web" only)`,
        );
      else if (p.engine != null && p.engine !== MIDDLE_OUT)
        ask.warnings.push(
          `plugins[${i}].engine ${quote(p.engine)} not applied: compressed middle-out`,
        );
      if (p.id === COMPRESSION_PLUGIN) ask.middleOut = true;
    });
  }
  return ask;
}

/**
 * The call with its request fitted to `target`'s context by middle-out when it asks for it and
 * needs it, and what to say in `x-router-warnings`.
 */
export async function applyMiddleOut(
  snapshot: RuntimeConfig,
  call: ChatCall,
  target: Target,
): Promise<{ call: ChatCall; warnings: string[] }> {
  const ask = compressionAsked(call.request as unknown as Record<string, unknown>);
  if (!ask) return { call, warnings: [] };
  if (!ask.middleOut) return { call, warnings: ask.warnings };
  const fit = await fitToContext(snapshot, target, call.request, call, 'middle-out');
  if (!fit) return { call, warnings: ask.warnings };
  const what = [
    fit.dropped ? `left ${fit.dropped} of ${fit.of} messages out of the middle` : '',
    fit.cutChars ? `cut ${fit.cutChars} characters out of the middle of the longest text` : '',
  ]
    .filter(Boolean)
    .join(' and ');
  return {
    call: copyCall(call, { request: fit.chat }),
    warnings: [...ask.warnings, `middle-out ${what}, to fit a ${fit.window}-token context window`],
  };
}
