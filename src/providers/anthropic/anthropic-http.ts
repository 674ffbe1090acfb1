// What every call to Anthropic's API shares (the Messages API and the Message Batches API): its
// headers per Anthropic's docs (`x-api-key`, `anthropic-version: 2023-06-01`) and the mapping of
// a non-2xx reply to a GatewayError.
import type { DeploymentConfig } from '../../config/deployment-schema.js';
import type { GatewayError } from '../../core/errors.js';
import { ANTHROPIC_BETA_FIELD, type ChatRequest } from '../../core/wire-types.js';
import { headerValue, readText, type UpstreamHttpResponse } from '../http-client.js';
import { mapAnthropicError } from './anthropic-error.js';

export const ANTHROPIC_VERSION = '2023-06-01';

/**
 * The headers of every Anthropic call (JSON body): version, the deployment's own, the key. The
 * client's betas (`/v1/messages`' `anthropic-beta`), as `forwardClientBetas` allows, join the
 * deployment's `anthropic-beta` (however its `headers` spell it), each beta once.
 */
export function anthropicHeaders(
  deployment: DeploymentConfig,
  apiKey: string | undefined,
  clientBetas: readonly string[] = [],
): Record<string, string> {
  const own: Record<string, string> = {};
  const betas: string[] = [];
  for (const [name, value] of Object.entries(deployment.headers ?? {}))
    if (name.toLowerCase() === 'anthropic-beta') betas.push(...parseAnthropicBetas(value));
    else own[name] = value;
  const allowed = deployment.forwardClientBetas;
  if (allowed !== false)
    betas.push(
      ...(allowed === true ? clientBetas : clientBetas.filter((b) => allowed.includes(b))),
    );
  const beta = [...new Set(betas)].join(',');
  return {
    'content-type': 'application/json',
    'anthropic-version': ANTHROPIC_VERSION,
    ...own,
    ...(beta ? { 'anthropic-beta': beta } : {}),
    ...(apiKey ? { 'x-api-key': apiKey } : {}),
  };
}

/** The beta names of an `anthropic-beta` header (repeated headers count too), in order, once each. */
export function parseAnthropicBetas(header: string | string[] | undefined): string[] {
  if (header === undefined) return [];
  const names = (Array.isArray(header) ? header : [header]).flatMap((h) => h.split(','));
  return [...new Set(names.map((n) => n.trim()).filter((n) => n !== ''))];
}

/** The betas a chat request carries from an Anthropic client's `anthropic-beta` header. */
export function clientBetasOf(body: ChatRequest): readonly string[] {
  const betas = body[ANTHROPIC_BETA_FIELD];
  return Array.isArray(betas) ? (betas as string[]) : [];
}

/** A non-2xx Anthropic reply as a GatewayError (its error body read, cut to 2 KB). */
export async function anthropicHttpError(
  res: UpstreamHttpResponse,
  deploymentName: string,
): Promise<GatewayError> {
  const text = await readText(res.body, 2048).catch(() => '');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = { error: { type: 'api_error', message: text.slice(0, 2048) } };
  }
  const retry: Record<string, string> = {};
  for (const h of ['retry-after', 'retry-after-ms']) {
    const v = headerValue(res.headers, h);
    if (v !== undefined) retry[h] = v;
  }
  return mapAnthropicError(res.status, parsed, deploymentName, retry);
}
