// What a moderation request classifies (OpenAI's `/v1/moderations`, openapi.yaml
// CreateModerationRequest / CreateModerationResponse): its inputs, and the categories every
// result names. A string or an array of strings is one input each; an array of text and image
// parts is one input (one result), as OpenAI answers it.
import type { ModerationPart, ModerationRequest } from './wire-types.js';

/** OpenAI's thirteen moderation categories, in the order its reference lists them. */
export const MODERATION_CATEGORIES = [
  'harassment',
  'harassment/threatening',
  'hate',
  'hate/threatening',
  'illicit',
  'illicit/violent',
  'self-harm',
  'self-harm/intent',
  'self-harm/instructions',
  'sexual',
  'sexual/minors',
  'violence',
  'violence/graphic',
] as const;
export type ModerationCategory = (typeof MODERATION_CATEGORIES)[number];

/** The categories omni-moderation also scores on images (`category_applied_input_types`). */
export const IMAGE_CATEGORIES: ReadonlySet<ModerationCategory> = new Set([
  'self-harm',
  'self-harm/intent',
  'self-harm/instructions',
  'sexual',
  'violence',
  'violence/graphic',
]);

/** One input as a classifier reads it: its texts and its images' URLs. */
export interface ModerationItem {
  texts: string[];
  imageUrls: string[];
}

/** The request's inputs, one item per result the reply must hold. */
export function moderationItems(input: ModerationRequest['input']): ModerationItem[] {
  if (typeof input === 'string') return [{ texts: [input], imageUrls: [] }];
  if (input.every((x): x is string => typeof x === 'string'))
    return input.map((text) => ({ texts: [text], imageUrls: [] }));
  const parts = input as ModerationPart[];
  return [
    {
      texts: parts.flatMap((p) => (p.type === 'text' ? [p.text] : [])),
      imageUrls: parts.flatMap((p) => (p.type === 'image_url' ? [p.image_url.url] : [])),
    },
  ];
}

/** Rough tokens of a request's texts for the up-front TPM charge (4 characters a token). */
export function estimateModerationTokens(items: readonly ModerationItem[]): number {
  return items.reduce(
    (n, item) => n + item.texts.reduce((m, t) => m + Math.ceil(t.length / 4), 0),
    0,
  );
}
