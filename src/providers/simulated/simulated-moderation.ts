// The simulated fleet's moderation model: a result in OpenAI's full shape (all thirteen
// categories, their scores and the input types each applies to) per input, from a small list of
// words and phrases per category, so tests and demos flag what they mean to and nothing else.
// `flag:<category>` in a text flags that category whatever the lists say. It cannot see images:
// an image is judged by the words of its URL (`…/graphic-violence.png`; a data URL has none).
import type { DeploymentConfig } from '../../config/deployment-schema.js';
import {
  IMAGE_CATEGORIES,
  MODERATION_CATEGORIES,
  moderationItems,
  type ModerationCategory,
  type ModerationItem,
} from '../../core/moderation-input.js';
import type {
  ModerationRequest,
  ModerationResponse,
  ModerationResult,
} from '../../core/wire-types.js';

/** The built-in test phrases per category (`simulation.flagWords` replaces them). */
export const DEFAULT_FLAG_WORDS: Record<ModerationCategory, string[]> = {
  harassment: ['idiot', 'worthless', 'loser'],
  'harassment/threatening': ['kill them', 'kill you', 'watch your back'],
  hate: ['subhuman', 'vermin'],
  'hate/threatening': ['exterminate them'],
  illicit: ['shoplift', 'launder money', 'counterfeit'],
  'illicit/violent': ['build a bomb', 'untraceable gun'],
  'self-harm': ['hurt myself', 'self-harm'],
  'self-harm/intent': ['end my life', 'i want to die'],
  'self-harm/instructions': ['how to cut myself'],
  sexual: ['explicit sex', 'nsfw'],
  'sexual/minors': ['sexual/minors'],
  violence: ['kill', 'murder', 'stab', 'shoot'],
  'violence/graphic': ['gore', 'dismember', 'graphic violence'],
};

/** A subcategory flags its parent too (`violence/graphic` is violence). */
const parentOf = (c: ModerationCategory): ModerationCategory | undefined => {
  const parent = c.split('/')[0] as ModerationCategory;
  return parent !== c && (MODERATION_CATEGORIES as readonly string[]).includes(parent)
    ? parent
    : undefined;
};

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** One matcher per category, compiled once per deployment: whole words, any case. */
export function compileFlagWords(
  words: Partial<Record<string, string[]>> | undefined,
): Map<ModerationCategory, RegExp> {
  const lists = { ...DEFAULT_FLAG_WORDS, ...(words ? emptyLists() : {}), ...(words ?? {}) };
  const out = new Map<ModerationCategory, RegExp>();
  for (const c of MODERATION_CATEGORIES) {
    const alternatives = [...(lists[c] ?? []).map(escape), escape(`flag:${c}`)];
    // Word edges that also hold at a phrase's non-letter ends (`flag:sexual/minors`).
    out.set(
      c,
      new RegExp(`(?<![\\p{L}\\p{N}])(?:${alternatives.join('|')})(?![\\p{L}\\p{N}])`, 'iu'),
    );
  }
  return out;
}

function emptyLists(): Record<ModerationCategory, string[]> {
  return Object.fromEntries(MODERATION_CATEGORIES.map((c) => [c, []])) as unknown as Record<
    ModerationCategory,
    string[]
  >;
}

function hash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** A score in [lo, hi) that depends only on the text and the category. */
const scoreBetween = (key: string, lo: number, hi: number) =>
  lo + ((hash(key) % 10_000) / 10_000) * (hi - lo);

/** One input's result: flagged categories score 0.5–0.99, the others below 0.001. */
function classify(
  item: ModerationItem,
  matchers: Map<ModerationCategory, RegExp>,
): ModerationResult {
  const hits = new Set<ModerationCategory>();
  const imageText = item.imageUrls.join(' ').replace(/[-_./:]+/g, ' ');
  for (const [c, re] of matchers) {
    if (item.texts.some((t) => re.test(t))) hits.add(c);
    else if (IMAGE_CATEGORIES.has(c) && re.test(imageText)) hits.add(c);
  }
  for (const c of [...hits]) {
    const parent = parentOf(c);
    if (parent) hits.add(parent);
  }
  const key = `${item.texts.join('\u0000')}\u0001${item.imageUrls.join('\u0000')}`;
  const categories = {} as Record<ModerationCategory, boolean>;
  const scores = {} as Record<ModerationCategory, number>;
  const applied = {} as Record<ModerationCategory, ('text' | 'image')[]>;
  for (const c of MODERATION_CATEGORIES) {
    categories[c] = hits.has(c);
    scores[c] = hits.has(c)
      ? scoreBetween(`${c}:${key}`, 0.5, 0.99)
      : scoreBetween(`${c}:${key}`, 1e-6, 1e-3);
  }
  // A parent scores at least what its flagged subcategories score.
  for (const c of MODERATION_CATEGORIES) {
    const parent = parentOf(c);
    if (parent && hits.has(c)) scores[parent] = Math.max(scores[parent], scores[c]);
  }
  for (const c of MODERATION_CATEGORIES) {
    applied[c] = [
      ...(item.texts.length > 0 ? (['text'] as const) : []),
      ...(item.imageUrls.length > 0 && IMAGE_CATEGORIES.has(c) ? (['image'] as const) : []),
    ];
  }
  return {
    flagged: hits.size > 0,
    categories,
    category_scores: scores,
    category_applied_input_types: applied,
  } as unknown as ModerationResult;
}

/** The simulated model's reply to `body`: one result per input, `model` the deployment's. */
export function simulatedModeration(
  body: ModerationRequest,
  deployment: DeploymentConfig,
  matchers: Map<ModerationCategory, RegExp>,
): ModerationResponse {
  const items = moderationItems(body.input);
  const results = items.map((item) => classify(item, matchers));
  const id = hash(JSON.stringify(body.input) + deployment.model).toString(16);
  return { id: `modr-sim${id}`, model: deployment.model, results };
}
