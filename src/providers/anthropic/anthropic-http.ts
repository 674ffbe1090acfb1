// What every call to Anthropic's API shares (the Messages API and the Message Batches API): its
// headers per Anthropic's docs (`x-api-key`, `anthropic-version: 2023-06-01`) and the mapping of
// a non-2xx reply to a GatewayError.
import type { DeploymentConfig } from '../../config/deployment-schema.js';
import type { GatewayError } from '../../core/errors.js';
import { headerValue, readText, type UpstreamHttpResponse } from '../http-client.js';
import { mapAnthropicError } from './anthropic-reply.js';

export const ANTHROPIC_VERSION = '2023-06-01';

/** The headers of every Anthropic call (JSON body): version, the deployment's own, the key. */
export function anthropicHeaders(
  deployment: DeploymentConfig,
  apiKey: string | undefined,
): Record<string, string> {
  return {
    'content-type': 'application/json',
    'anthropic-version': ANTHROPIC_VERSION,
    ...(deployment.headers ?? {}),
    ...(apiKey ? { 'x-api-key': apiKey } : {}),
  };
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
