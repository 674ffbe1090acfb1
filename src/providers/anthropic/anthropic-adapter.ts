// The Anthropic provider: Messages API over the shared undici client and SSE parser. Headers per
// Anthropic's docs: `x-api-key` and `anthropic-version: 2023-06-01`.
import type { DeploymentConfig } from '../../config/schema.js';
import { GatewayError } from '../../core/errors.js';
import { headerValue, pickUpstreamHeaders, readText, type HttpClient } from '../http-client.js';
import { parseSse } from '../sse-parser.js';
import type { ProviderAdapter, UpstreamRequest } from '../types.js';
import {
  anthropicEventsToChunks,
  anthropicToChatResponse,
  chatToAnthropicRequest,
  mapAnthropicError,
} from './anthropic-convert.js';

export const ANTHROPIC_VERSION = '2023-06-01';

export function createAnthropicAdapter(
  deployment: DeploymentConfig,
  http: HttpClient,
  env: NodeJS.ProcessEnv = process.env,
): ProviderAdapter {
  const apiKey = deployment.apiKeyEnv ? env[deployment.apiKeyEnv] : undefined;
  const url = new URL(
    `${(deployment.baseUrl ?? 'https://api.anthropic.com').replace(/\/+$/, '')}/v1/messages`,
  );
  const send = async (req: UpstreamRequest, stream: boolean) => {
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'anthropic-version': ANTHROPIC_VERSION,
      ...(deployment.headers ?? {}),
      ...(apiKey ? { 'x-api-key': apiKey } : {}),
      ...(stream ? { accept: 'text/event-stream' } : {}),
    };
    const body = JSON.stringify(chatToAnthropicRequest({ ...req.body, stream }, deployment));
    const res = await http.request({ url, headers, body, signal: req.signal });
    if (res.status < 200 || res.status >= 300) {
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
      throw mapAnthropicError(res.status, parsed, deployment.name, retry);
    }
    return res;
  };
  return {
    async chat(req) {
      const res = await send(req, false);
      const text = await readText(res.body);
      let msg: unknown;
      try {
        msg = JSON.parse(text);
      } catch {
        throw new GatewayError({
          status: 502,
          type: 'upstream_error',
          code: 'upstream_malformed_response',
          message: `${deployment.name}: reply is not JSON`,
          retryable: true,
        });
      }
      return {
        response: anthropicToChatResponse(msg as Record<string, unknown>, deployment),
        headers: pickUpstreamHeaders(res.headers),
      };
    },
    async chatStream(req) {
      const res = await send(req, true);
      return {
        chunks: anthropicEventsToChunks(
          // `message_stop` ends the stream: the body is then read to its end, not torn down.
          parseSse(res.body, req.signal, { endAt: (m) => m.event === 'message_stop' }),
          deployment,
        ),
        headers: pickUpstreamHeaders(res.headers),
      };
    },
  };
}
