// What an image model takes for `quality` and `size`, by family, as OpenAI's reference says
// (openapi.yaml CreateImageRequest, CreateImageEditRequest, CreateImageVariationRequest):
// dall-e-2 standard quality at 256, 512 or 1024 square; dall-e-3 standard or hd at 1024x1024,
// 1792x1024 or 1024x1792; the GPT image models low, medium or high at 1024x1024, 1536x1024,
// 1024x1536 or auto; gpt-image-2 any WIDTHxHEIGHT whose sides are multiples of 16, at most 3:1,
// up to 3840x2160; gpt-image-2.5 (sunburst, flare) as gpt-image-2 with `xhigh` and `max` quality
// too (openai-node 7.60 `ImageGenerateParams.quality`), and gpt-image-2.6, whose values the
// reference does not list apart, taken as 2.5's (OpenAI has the last word on them). `auto` quality
// is every model's default. A family is told by the deployment's upstream model name; a model of
// no known family (a local server's) is checked on the route only.
import type { DeploymentConfig } from '../config/deployment-schema.js';
import { invalidRequest, type GatewayError } from '../core/errors.js';

/** Every `quality` OpenAI names for generations, and for edits (no `hd`: dall-e-3 edits none). */
export const GENERATION_QUALITIES = [
  'standard',
  'hd',
  'low',
  'medium',
  'high',
  'xhigh',
  'max',
  'auto',
] as const;
export const EDIT_QUALITIES = [
  'standard',
  'low',
  'medium',
  'high',
  'xhigh',
  'max',
  'auto',
] as const;

interface ImageFamily {
  name: string;
  qualities: readonly string[];
  /** The sizes it takes; undefined: `auto` or any size within gpt-image-2's bounds. */
  sizes?: readonly string[];
  /** Output tokens one image bills, by quality then size, where OpenAI documents them. */
  outputTokens?: Readonly<Record<string, Readonly<Record<string, number>>>>;
}

const GPT_QUALITIES = ['low', 'medium', 'high', 'auto'];
const FAMILIES: readonly (ImageFamily & { match: RegExp })[] = [
  {
    match: /^dall-e-2\b/,
    name: 'dall-e-2',
    qualities: ['standard', 'auto'],
    sizes: ['256x256', '512x512', '1024x1024'],
  },
  {
    match: /^dall-e-3\b/,
    name: 'dall-e-3',
    qualities: ['standard', 'hd', 'auto'],
    sizes: ['1024x1024', '1792x1024', '1024x1792'],
  },
  {
    match: /^gpt-image-2\.[5-9]\b/,
    name: 'gpt-image-2.5 and later',
    qualities: ['low', 'medium', 'high', 'xhigh', 'max', 'auto'],
  },
  { match: /^gpt-image-2\b/, name: 'gpt-image-2', qualities: GPT_QUALITIES },
  {
    match: /^(?:gpt-image-|chatgpt-image-)/,
    name: 'the GPT image models',
    qualities: GPT_QUALITIES,
    sizes: ['1024x1024', '1536x1024', '1024x1536', 'auto'],
    // OpenAI's image generation guide, "Models prior to gpt-image-2" (developers.openai.com/api/
    // docs/guides/image-generation#calculating-costs): the same counts for every GPT image model
    // before gpt-image-2 (gpt-image-1, gpt-image-1-mini, gpt-image-1.5), each at its own token
    // prices. gpt-image-2 has no table there, only a calculator: it reserves no output tokens.
    outputTokens: {
      low: { '1024x1024': 272, '1024x1536': 408, '1536x1024': 400 },
      medium: { '1024x1024': 1056, '1024x1536': 1584, '1536x1024': 1568 },
      high: { '1024x1024': 4160, '1024x1536': 6240, '1536x1024': 6208 },
    },
  },
];

/** gpt-image-2's bounds (openapi.yaml CreateImageRequest `size`). */
const EDGE_STEP = 16;
const MAX_RATIO = 3;
const MAX_PIXELS = 3840 * 2160;
const MAX_EDGE = 3840;
const FREE_SIZES =
  '"auto" or WIDTHxHEIGHT with both sides multiples of 16, an aspect ratio within 3:1, and at most 3840x2160';

/** The family of an upstream model name, or undefined for a model OpenAI does not document. */
export function imageFamily(model: string): ImageFamily | undefined {
  return FAMILIES.find((f) => f.match.test(model.toLowerCase()));
}

function fitsFreeSize(size: string): boolean {
  if (size === 'auto') return true;
  const m = /^(\d+)x(\d+)$/.exec(size);
  if (!m) return false;
  const [w, h] = [Number(m[1]), Number(m[2])];
  if (w === 0 || h === 0 || w % EDGE_STEP !== 0 || h % EDGE_STEP !== 0) return false;
  return (
    Math.max(w, h) / Math.min(w, h) <= MAX_RATIO &&
    w * h <= MAX_PIXELS &&
    Math.max(w, h) <= MAX_EDGE
  );
}

const quoted = (values: readonly string[]) => values.map((v) => `"${v}"`).join(', ');

/**
 * The 400 for a `quality` or `size` that `d`'s model does not take (naming the field, the model
 * and what it takes), or undefined when it takes both (or its family is unknown).
 */
export function imageOptionsRefusal(
  d: DeploymentConfig,
  request: { quality?: unknown; size?: unknown },
): GatewayError | undefined {
  const family = imageFamily(d.model);
  if (!family) return undefined;
  const who = `${d.name} (${family.name === d.model ? d.model : `${d.model}, ${family.name}`})`;
  const { quality, size } = request;
  if (typeof quality === 'string' && !family.qualities.includes(quality))
    return invalidRequest(
      `quality "${quality}" is not one ${who} takes: use ${quoted(family.qualities)}.`,
      'quality',
      'invalid_value',
    );
  if (typeof size === 'string') {
    const fits = family.sizes ? family.sizes.includes(size) : fitsFreeSize(size);
    if (!fits)
      return invalidRequest(
        `size "${size}" is not one ${who} takes: use ${family.sizes ? quoted(family.sizes) : FREE_SIZES}.`,
        'size',
        'invalid_value',
      );
  }
  return undefined;
}
