// Built-in rules from `contentFilter.rules`: keyword lists, regular expressions and PII detectors,
// each with block / redact / annotate. All patterns are compiled once when the filter is built.
// The scanner is also used by the streaming filter, which needs match positions.
import type { Config } from '../../config/schema.js';
import type { ChatMessage } from '../../core/wire-types.js';
import type {
  ContentFilterPlugin,
  FilterAction,
  FilterCategory,
  FilterHit,
  InputVerdict,
  OutputVerdict,
} from './filter-types.js';
import { isPiiKind, PII_DETECTORS, PII_KINDS } from './pii-patterns.js';

export type RuleConfig = Config['contentFilter']['rules'][number];
export type Direction = 'input' | 'output';

interface CompiledPattern {
  regex: RegExp;
  accept?: (m: string) => boolean;
  label: string;
}

export interface CompiledRule {
  id: string;
  action: FilterAction;
  category: FilterCategory;
  appliesTo: RuleConfig['appliesTo'];
  patterns: CompiledPattern[];
  /** Longest text one match can span (keywords: exact; regex/PII: a bound). */
  maxChars: number;
}

export interface TextMatch {
  start: number;
  end: number;
  rule: CompiledRule;
  label: string;
}

/** Longest text a regex or PII rule is expected to match; bounds the streaming hold-back. */
export const DEFAULT_MAX_MATCH_CHARS = 64;

export function compileRules(
  rules: readonly RuleConfig[],
  maxMatchChars = DEFAULT_MAX_MATCH_CHARS,
): CompiledRule[] {
  return rules.map((r) => ({
    maxChars: r.kind === 'keyword' ? Math.max(...r.patterns.map((p) => p.length)) : maxMatchChars,
    id: r.id,
    action: r.action,
    appliesTo: r.appliesTo,
    category: r.kind === 'pii' ? 'personally_identifiable_information' : 'custom_blocklists',
    patterns: compilePatterns(r),
  }));
}

function compilePatterns(r: RuleConfig): CompiledPattern[] {
  if (r.kind === 'keyword') {
    const words = r.patterns.map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
    // Whole words, any case: "class" must not fire inside "classic".
    return [
      {
        regex: new RegExp(`(?<![\\p{L}\\p{N}_])(?:${words.join('|')})(?![\\p{L}\\p{N}_])`, 'giu'),
        label: r.id,
      },
    ];
  }
  if (r.kind === 'regex') {
    return r.patterns.map((p) => {
      try {
        return { regex: new RegExp(p, 'gu'), label: r.id };
      } catch (err) {
        throw new Error(
          `contentFilter.rules "${r.id}": invalid regex ${JSON.stringify(p)}: ${(err as Error).message}`,
        );
      }
    });
  }
  return r.patterns.map((p) => {
    if (!isPiiKind(p))
      throw new Error(
        `contentFilter.rules "${r.id}": unknown PII kind "${p}" (${PII_KINDS.join(', ')})`,
      );
    const d = PII_DETECTORS[p];
    return { regex: new RegExp(d.pattern.source, d.pattern.flags), accept: d.accept, label: p };
  });
}

/** How many trailing characters a stream must hold back so no match is missed across chunks. */
export function holdBackChars(rules: readonly CompiledRule[]): number {
  return rules.reduce((n, r) => Math.max(n, r.maxChars), 0);
}

export function rulesFor(rules: readonly CompiledRule[], direction: Direction): CompiledRule[] {
  return rules.filter((r) => r.appliesTo === 'both' || r.appliesTo === direction);
}

/** Every match of every rule, sorted by start. */
export function scanText(text: string, rules: readonly CompiledRule[]): TextMatch[] {
  const out: TextMatch[] = [];
  for (const rule of rules) {
    for (const p of rule.patterns) {
      p.regex.lastIndex = 0;
      for (const m of text.matchAll(p.regex)) {
        if (m[0].length === 0) continue;
        if (p.accept && !p.accept(m[0])) continue;
        out.push({ start: m.index, end: m.index + m[0].length, rule, label: p.label });
      }
    }
  }
  return out.sort((a, b) => a.start - b.start || b.end - a.end);
}

/** Replace redact-matches in `text` (already offset-relative) with `[redacted:<label>]`. */
export function applyRedactions(text: string, matches: readonly TextMatch[], offset = 0): string {
  let out = '';
  let pos = 0;
  for (const m of matches) {
    if (m.rule.action !== 'redact') continue;
    const s = m.start - offset;
    const e = m.end - offset;
    if (s < pos) continue; // overlaps one already redacted
    out += text.slice(pos, s) + `[redacted:${m.label}]`;
    pos = e;
  }
  return out + text.slice(pos);
}

export function hitsOf(matches: readonly TextMatch[], plugin: string): FilterHit[] {
  const seen = new Set<string>();
  const hits: FilterHit[] = [];
  for (const m of matches) {
    const k = `${m.rule.id}:${m.label}`;
    if (seen.has(k)) continue;
    seen.add(k);
    hits.push({ plugin, ruleId: m.rule.id, category: m.rule.category, action: m.rule.action });
  }
  return hits;
}

/** The built-in rules as a plug-in. */
/** The built-in rules' plug-in name (streams run them through the hold-back scanner instead). */
export const RULES_PLUGIN = 'rules';

export function createPatternFilter(
  rawRules: readonly RuleConfig[],
  maxMatchChars = DEFAULT_MAX_MATCH_CHARS,
): ContentFilterPlugin & { rules: CompiledRule[] } {
  const rules = compileRules(rawRules, maxMatchChars);
  const inputRules = rulesFor(rules, 'input');
  const outputRules = rulesFor(rules, 'output');
  const evaluated = (rs: CompiledRule[]) => [...new Set(rs.map((r) => r.category))];
  return {
    name: RULES_PLUGIN,
    rules,
    checkInput(messages: readonly ChatMessage[]): InputVerdict {
      const hits: FilterHit[] = [];
      let redacted = false;
      /** A text of the prompt scanned: its redacted form, or undefined where it is unchanged. */
      const scan = (text: string): string | undefined => {
        const matches = scanText(text, inputRules);
        if (!matches.length) return undefined;
        hits.push(...hitsOf(matches, 'rules'));
        const redactedText = applyRedactions(text, matches);
        return redactedText === text ? undefined : redactedText;
      };
      const out = messages.map((original) => {
        // The arguments of the tool calls an assistant turn made go upstream too (and with them
        // a credential the user pasted into an earlier answer): scanned as text is (before, only
        // `content` was: security audit F1, 2026-12-06).
        const message = withScannedToolCalls(original, scan);
        if (message !== original) redacted = true;
        const content = (message as { content?: unknown }).content;
        if (typeof content === 'string') {
          const text = scan(content);
          if (text === undefined) return message;
          redacted = true;
          return { ...message, content: text } as ChatMessage;
        }
        if (!Array.isArray(content)) return message;
        let changed = false;
        const parts = content.map((part: { type?: string; text?: unknown }) => {
          if (typeof part?.text !== 'string') return part;
          const text = scan(part.text);
          if (text === undefined) return part;
          changed = true;
          return { ...part, text };
        });
        if (!changed) return message;
        redacted = true;
        return { ...message, content: parts } as ChatMessage;
      });
      return { hits, evaluated: evaluated(inputRules), ...(redacted ? { messages: out } : {}) };
    },
    checkOutput(text: string): OutputVerdict {
      const matches = scanText(text, outputRules);
      const redacted = matches.length ? applyRedactions(text, matches) : text;
      return {
        hits: hitsOf(matches, 'rules'),
        evaluated: evaluated(outputRules),
        ...(redacted !== text ? { text: redacted } : {}),
      };
    },
  };
}

/**
 * `message` with its tool calls' arguments (function calls) and inputs (custom tool calls) put
 * through `scan`; the same object where none changed.
 */
function withScannedToolCalls(
  message: ChatMessage,
  scan: (text: string) => string | undefined,
): ChatMessage {
  const calls = (message as { tool_calls?: unknown }).tool_calls;
  if (!Array.isArray(calls) || calls.length === 0) return message;
  let changed = false;
  const scanned = calls.map((call: Record<string, unknown>) => {
    const fn = call?.function as { arguments?: unknown } | undefined;
    if (typeof fn?.arguments === 'string') {
      const text = scan(fn.arguments);
      if (text === undefined) return call;
      changed = true;
      return { ...call, function: { ...fn, arguments: text } };
    }
    const custom = call?.custom as { input?: unknown } | undefined;
    if (typeof custom?.input === 'string') {
      const text = scan(custom.input);
      if (text === undefined) return call;
      changed = true;
      return { ...call, custom: { ...custom, input: text } };
    }
    return call;
  });
  return changed ? ({ ...message, tool_calls: scanned } as unknown as ChatMessage) : message;
}
