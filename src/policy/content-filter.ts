// The content filter stage: plug-ins (built-in rules, external moderation, others) check the prompt
// and the answer; results are reported in Azure's shape (`prompt_filter_results`,
// `choices[].content_filter_results`, CONTRACTS.md §1.5) and a blocked prompt gets Azure's
// `content_filter` 400 with `innererror.code: ResponsibleAIPolicyViolation` (§1.4).
import { FILE_CHECK_DEFAULTS } from '../config/governance-schema.js';
import type { Config } from '../config/schema.js';
import { GatewayError } from '../core/errors.js';
import { reasoningDetailsOf } from '../core/reasoning-details.js';
import { reasoningTextKeys } from '../core/reasoning-text.js';
import type { ChatChunk, ChatMessage, ChatRequest, ChatResponse } from '../core/wire-types.js';
import type { PdfTextReader } from '../files/pdf-text.js';
import {
  filesBlocked,
  findAttachedFiles,
  pdfsRedacted,
  readAttachedFiles,
  textOf,
  unreadOf,
  unreadVerdict,
  withCheckedFiles,
  type FileCheckOptions,
} from './content-filter-files.js';
import { filterChatStream } from './content-filter-stream.js';
import { withCheckedText } from './content-filter-thinking.js';
import { moderateChatStream } from './moderation-stream.js';
import {
  annotateChoice,
  toAzureResults,
  type AzureFilterResults,
} from './filters/azure-results.js';
import type {
  ContentFilterPlugin,
  FilterCallSink,
  InputVerdict,
  OutputVerdict,
} from './filters/filter-types.js';
import { createModerationFilter, type ModerationClassifier } from './filters/moderation-filter.js';
import {
  RULES_PLUGIN,
  createPatternFilter,
  holdBackChars,
  rulesFor,
  type CompiledRule,
} from './filters/pattern-filter.js';

export interface ContentFilterOptions {
  moderationTimeoutMs?: number;
  moderationApiKey?: string;
  /** Longest match of a regex/PII rule, bounding what a stream holds back (default 64). */
  maxMatchChars?: number;
  /** Extra plug-ins after the built-ins. */
  plugins?: ContentFilterPlugin[];
  /**
   * Calls one of the router's moderation deployments or pools by name
   * (`contentFilter.moderationDeployment`; ModerationsGateway.classify).
   */
  moderateWith?: (
    name: string,
    text: string,
    signal: AbortSignal,
    onCall?: FilterCallSink,
  ) => ReturnType<ModerationClassifier>;
  /** Reads attached PDFs (the runtime's PdfTextPool, kept across reloads; default: a shared one). */
  pdfText?: PdfTextReader;
}

/** `contentFilter` as the filter reads it (`files` may be left out: its defaults). */
export type ContentFilterConfig = Omit<Config['contentFilter'], 'files'> & {
  files?: FileCheckOptions;
};

export class ContentFilter {
  private readonly outputRules: CompiledRule[];
  private readonly inputRules: CompiledRule[];
  /**
   * Plug-ins other than the built-in rules (moderation…): on streams they check sent text. Theirs
   * are the checks a client that leaves stops, on streams and JSON answers alike.
   */
  private readonly streamCheckers: ContentFilterPlugin[];
  readonly holdBack: number;

  constructor(
    private readonly plugins: readonly ContentFilterPlugin[],
    rules: readonly CompiledRule[],
    private readonly files: FileCheckOptions = FILE_CHECK_DEFAULTS,
    private readonly pdfs?: PdfTextReader,
  ) {
    this.outputRules = rulesFor(rules, 'output');
    this.inputRules = rulesFor(rules, 'input');
    this.holdBack = holdBackChars(this.outputRules);
    this.streamCheckers = plugins.filter((p) => p.name !== RULES_PLUGIN);
  }

  /**
   * Check the prompt: redacts in a copy of the request, or throws the content_filter error. The
   * text of the tool definitions and of a `response_format` schema (descriptions, titles, enum
   * values, defaults, examples) goes to the model too: checked as messages are, each as a message
   * of its own, and redacted in place (security audit F1, 2026-12-06: only the messages were).
   * So is the text of each file attached inline (./content-filter-files.ts), after them.
   * `onCall` is told the calls made at the router's own (moderation) deployments.
   */
  async filterInput(
    request: ChatRequest,
    onCall?: FilterCallSink,
  ): Promise<{ request: ChatRequest; promptFilterResults: unknown[] }> {
    const defs = definitionTexts(request);
    const asMessages = defs.map((d) => ({ role: 'user', content: d.text }) as ChatMessage);
    // Read only when a part is an inline file: a prompt without one pays one pass over its parts.
    const attached = this.files.enabled ? findAttachedFiles(request.messages) : undefined;
    const files = attached && (await readAttachedFiles(attached, this.files, this.pdfs));
    const withText = files?.filter((f) => textOf(f) !== undefined) ?? [];
    for (const f of withText) asMessages.push({ role: 'user', content: textOf(f)! } as ChatMessage);
    let messages = request.messages as ChatMessage[];
    if (asMessages.length) messages = [...messages, ...asMessages];
    const verdicts: InputVerdict[] = [];
    for (const plugin of this.plugins) {
      const v = await plugin.checkInput(messages, onCall);
      verdicts.push(v);
      if (v.messages) messages = v.messages;
    }
    const unread = files?.flatMap((f) => {
      const why = unreadOf(f);
      return why ? [{ name: f.name, why }] : [];
    });
    if (unread?.length) verdicts.push(...unread.map((u) => unreadVerdict(u.why)));
    const results = toAzureResults(verdicts);
    if (verdicts.some((v) => v.hits.some((h) => h.action === 'block'))) {
      const where = filesBlocked(withText, this.inputRules);
      throw contentFilterError(
        results,
        blockedBy(verdicts),
        where.length
          ? `in the attached file${where.length > 1 ? 's' : ''} ${where.join(', ')}`
          : '',
      );
    }
    if (unread?.length && this.files.onUnreadable === 'block')
      throw contentFilterError(
        results,
        [],
        `${unread.map((u) => u.why.message).join('; ')}; contentFilter.files.onUnreadable is block`,
      );
    let out = request;
    const n = request.messages.length;
    const checked = messages.slice(n).map((m) => (m as { content?: unknown }).content);
    if (withText.length) {
      const pdfs =
        this.files.pdfRedaction === 'block'
          ? pdfsRedacted(withText, checked.slice(defs.length))
          : [];
      if (pdfs.length)
        throw contentFilterError(
          results,
          redactedBy(verdicts),
          `the attached PDF ${pdfs.join(', ')} holds text these rules redact, which cannot be redacted inside a PDF: remove that text from it or send its text instead`,
        );
    }
    messages = messages.slice(0, n);
    if (defs.length && defs.some((d, i) => checked[i] !== d.text))
      out = withDefinitionTexts(request, checked);
    if (withText.length)
      messages = withCheckedFiles(messages, withText, checked.slice(defs.length));
    if (messages !== request.messages && messages.some((m, i) => m !== request.messages[i]))
      out = { ...out, messages } as ChatRequest;
    return {
      request: out,
      promptFilterResults: [{ prompt_index: 0, content_filter_results: results }],
    };
  }

  /**
   * Check every choice of a whole answer, its text and its thinking (`reasoning_details`, and an
   * OpenAI-format server's `reasoning_content` / `reasoning`, shown to the client too): annotate,
   * redact (a redacted thinking block loses its signature: ./content-filter-thinking.ts), or cut
   * with finish_reason content_filter and no thinking. `onCall` as filterInput's; `onClientGone`
   * as filterStream's: once the client left, the checks in flight are stopped and none starts
   * (nobody reads the answer; until 2026-12-07 its request waited for them, up to the moderation
   * timeout).
   */
  async filterOutput(
    response: ChatResponse,
    onCall?: FilterCallSink,
    onClientGone?: (fn: () => void) => () => void,
  ): Promise<ChatResponse> {
    // Made only where a plug-in calls out: the built-in rules have nothing to stop.
    if (!onClientGone || this.streamCheckers.length === 0)
      return this.filterChoices(response, onCall);
    const unread = new AbortController();
    const offClientGone = onClientGone(() => unread.abort());
    try {
      return await this.filterChoices(response, onCall, unread.signal);
    } finally {
      offClientGone();
    }
  }

  /** filterOutput's work; `signal` aborts once nobody will read the answer. */
  private async filterChoices(
    response: ChatResponse,
    onCall: FilterCallSink | undefined,
    signal?: AbortSignal,
  ): Promise<ChatResponse> {
    for (const choice of response.choices) {
      const message = choice.message as {
        content?: string | null;
        reasoning_details?: unknown;
        tool_calls?: { function?: { arguments?: unknown } }[];
      };
      const details = reasoningDetailsOf(message);
      // An OpenAI-format server's reasoning text (`reasoning_content`, `reasoning`) is shown to
      // the client as Claude's thinking is (before, it went out unread).
      const reasoningKeys = reasoningTextKeys(message);
      const reasoning = message as Record<string, unknown>;
      // Each text once: vLLM 0.10 sent the same text in both fields, which was checked (a
      // moderation call, its hits) twice. What it becomes is written to each field holding it.
      const reasoningTexts = [...new Set(reasoningKeys.map((k) => reasoning[k] as string))];
      // The arguments of the tools the model calls are its answer too (security audit F1).
      const calls = Array.isArray(message.tool_calls) ? message.tool_calls : [];
      const check = (text: string) => this.checkOutput(text, onCall, signal);
      const [content, ...rest] = await Promise.all([
        check(typeof message.content === 'string' ? message.content : ''),
        ...(details ?? []).map((d) =>
          typeof d.thinking === 'string' ? check(d.thinking) : undefined,
        ),
        ...reasoningTexts.map(check),
        ...calls.map((c) =>
          typeof c?.function?.arguments === 'string' ? check(c.function.arguments) : undefined,
        ),
      ]);
      const thinking = rest.slice(0, details?.length ?? 0);
      const reasoned = rest.slice(thinking.length, thinking.length + reasoningTexts.length);
      const args = rest.slice(thinking.length + reasoningTexts.length);
      const verdicts = [content!, ...rest].flatMap((c) => c?.verdicts ?? []);
      annotateChoice(choice, toAzureResults(verdicts));
      if (verdicts.some((v) => v.hits.some((h) => h.action === 'block'))) {
        message.content = '';
        delete message.reasoning_details;
        for (const k of reasoningKeys) delete reasoning[k];
        delete message.tool_calls;
        (choice as { finish_reason: string }).finish_reason = 'content_filter';
        continue;
      }
      if (typeof message.content === 'string') message.content = content!.text;
      for (const k of reasoningKeys)
        reasoning[k] = reasoned[reasoningTexts.indexOf(reasoning[k] as string)]!.text;
      calls.forEach((c, i) => {
        const checked = args[i];
        if (checked && c.function) c.function.arguments = checked.text;
      });
      if (details)
        message.reasoning_details = details.map((d, i) => {
          const checked = thinking[i];
          return checked ? withCheckedText(d, checked.text) : d;
        });
    }
    return response;
  }

  /** One text of an answer through every plug-in in turn (each sees the last one's redactions). */
  private async checkOutput(
    text: string,
    onCall: FilterCallSink | undefined,
    signal: AbortSignal | undefined,
  ): Promise<{ text: string; verdicts: OutputVerdict[] }> {
    const verdicts: OutputVerdict[] = [];
    for (const plugin of this.plugins) {
      // The client left: no call is made for a verdict nobody will read.
      if (signal?.aborted) break;
      const v = await plugin.checkOutput(text, onCall, signal);
      verdicts.push(v);
      if (v.text !== undefined) text = v.text;
    }
    return { text, verdicts };
  }

  /**
   * Filter a stream as it flows. The built-in rules hold back at most `holdBack` characters per
   * choice so rules split across chunks still match; other plug-ins (moderation) check the text
   * sent so far every 1,000 characters and the whole text before the finish (src/policy/
   * moderation-stream.ts). A block ends the stream with finish_reason `content_filter`.
   * `onCall` as filterInput's; `onClientGone` tells when the client left, which stops the checks
   * in flight (their verdicts unread).
   */
  filterStream(
    chunks: AsyncIterable<ChatChunk>,
    onCall?: FilterCallSink,
    onClientGone?: (fn: () => void) => () => void,
  ): AsyncIterable<ChatChunk> {
    let out = chunks;
    if (this.outputRules.length > 0) out = filterChatStream(out, this.outputRules, this.holdBack);
    if (this.streamCheckers.length > 0)
      out = moderateChatStream(out, this.streamCheckers, undefined, onCall, onClientGone);
    return out;
  }
}

/** Build the filter from config; undefined when the filter is disabled. */
export function createContentFilter(
  config: ContentFilterConfig,
  options: ContentFilterOptions = {},
): ContentFilter | undefined {
  if (!config.enabled) return undefined;
  const patterns = createPatternFilter(config.rules, options.maxMatchChars);
  const plugins: ContentFilterPlugin[] = [patterns];
  if (config.moderationUrl)
    plugins.push(
      createModerationFilter({
        url: config.moderationUrl,
        timeoutMs: options.moderationTimeoutMs,
        apiKey: options.moderationApiKey,
      }),
    );
  const deployment = config.moderationDeployment;
  const moderateWith = options.moderateWith;
  if (deployment && moderateWith)
    plugins.push(
      createModerationFilter({
        classify: (text, signal, onCall) => moderateWith(deployment, text, signal, onCall),
        timeoutMs: options.moderationTimeoutMs,
      }),
    );
  plugins.push(...(options.plugins ?? []));
  return new ContentFilter(plugins, patterns.rules, config.files, options.pdfText);
}

function blockedBy(verdicts: readonly InputVerdict[]): string[] {
  return rulesActing(verdicts, 'block');
}

function redactedBy(verdicts: readonly InputVerdict[]): string[] {
  return rulesActing(verdicts, 'redact');
}

function rulesActing(verdicts: readonly InputVerdict[], action: string): string[] {
  return [
    ...new Set(
      verdicts.flatMap((v) => v.hits.filter((h) => h.action === action).map((h) => h.ruleId)),
    ),
  ];
}

/**
 * Azure's prompt-blocked error (CONTRACTS.md §1.4); `rules` names what fired and `where` where
 * (an attached file), never the text.
 */
export function contentFilterError(
  results: AzureFilterResults,
  rules: readonly string[] = [],
  where = '',
): GatewayError {
  const said = [rules.length ? `rules: ${rules.join(', ')}` : '', where].filter(Boolean);
  return new GatewayError({
    status: 400,
    type: 'invalid_request_error',
    code: 'content_filter',
    param: 'prompt',
    message:
      "The response was filtered due to the prompt triggering the router's content management policy" +
      (said.length ? ` (${said.join('; ')})` : '') +
      '. Please modify your prompt and retry.',
    details: {
      status: 400,
      innererror: { code: 'ResponsibleAIPolicyViolation', content_filter_result: results },
    },
  });
}

/** Keys whose string values in a tool definition or a schema are text the model reads. */
const TEXT_KEYS = new Set(['description', 'title', 'default', 'const', 'examples', 'enum']);

/** Where the request's tools and `response_format` hold text the model reads, in walk order. */
function definitionTexts(request: ChatRequest): { text: string }[] {
  const out: { text: string }[] = [];
  walkTexts(definitionsOf(request), (text) => {
    out.push({ text });
    return text;
  });
  return out;
}

/** The request with those texts replaced by `texts` (same order), in copies. */
function withDefinitionTexts(request: ChatRequest, texts: readonly unknown[]): ChatRequest {
  const copy = structuredClone(definitionsOf(request));
  let i = 0;
  walkTexts(copy, (text) => {
    const next = texts[i++];
    return typeof next === 'string' ? next : text;
  });
  return { ...request, tools: copy.tools, response_format: copy.response_format } as ChatRequest;
}

function definitionsOf(request: ChatRequest): { tools?: unknown; response_format?: unknown } {
  const r = request as { tools?: unknown; response_format?: unknown };
  return { tools: r.tools, response_format: r.response_format };
}

/**
 * Each text under a TEXT_KEYS key, anywhere in `value`, replaced by what `visit` returns where
 * that differs (a visit that returns its text, as definitionTexts' does, writes nothing).
 */
function walkTexts(value: unknown, visit: (text: string) => string, inText = false): void {
  if (Array.isArray(value)) {
    value.forEach((v, i) => {
      if (typeof v !== 'string') walkTexts(v, visit, inText);
      else if (inText) {
        const next = visit(v);
        if (next !== v) value[i] = next;
      }
    });
    return;
  }
  if (!value || typeof value !== 'object') return;
  const o = value as Record<string, unknown>;
  for (const [k, v] of Object.entries(o)) {
    if (typeof v !== 'string') walkTexts(v, visit, TEXT_KEYS.has(k));
    else if (TEXT_KEYS.has(k)) {
      const next = visit(v);
      if (next !== v) o[k] = next;
    }
  }
}
