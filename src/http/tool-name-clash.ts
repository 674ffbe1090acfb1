// A function tool and a custom tool of one request with the same name: the model's call could
// not say which it meant, and where custom tools are bridged to function tools
// (src/gateway/custom-tool-bridge.ts) the upstream would get two functions of that name. Refused
// with a 400 naming both, before routing (Chat Completions and the Responses API alike).
import { invalidRequest } from '../core/errors.js';

/** One of a request's tools as chat names it, and where it is in the request. */
export interface NamedTool {
  type: 'function' | 'custom';
  name: string;
  /** `tools[i]`, or `tools[i].tools[j]` for a Responses namespace's member. */
  path: string;
}

/** Throws a 400 naming both tools when a function and a custom tool share a name. */
export function refuseToolNameClash(tools: Iterable<NamedTool>): void {
  const first = new Map<string, NamedTool>();
  for (const tool of tools) {
    const other = first.get(`${tool.type === 'function' ? 'custom' : 'function'}:${tool.name}`);
    if (other) {
      const [fn, custom] = tool.type === 'function' ? [tool, other] : [other, tool];
      throw invalidRequest(
        `${fn.path} (a function tool) and ${custom.path} (a custom tool) are both named "${tool.name}": a call could not say which is meant. Give one of them another name.`,
        tool.path,
        'invalid_value',
      );
    }
    const key = `${tool.type}:${tool.name}`;
    if (!first.has(key)) first.set(key, tool);
  }
}
