// OpenRouter's web search plugin (`plugins: [{"id": "web"}]`): asks that the answer be grounded
// in a web search, as chat's `web_search_options` does. The router serves it so, with the
// deployments' own search (src/core/web-search.ts: only deployments with `capabilities.webSearch`;
// OpenRouter's `engine: "native"`): a request with the plugin gets `web_search_options: {}` unless
// it has its own, before routing. What OpenRouter's search engine would have done besides
// (`engine: "exa"`, `max_results`, `search_prompt`) is named in `x-router-warnings` as not applied.
// A malformed `plugins` is a 400 in middle-out.ts, which reads the same field.
import { isObject } from '../core/is-object.js';
import { copyCall } from './call-stop.js';
import type { ChatCall } from './gateway-types.js';

export const WEB_PLUGIN = 'web';

/** Whether `p` is an enabled web plugin. */
export function isWebPlugin(p: unknown): boolean {
  return isObject(p) && p.id === WEB_PLUGIN && p.enabled !== false;
}

/** The call with the web plugin turned into `web_search_options`, and what was not applied. */
export function applyWebPlugin(call: ChatCall): { call: ChatCall; warnings: string[] } {
  const plugins = (call.request as Record<string, unknown>).plugins;
  if (!Array.isArray(plugins)) return { call, warnings: [] };
  const warnings: string[] = [];
  let asked = false;
  plugins.forEach((p, i) => {
    if (!isWebPlugin(p)) return;
    asked = true;
    const plugin = p as Record<string, unknown>;
    if (plugin.engine != null && plugin.engine !== 'native')
      warnings.push(
        `plugins[${i}].engine ${JSON.stringify(plugin.engine).slice(0, 40)} not applied: searched with the deployment's own web search`,
      );
    for (const field of ['max_results', 'search_prompt'])
      if (plugin[field] != null) warnings.push(`plugins[${i}].${field} not applied`);
  });
  if (!asked || call.request.web_search_options != null) return { call, warnings };
  return {
    call: copyCall(call, { request: { ...call.request, web_search_options: {} } }),
    warnings,
  };
}
