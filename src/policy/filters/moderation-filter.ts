// External moderation endpoint as a plug-in: OpenAI moderation shape, `POST {input}` →
// `{results:[{flagged, categories, category_scores?}]}` (https://platform.openai.com/docs/api-reference/moderations).
// Called through undici with a timeout; if the endpoint fails the request is not blocked, and the
// failure is reported in Azure's `error` field of the filter results.
import { request, type Dispatcher } from 'undici';
import type { ChatMessage } from '../../core/wire-types.js';
import { collectPromptText } from '../../core/prompt-text.js';
import type {
  ContentFilterPlugin,
  FilterCategory,
  FilterHit,
  OutputVerdict,
} from './filter-types.js';

export interface ModerationFilterOptions {
  url: string;
  timeoutMs?: number;
  /** Bearer token for the endpoint (from an env var, never config). */
  apiKey?: string;
  dispatcher?: Dispatcher;
}

const SEVERITY_CATEGORIES: FilterCategory[] = ['hate', 'sexual', 'violence', 'self_harm'];

/** OpenAI moderation category → Azure severity category. */
function azureCategory(name: string): FilterCategory | undefined {
  const base = name.split('/')[0];
  if (base === 'hate' || base === 'harassment') return 'hate';
  if (base === 'sexual') return 'sexual';
  if (base === 'violence') return 'violence';
  if (base === 'self-harm') return 'self_harm';
  return undefined;
}

interface ModerationResult {
  flagged?: boolean;
  categories?: Record<string, boolean>;
}

export function createModerationFilter(options: ModerationFilterOptions): ContentFilterPlugin {
  const timeoutMs = options.timeoutMs ?? 2000;

  async function moderate(text: string): Promise<OutputVerdict> {
    try {
      const res = await request(options.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {}),
        },
        body: JSON.stringify({ input: text }),
        signal: AbortSignal.timeout(timeoutMs),
        dispatcher: options.dispatcher,
      });
      const raw = await res.body.text();
      if (res.statusCode >= 400)
        return failed(res.statusCode, `moderation endpoint answered ${res.statusCode}`);
      const body = JSON.parse(raw) as { results?: ModerationResult[] };
      const hits: FilterHit[] = [];
      const seen = new Set<FilterCategory>();
      for (const r of body.results ?? []) {
        for (const [name, flagged] of Object.entries(r.categories ?? {})) {
          const category = azureCategory(name);
          if (!flagged || !category || seen.has(category)) continue;
          seen.add(category);
          hits.push({
            plugin: 'moderation',
            ruleId: name,
            category,
            action: 'block',
            severity: 'high',
          });
        }
        if (r.flagged && hits.length === 0)
          hits.push({
            plugin: 'moderation',
            ruleId: 'flagged',
            category: 'violence',
            action: 'block',
            severity: 'high',
          });
      }
      return { hits, evaluated: SEVERITY_CATEGORIES };
    } catch (err) {
      const timedOut =
        err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
      return failed(
        timedOut ? 408 : 502,
        timedOut
          ? `moderation endpoint timed out after ${timeoutMs} ms`
          : 'moderation endpoint unreachable or invalid reply',
      );
    }
  }

  return {
    name: 'moderation',
    checkInput: (messages: readonly ChatMessage[]) =>
      moderate(
        collectPromptText({ model: '', messages: [...messages] } as Parameters<
          typeof collectPromptText
        >[0]),
      ),
    checkOutput: moderate,
  };
}

function failed(code: number, message: string): OutputVerdict {
  return { hits: [], evaluated: [], error: { code, message } };
}
