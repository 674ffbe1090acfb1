// A moderation model as a content-filter plug-in: OpenAI moderation shape, `POST {input}` →
// `{results:[{flagged, categories, category_scores?}]}` (https://platform.openai.com/docs/api-reference/moderations),
// from an external endpoint (`moderationUrl`, through undici) or one of the router's own
// moderation deployments (`moderationDeployment`, a `classify` function), with a timeout; if it
// fails the request is not blocked, and the failure is reported in Azure's `error` field of the
// filter results.
import type { Dispatcher } from 'undici';
import { GatewayError } from '../../core/errors.js';
import type { ChatMessage } from '../../core/wire-types.js';
import { collectPromptText } from '../../core/prompt-text.js';
import type {
  ContentFilterPlugin,
  FilterCallSink,
  FilterCategory,
  FilterHit,
  OutputVerdict,
} from './filter-types.js';

/**
 * Classifies one text: an OpenAI moderation reply's body, or a GatewayError; a call to one of the
 * router's own deployments is told to `onCall` (the request's record counts its cost).
 */
export type ModerationClassifier = (
  text: string,
  signal: AbortSignal,
  onCall?: FilterCallSink,
) => Promise<{ results?: readonly unknown[] }>;

export type ModerationFilterOptions = { timeoutMs?: number } & (
  | {
      url: string;
      /** Bearer token for the endpoint (from an env var, never config). */
      apiKey?: string;
      dispatcher?: Dispatcher;
    }
  | { classify: ModerationClassifier }
);

/**
 * The plain endpoint as a classifier: a status ≥ 400 is a GatewayError with that status. undici's
 * index (its request API and global dispatcher; the pools do without it, http-client.ts) starts
 * loading when the filter is built, so only configs with an endpoint load it, before any request.
 */
function endpointClassifier(options: {
  url: string;
  apiKey?: string;
  dispatcher?: Dispatcher;
}): ModerationClassifier {
  const undici = import('undici');
  undici.catch(() => undefined); // a failed load is the first call's error, not an unhandled one
  return async (text, signal) => {
    const { request } = await undici;
    const res = await request(options.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {}),
      },
      body: JSON.stringify({ input: text }),
      signal,
      dispatcher: options.dispatcher,
    });
    const raw = await res.body.text();
    if (res.statusCode >= 400)
      throw new GatewayError({
        status: res.statusCode,
        type: 'server_error',
        code: 'moderation_failed',
        message: `moderation endpoint answered ${res.statusCode}`,
      });
    return JSON.parse(raw) as { results?: unknown[] };
  };
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
  const classify = 'classify' in options ? options.classify : endpointClassifier(options);
  const what = 'classify' in options ? 'moderation deployment' : 'moderation endpoint';

  async function moderate(
    text: string,
    onCall?: FilterCallSink,
    unread?: AbortSignal,
  ): Promise<OutputVerdict> {
    const timeout = AbortSignal.timeout(timeoutMs);
    try {
      const signal = unread ? AbortSignal.any([timeout, unread]) : timeout;
      const body = await classify(text, signal, onCall);
      const hits: FilterHit[] = [];
      const seen = new Set<FilterCategory>();
      for (const r of (body.results ?? []) as ModerationResult[]) {
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
      // Stopped because nobody will read the verdict (the client left): not a timeout.
      if (unread?.aborted && !timeout.aborted) return failed(499, `${what} not waited for`);
      if (err instanceof GatewayError && err.code === 'moderation_failed')
        return failed(err.status, err.message);
      const timedOut =
        err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
      if (timedOut) return failed(408, `${what} timed out after ${timeoutMs} ms`);
      // The router's own deployment: its error says what failed (no upstream body in it).
      if (err instanceof GatewayError) return failed(err.status, `${what}: ${err.message}`);
      return failed(502, `${what} unreachable or invalid reply`);
    }
  }

  return {
    name: 'moderation',
    checkInput: (messages: readonly ChatMessage[], onCall?: FilterCallSink) =>
      moderate(
        collectPromptText({ model: '', messages: [...messages] } as Parameters<
          typeof collectPromptText
        >[0]),
        onCall,
      ),
    checkOutput: moderate,
  };
}

function failed(code: number, message: string): OutputVerdict {
  return { hits: [], evaluated: [], error: { code, message } };
}
