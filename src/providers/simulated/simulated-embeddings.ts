// The simulated fleet's embedding model: a vector per input from its words and word pairs hashed
// into `dimensions` signed buckets, scaled to unit length. Texts that share words point the same
// way (a demo of semantic search works), equal texts get equal vectors, and nothing is random.
import type { SimulationConfig } from '../../config/deployment-parts.js';
import type { DeploymentConfig } from '../../config/deployment-schema.js';
import { invalidRequest } from '../../core/errors.js';
import { embeddingItems, embeddingText } from '../../core/prompt-text.js';
import type { EmbeddingsRequest, EmbeddingsResponse } from '../../core/wire-types.js';

function hash(s: string, seed: number): number {
  let h = seed;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** One input's unit vector. */
export function embedText(text: string, dimensions: number): Float32Array {
  const v = new Float32Array(dimensions);
  const words = text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  const features = [...words, ...words.slice(1).map((w, i) => `${words[i]} ${w}`)];
  for (const f of features) {
    const h = hash(f, 0x811c9dc5);
    v[h % dimensions]! += (h & 0x80000000) === 0 ? 1 : -1;
  }
  let norm = 0;
  for (const x of v) norm += x * x;
  // An input with no words still gets a vector of unit length.
  if (norm === 0) v[hash(text, 0x9e3779b9) % dimensions] = 1;
  else for (let i = 0; i < dimensions; i++) v[i] = v[i]! / Math.sqrt(norm);
  return v;
}

export function simulatedEmbeddings(
  body: EmbeddingsRequest,
  deployment: DeploymentConfig,
  sim: SimulationConfig,
  countTokens: (text: string) => number,
): EmbeddingsResponse {
  const dimensions = typeof body.dimensions === 'number' ? body.dimensions : sim.dimensions;
  if (!Number.isInteger(dimensions) || dimensions < 1 || dimensions > sim.dimensions)
    throw invalidRequest(
      `dimensions must be an integer from 1 to ${sim.dimensions} for ${deployment.name}.`,
      'dimensions',
    );
  const base64 = body.encoding_format === 'base64';
  let tokens = 0;
  const data = embeddingItems(body.input).map((item, index) => {
    // An input of token ids is its own count.
    const text = embeddingText(item);
    tokens += typeof item === 'string' ? countTokens(item) : item.length;
    const v = embedText(text, dimensions);
    return {
      object: 'embedding' as const,
      index,
      embedding: base64 ? Buffer.from(v.buffer).toString('base64') : Array.from(v),
    };
  });
  return {
    object: 'list',
    data,
    model: deployment.model,
    usage: { prompt_tokens: tokens, total_tokens: tokens },
  };
}
