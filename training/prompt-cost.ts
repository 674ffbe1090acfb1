// Per-prompt cost as the data's README defines it, and the answer length read back from it.
import type { DataRow } from './load-rows.js';
import type { Price } from './load-prices.js';

const DEFAULT_ANSWER_CHARS = 1200;

/** Cost of one model on one prompt: measured `cost_usd`, else chars/4 tokens × list price. */
export function promptCost(row: DataRow, model: string, price: Price): number {
  const measured = row.costUsd?.[model];
  if (measured !== undefined) return measured;
  const outChars = row.outChars?.[model] ?? DEFAULT_ANSWER_CHARS;
  return ((row.prompt.length / 4) * price.inputPer1M + (outChars / 4) * price.outputPer1M) / 1e6;
}

/**
 * A model's answer length in tokens on one prompt, read back from its measured `cost_usd` (the
 * inverse of `promptCost`: the cost less the prompt's chars/4 tokens at the input price, over the
 * output price; at least 0); undefined without a measured cost or an output price.
 */
export function answerTokensFromCost(
  row: DataRow,
  model: string,
  price: Price,
): number | undefined {
  const measured = row.costUsd?.[model];
  if (measured === undefined || !(price.outputPer1M > 0)) return undefined;
  const input = (row.prompt.length / 4) * price.inputPer1M;
  return Math.max(0, (measured * 1e6 - input) / price.outputPer1M);
}
