// `model-router compare`: send each prompt to each target of a live OpenAI-compatible endpoint
// (this router, Azure OpenAI / Foundry, vLLM, …), and to a router in each routing mode, bounded in
// count, concurrency and time; record what served, latency, TTFT, tokens, cost and, where the
// prompt file carries reference answers or scores, quality.
import { parseSse } from '../providers/sse-parser.js';
import type { ComparePrompt, Price } from './compare-inputs.js';
import { summarizeRun, type RunSummary } from './compare-summary.js';
import { promptKind } from './distribution.js';

export interface CompareTarget {
  /** The model / deployment name sent. */
  target: string;
  /** Routing mode asked of a router target (`x-router-mode`), if any. */
  mode?: string;
  /** Run label: `target` or `target (mode)`. */
  label: string;
}

export interface CompareOptions {
  endpoint: string;
  apiKey?: string;
  /** Azure OpenAI style (`/openai/deployments/{target}/chat/completions?api-version=`). */
  apiVersion?: string;
  prompts: ComparePrompt[];
  targets: CompareTarget[];
  concurrency: number;
  requestTimeoutMs: number;
  /** Stop starting requests (and abort those running) after this long. */
  deadlineMs: number;
  maxTokens?: number;
  stream: boolean;
  prices: Map<string, Price>;
  /**
   * Other names a prompt's `scores` may give a target's answer under: the name scored.jsonl
   * writes it under (a target → model), and each deployment's routing-model name (its `like:`,
   * as /v1/models says), so compare's own scored.jsonl, or routing data, grade it again.
   */
  scoreNames?: ReadonlyMap<string, string>;
  likes?: ReadonlyMap<string, string>;
  onProgress?: (done: number, total: number) => void;
}

export interface CompareRow {
  prompt_id: string;
  run: string;
  target: string;
  mode_asked?: string;
  mode_served?: string;
  status: number;
  ok: boolean;
  served_model?: string;
  deployment?: string;
  latency_ms: number;
  ttft_ms?: number;
  prompt_tokens?: number;
  cached_tokens?: number;
  completion_tokens?: number;
  cost_usd?: number;
  quality?: number;
  error?: string;
  source?: string;
  category?: string;
  /** `promptKind` of the prompt text (code-like, math-like, multiple choice, …). */
  prompt_kind: string;
  prompt_chars: number;
  answer_chars: number;
}

export interface CompareResult {
  endpoint: string;
  started_at: string;
  finished_at: string;
  prompts: number;
  runs: RunSummary[];
  rows: CompareRow[];
  /** Requests not sent because the deadline passed. */
  skipped: number;
}

/** The chat-completions URL for a target. */
export function chatUrl(endpoint: string, target: string, apiVersion?: string): string {
  const base = endpoint.replace(/\/+$/, '');
  if (apiVersion) {
    const root = base.replace(/\/openai$/, '');
    return `${root}/openai/deployments/${encodeURIComponent(target)}/chat/completions?api-version=${encodeURIComponent(apiVersion)}`;
  }
  return /\/v1$/.test(base) ? `${base}/chat/completions` : `${base}/v1/chat/completions`;
}

/**
 * What the endpoint says of itself (this router's `/v1/models`): router names, prices, and the
 * routing model each deployment is `like:` (its model part, without a data file).
 */
export async function discoverEndpoint(
  endpoint: string,
  apiKey: string | undefined,
  apiVersion?: string,
): Promise<{ routers: Set<string>; prices: Map<string, Price>; likes: Map<string, string> }> {
  const base = endpoint.replace(/\/+$/, '');
  const url = apiVersion
    ? `${base.replace(/\/openai$/, '')}/openai/v1/models`
    : /\/v1$/.test(base)
      ? `${base}/models`
      : `${base}/v1/models`;
  const routers = new Set<string>();
  const prices = new Map<string, Price>();
  const likes = new Map<string, string>();
  try {
    const res = await fetch(url, {
      headers: authHeaders(apiKey),
      signal: AbortSignal.timeout(5000),
    });
    if (!res.ok) return { routers, prices, likes };
    const body = (await res.json()) as {
      data?: {
        id?: string;
        type?: string;
        model?: string;
        like?: unknown;
        prices_per_1m_usd?: Price;
      }[];
    };
    for (const m of body.data ?? []) {
      if (!m.id) continue;
      if (m.type === 'router') routers.add(m.id);
      // `like: <data file>:<model>` names the model within one group; scores name the model
      // (a model name may hold a colon itself, as Ollama's do: only a .jsonl prefix is a file).
      if (typeof m.like === 'string' && m.like)
        likes.set(m.id, m.like.replace(/^[^:]*\.jsonl:/, ''));
      const p = m.prices_per_1m_usd;
      if (p && typeof p.inputPer1M === 'number' && typeof p.outputPer1M === 'number') {
        prices.set(m.id, p);
        if (m.model && !prices.has(m.model)) prices.set(m.model, p);
      }
    }
  } catch {
    // Not this router, or no models endpoint: targets are then plain deployments.
  }
  return { routers, prices, likes };
}

function authHeaders(apiKey: string | undefined): Record<string, string> {
  return apiKey ? { authorization: `Bearer ${apiKey}`, 'api-key': apiKey } : {};
}

const normalise = (s: string) =>
  s
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();

/** Quality of one answer: the prompt's known score for what served, else 1/0 for whether the
 * answer contains the reference answer (normalised), else undefined. */
export function gradeAnswer(
  prompt: ComparePrompt,
  answer: string,
  names: (string | undefined)[],
): number | undefined {
  if (prompt.scores)
    for (const n of names) if (n && prompt.scores[n] !== undefined) return prompt.scores[n];
  if (prompt.reference !== undefined) {
    const ref = normalise(prompt.reference);
    if (!ref) return undefined;
    return ` ${normalise(answer)} `.includes(` ${ref} `) ? 1 : 0;
  }
  return undefined;
}

export function costOf(
  prices: Map<string, Price>,
  names: (string | undefined)[],
  usage: { prompt: number; cached: number; completion: number },
): number | undefined {
  let p: Price | undefined;
  for (const n of names) if (n && (p = prices.get(n))) break;
  if (!p) return undefined;
  const cachedRate = p.cachedInputPer1M ?? p.inputPer1M;
  return (
    ((usage.prompt - usage.cached) * p.inputPer1M +
      usage.cached * cachedRate +
      usage.completion * p.outputPer1M) /
    1e6
  );
}

interface Usage {
  prompt_tokens?: number;
  completion_tokens?: number;
  prompt_tokens_details?: { cached_tokens?: number };
}

async function callOnce(
  opts: CompareOptions,
  prompt: ComparePrompt,
  t: CompareTarget,
  stop: AbortSignal,
): Promise<CompareRow> {
  const started = performance.now();
  const row: CompareRow = {
    prompt_id: prompt.id,
    run: t.label,
    target: t.target,
    ...(t.mode ? { mode_asked: t.mode } : {}),
    status: 0,
    ok: false,
    latency_ms: 0,
    prompt_kind: promptKind(prompt.text),
    prompt_chars: prompt.text.length,
    answer_chars: 0,
    ...(prompt.source ? { source: prompt.source } : {}),
    ...(prompt.category ? { category: prompt.category } : {}),
  };
  const body: Record<string, unknown> = { model: t.target, messages: prompt.messages };
  if (opts.maxTokens) body.max_tokens = opts.maxTokens;
  if (opts.stream) {
    body.stream = true;
    body.stream_options = { include_usage: true };
  }
  const signal = AbortSignal.any([stop, AbortSignal.timeout(opts.requestTimeoutMs)]);
  let answer = '';
  let usage: Usage | undefined;
  try {
    const res = await fetch(chatUrl(opts.endpoint, t.target, opts.apiVersion), {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...authHeaders(opts.apiKey),
        ...(t.mode ? { 'x-router-mode': t.mode } : {}),
      },
      body: JSON.stringify(body),
      signal,
    });
    row.status = res.status;
    const deployment = res.headers.get('x-router-deployment');
    if (deployment) row.deployment = deployment;
    const modeServed = res.headers.get('x-router-mode');
    if (modeServed) row.mode_served = modeServed;
    if (!res.ok) {
      const text = await res.text();
      let message = text.slice(0, 300);
      try {
        const e = JSON.parse(text) as { error?: { message?: string } };
        if (e.error?.message) message = e.error.message;
      } catch {
        // not JSON: keep the text
      }
      row.error = `${res.status}: ${message}`;
    } else if (opts.stream && res.body) {
      for await (const msg of parseSse(res.body as unknown as AsyncIterable<Uint8Array>, signal)) {
        if (msg.data === '[DONE]') break;
        const chunk = JSON.parse(msg.data) as {
          model?: string;
          error?: { message?: string };
          usage?: Usage | null;
          choices?: { delta?: { content?: string | null; tool_calls?: unknown[] } }[];
        };
        if (chunk.error) throw new Error(chunk.error.message ?? 'error event in the stream');
        if (chunk.model) row.served_model = chunk.model;
        const delta = chunk.choices?.[0]?.delta;
        if (delta && (delta.content || delta.tool_calls?.length) && row.ttft_ms === undefined)
          row.ttft_ms = performance.now() - started;
        if (delta?.content) answer += delta.content;
        if (chunk.usage) usage = chunk.usage;
      }
      row.ok = true;
    } else {
      const json = (await res.json()) as {
        model?: string;
        usage?: Usage;
        choices?: { message?: { content?: string | null } }[];
      };
      if (json.model) row.served_model = json.model;
      answer = json.choices?.[0]?.message?.content ?? '';
      usage = json.usage;
      row.ok = true;
    }
  } catch (err) {
    row.ok = false;
    const e = err as Error;
    row.error =
      e.name === 'TimeoutError'
        ? `timed out after ${opts.requestTimeoutMs} ms`
        : stop.aborted
          ? 'aborted: the compare deadline passed'
          : `${e.name}: ${e.message}${causeOf(e)}`;
  }
  row.latency_ms = performance.now() - started;
  row.answer_chars = answer.length;
  if (row.ok) {
    const names = [
      row.deployment,
      row.served_model,
      t.target,
      opts.scoreNames?.get(t.target),
      row.deployment === undefined ? undefined : opts.likes?.get(row.deployment),
    ];
    if (usage) {
      row.prompt_tokens = usage.prompt_tokens ?? 0;
      row.completion_tokens = usage.completion_tokens ?? 0;
      row.cached_tokens = usage.prompt_tokens_details?.cached_tokens ?? 0;
      const cost = costOf(opts.prices, names, {
        prompt: row.prompt_tokens,
        cached: row.cached_tokens,
        completion: row.completion_tokens,
      });
      if (cost !== undefined) row.cost_usd = cost;
    }
    const q = gradeAnswer(prompt, answer, names);
    if (q !== undefined) row.quality = q;
  }
  return row;
}

/** Runs every prompt against every target with at most `concurrency` requests in flight. Jobs go
 * prompt by prompt, so a run cut short by the deadline still compares targets on the same prompts. */
/** fetch's "fetch failed" says nothing: its cause does (ECONNREFUSED 127.0.0.1:8080, ENOTFOUND). */
function causeOf(e: Error): string {
  const cause = (e as { cause?: { code?: unknown; message?: unknown } }).cause;
  if (!cause) return '';
  const said = typeof cause.message === 'string' && cause.message ? cause.message : cause.code;
  return said ? ` (${String(said)})` : '';
}

export async function runCompare(opts: CompareOptions): Promise<CompareResult> {
  const startedAt = new Date();
  const jobs: [ComparePrompt, CompareTarget][] = [];
  for (const p of opts.prompts) for (const t of opts.targets) jobs.push([p, t]);
  const stop = new AbortController();
  const timer = setTimeout(() => stop.abort(new Error('deadline')), opts.deadlineMs);
  timer.unref?.();
  const rows: (CompareRow | undefined)[] = new Array(jobs.length);
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (!stop.signal.aborted) {
      const i = next++;
      if (i >= jobs.length) return;
      const [p, t] = jobs[i]!;
      rows[i] = await callOnce(opts, p, t, stop.signal);
      opts.onProgress?.(++done, jobs.length);
    }
  };
  try {
    await Promise.all(
      Array.from({ length: Math.max(1, Math.min(opts.concurrency, jobs.length)) }, worker),
    );
  } finally {
    clearTimeout(timer);
  }
  const finished = rows.filter((r): r is CompareRow => r !== undefined);
  return {
    endpoint: opts.endpoint,
    started_at: startedAt.toISOString(),
    finished_at: new Date().toISOString(),
    prompts: opts.prompts.length,
    runs: opts.targets.map((t) => summarizeRun(t, finished)),
    rows: finished,
    skipped: jobs.length - finished.length,
  };
}
