// An embedding input longer than the model takes is the client's to fix: a 400 naming the input,
// its tokens and the window, before any upstream is called (media audit F8, 2026-12-06: it went
// upstream, whose refusal came back as the deployment's error, or was cut short by a server that
// truncates). The window is the deployment's `contextWindow` (OpenAI's embedding models take 8,192
// tokens an input); a pool's input must fit one of its members. Counted with the router's o200k
// tokenizer (OpenAI's embedding models use cl100k, which counts no fewer tokens on almost all
// text), and only when the input's UTF-8 bytes, a bound on its tokens, do not fit already.
import type { DeploymentConfig } from '../config/deployment-schema.js';
import { invalidRequest } from '../core/errors.js';
import { loadTokenizer, type EmbeddingItem } from '../core/prompt-text.js';

/** Throws the 400 for the first input over the widest window among `members`, if any is. */
export async function checkEmbeddingWindow(
  items: readonly EmbeddingItem[],
  members: readonly DeploymentConfig[],
  name: string,
): Promise<void> {
  if (members.length === 0) return;
  const widest = members.reduce((a, b) => (b.contextWindow > a.contextWindow ? b : a));
  const window = widest.contextWindow;
  for (let i = 0; i < items.length; i++) {
    const item = items[i]!;
    let tokens: number;
    if (typeof item === 'string') {
      if (Buffer.byteLength(item, 'utf8') <= window) continue;
      tokens = (await loadTokenizer())(item);
    } else tokens = item.length;
    if (tokens <= window) continue;
    const param = items.length === 1 ? 'input' : `input[${i}]`;
    throw invalidRequest(
      `${param} is ${tokens} tokens, over the ${window}-token limit of an input to "${name}" (its contextWindow): shorten it, or split it into several inputs.`,
      param,
      'context_length_exceeded',
    );
  }
}
