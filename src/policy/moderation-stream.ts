// Moderation plug-ins on a streamed answer, as Azure's asynchronous filter does: text flows at once
// (no first-token delay), each choice's text is sent to the plug-ins whenever another `segment`
// characters have gone out, and a flag found mid-stream ends that stream with finish_reason
// `content_filter` at the next chunk. A choice's finish is held until the plug-ins have seen its
// whole text, so the last verdict covers all of it and its `content_filter_results` say what
// was checked. A choice's text is what the client is shown: Claude's thinking (`reasoning_details`)
// or an OpenAI-format server's reasoning text (`reasoning_content`, `reasoning`), and the answer,
// each block apart by a blank line. Text already sent cannot be recalled: clients that must never show flagged text
// should not stream (the whole-answer filter checks before anything is sent). The upstream's usage
// goes out once every check has ended, so a cost it carries counts them all (served-answer.ts);
// a client that leaves stops the checks in flight, whose verdicts nobody will read.
import { reasoningDetailsOf } from '../core/reasoning-details.js';
import { reasoningTextKeys, reasoningTextOf } from '../core/reasoning-text.js';
import { chunkFields, type ChatChunk } from '../core/wire-types.js';
import { annotateChoice, toAzureResults } from './filters/azure-results.js';
import type { ContentFilterPlugin, FilterCallSink, OutputVerdict } from './filters/filter-types.js';

/** Characters of new text per choice between two moderation calls. */
export const MODERATION_SEGMENT_CHARS = 1000;

interface ChoiceState {
  text: string;
  /** Where the last text came from (a thinking block's index, reasoning text, the answer). */
  source?: number | 'reasoning' | 'answer';
  checkedUpTo: number;
  /** Checks started, and the latest whose verdicts are kept (a slow early one cannot overwrite). */
  started: number;
  kept: number;
  /** The latest check in flight or done (each covers all text sent before it started). */
  check?: Promise<OutputVerdict[]>;
  verdicts?: OutputVerdict[];
}

const blocks = (verdicts: readonly OutputVerdict[] | undefined) =>
  !!verdicts?.some((v) => v.hits.some((h) => h.action === 'block'));

export async function* moderateChatStream(
  chunks: AsyncIterable<ChatChunk>,
  plugins: readonly ContentFilterPlugin[],
  segment = MODERATION_SEGMENT_CHARS,
  /** Told the plug-ins' calls at the router's own deployments (the request's record counts them). */
  onCall?: FilterCallSink,
  /** Calls `fn` once the stream's client left (at once if it has); returns what takes it back. */
  onClientGone?: (fn: () => void) => () => void,
): AsyncGenerator<ChatChunk> {
  const choices = new Map<number, ChoiceState>();
  const state = (index: number) => {
    let s = choices.get(index);
    if (!s) choices.set(index, (s = { text: '', checkedUpTo: 0, started: 0, kept: 0 }));
    return s;
  };
  /** Every check started and not yet done, superseded or not: waited for before the end. */
  const running = new Set<Promise<OutputVerdict[]>>();
  /**
   * Aborts the checks once the client left (made at the first check): nobody reads their
   * verdicts, and the request's end need not wait for them (until 2026-12-07 it did, up to the
   * moderation timeout). A call a check made is still told to `onCall`, charged its text.
   */
  let unread: AbortController | undefined;
  let offClientGone: (() => void) | undefined;
  const check = (s: ChoiceState) => {
    if (onClientGone && !unread) {
      const stop = (unread = new AbortController());
      offClientGone = onClientGone(() => stop.abort());
    }
    // Gone already: no call is made for a verdict nobody will read.
    if (unread?.signal.aborted) return;
    const text = s.text;
    const seq = ++s.started;
    s.checkedUpTo = text.length;
    // A plug-in that throws does not block (as a moderation timeout does not); it is reported.
    const signal = unread?.signal;
    const run = Promise.all(plugins.map(async (p) => p.checkOutput(text, onCall, signal))).catch(
      (err: unknown): OutputVerdict[] => [
        { hits: [], evaluated: [], error: { code: 500, message: String(err) } },
      ],
    );
    running.add(run);
    void run.then(() => running.delete(run));
    s.check = run.then((verdicts) => {
      // A later check supersedes an earlier one; a block is never undone.
      if (seq > s.kept && !blocks(s.verdicts)) {
        s.kept = seq;
        s.verdicts = verdicts;
      }
      return verdicts;
    });
  };
  const append = (s: ChoiceState, source: NonNullable<ChoiceState['source']>, text: string) => {
    if (!text) return;
    if (s.text && s.source !== source) s.text += '\n\n';
    s.source = source;
    s.text += text;
  };
  const results = (s: ChoiceState) => toAzureResults(s.verdicts ?? []);
  const cut = (template: ChatChunk, index: number, s: ChoiceState): ChatChunk =>
    ({
      ...template,
      choices: [
        {
          index,
          delta: {},
          finish_reason: 'content_filter',
          logprobs: null,
          content_filter_results: results(s),
        },
      ],
      usage: null,
    }) as unknown as ChatChunk;

  let last: ChatChunk | undefined;
  /** The upstream's usage-only chunks, held until every check has ended. */
  const usageChunks: ChatChunk[] = [];
  try {
    // for await returns the upstream iterator when this stream ends early or is abandoned.
    for await (const raw of chunks) {
      const chunk = chunkFields(raw);
      last = chunk;
      // A flag that arrived since the last chunk ends the stream before more text goes out.
      for (const [index, s] of choices) if (blocks(s.verdicts)) return yield cut(chunk, index, s);
      if (!chunk.choices?.length && chunk.usage) {
        usageChunks.push(chunk);
        continue;
      }
      for (const choice of chunk.choices ?? []) {
        const s = state(choice.index);
        for (const d of reasoningDetailsOf(choice.delta) ?? [])
          if (typeof d.thinking === 'string') append(s, d.index ?? 0, d.thinking);
        const reasoning = reasoningTextOf(choice.delta);
        if (reasoning) append(s, 'reasoning', reasoning);
        const content = (choice.delta as { content?: unknown } | undefined)?.content;
        if (typeof content === 'string') append(s, 'answer', content);
        if (choice.finish_reason != null) {
          // Hold the finish until the whole text is checked.
          if (s.checkedUpTo < s.text.length || !s.check) check(s);
          await s.check;
          annotateChoice(choice, results(s));
          if (blocks(s.verdicts)) {
            (choice as { finish_reason: string }).finish_reason = 'content_filter';
            if (choice.delta) {
              (choice.delta as { content?: unknown }).content = '';
              delete (choice.delta as { reasoning_details?: unknown }).reasoning_details;
              for (const key of reasoningTextKeys(choice.delta))
                delete (choice.delta as Record<string, unknown>)[key];
            }
          }
        } else if (s.text.length - s.checkedUpTo >= segment) check(s);
      }
      // A usage on a finish (some servers send it there) waits for every check too.
      if (chunk.usage && chunk.choices?.some((c) => c.finish_reason != null))
        await Promise.all(running);
      yield chunk;
      if (chunk.choices?.some((c) => c.finish_reason === 'content_filter')) return;
    }
    // The upstream ended without finishing a choice: the last verdict still covers its whole text.
    let cutAt: ChatChunk | undefined;
    for (const [index, s] of choices) {
      if (s.checkedUpTo < s.text.length || !s.check) check(s);
      await s.check;
      if (blocks(s.verdicts) && last) {
        cutAt = cut(last, index, s);
        break;
      }
    }
    if (cutAt) yield cutAt;
    // The usage last, as OpenAI sends it, once every check has ended (a check still running at
    // the finish, the last one of a stream with no finish): the cost `usage: {include: true}`
    // puts in it is then the record's (until 2026-12-07 it left those checks' calls out).
    if (usageChunks.length) {
      await Promise.all(running);
      yield* usageChunks;
    }
  } finally {
    // However the stream ends (finished, cut, failed, abandoned by the client), the checks still
    // running are waited for (each within the plug-in's own timeout), so that every call they
    // make is told to `onCall` before the stream is over and its request settled (until
    // 2026-12-06 a superseded check, or the last one of a stream with no finish, ended after the
    // request's record and counted nowhere). Once the client left they are aborted: each ends
    // at once, its call (if made) told to `onCall` as stopped, charged the text it sent.
    await Promise.all(running);
    offClientGone?.();
  }
}
