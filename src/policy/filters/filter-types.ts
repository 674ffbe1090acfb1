// The content-filter plug-in contract. A plug-in checks prompt messages and answer text and
// reports hits; the ContentFilter (src/policy/content-filter.ts) decides and speaks Azure's shape.
import type { ChatMessage } from '../../core/wire-types.js';
import type { AttemptRecord } from '../../store/request-record.js';

export type FilterAction = 'block' | 'redact' | 'annotate';

/** Azure's categories we report (severity ones come from moderation plug-ins). */
export type FilterCategory =
  | 'custom_blocklists'
  | 'personally_identifiable_information'
  | 'hate'
  | 'sexual'
  | 'violence'
  | 'self_harm';

export interface FilterHit {
  plugin: string;
  ruleId: string;
  category: FilterCategory;
  action: FilterAction;
  /** For severity categories (moderation). */
  severity?: 'safe' | 'low' | 'medium' | 'high';
}

export interface InputVerdict {
  hits: FilterHit[];
  /** A redacted copy of the messages when a redact rule matched. */
  messages?: ChatMessage[];
  /** Categories the plug-in evaluated (reported even when clean). */
  evaluated: FilterCategory[];
  /** The plug-in itself failed (e.g. moderation timeout); the request is not blocked for it. */
  error?: { code: number; message: string };
}

export interface OutputVerdict {
  hits: FilterHit[];
  /** Redacted text when a redact rule matched. */
  text?: string;
  evaluated: FilterCategory[];
  error?: { code: number; message: string };
}

/**
 * Told each upstream call a plug-in made at one of the router's own deployments for the request
 * being checked (a moderation deployment's), so that the request's record counts its cost there.
 */
export type FilterCallSink = (call: AttemptRecord) => void;

export interface ContentFilterPlugin {
  name: string;
  checkInput(
    messages: readonly ChatMessage[],
    onCall?: FilterCallSink,
  ): InputVerdict | Promise<InputVerdict>;
  /**
   * `signal` aborts when nobody will read the verdict (a streamed answer's client left): a
   * plug-in that calls out stops waiting then (its call still told to `onCall`).
   */
  checkOutput(
    text: string,
    onCall?: FilterCallSink,
    signal?: AbortSignal,
  ): OutputVerdict | Promise<OutputVerdict>;
}
