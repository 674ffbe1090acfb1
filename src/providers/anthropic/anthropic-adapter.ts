// The Anthropic provider: Messages API over the shared undici client and SSE parser. Headers per
// Anthropic's docs: `x-api-key` and `anthropic-version: 2023-06-01`, and `anthropic-beta` with the
// deployment's betas and an Anthropic client's own (anthropic-http.ts).
import { MAX_REPLY_BYTES, type DeploymentConfig } from '../../config/deployment-schema.js';
import { GatewayError } from '../../core/errors.js';
import { pickUpstreamHeaders, readTextWithin, type HttpClient } from '../http-client.js';
import { replyTooLarge } from '../upstream-errors.js';
import { parseSse } from '../sse-parser.js';
import type { ProviderAdapter } from '../types.js';
import { chatToAnthropicRequest } from './anthropic-convert.js';
import { createAnthropicBatchApi } from './anthropic-batch.js';
import { anthropicHeaders, anthropicHttpError, clientBetasOf } from './anthropic-http.js';
import { joinPausedTurn, PAUSED_TURNS, pausedTurn, webSearchTool } from './anthropic-web-search.js';
import { isObject } from '../../core/is-object.js';
import { asksDocumentCitations } from './anthropic-document-citations.js';
import {
  ANTHROPIC_CLIENT_FIELD,
  WEB_SEARCH_TOOL_FIELD,
  type ChatRequest,
} from '../../core/wire-types.js';
import { anthropicToChatResponse } from './anthropic-reply.js';
import { anthropicEventsToChunks, type AnthropicStreamOptions } from './anthropic-stream.js';
import { mapAnthropicError } from './anthropic-error.js';

export function createAnthropicAdapter(
  deployment: DeploymentConfig,
  http: HttpClient,
  env: NodeJS.ProcessEnv = process.env,
): ProviderAdapter {
  const apiKey = deployment.apiKeyEnv ? env[deployment.apiKeyEnv] : undefined;
  const base = (deployment.baseUrl ?? 'https://api.anthropic.com').replace(/\/+$/, '');
  const url = new URL(`${base}/v1/messages`);
  const countUrl = new URL(`${base}/v1/messages/count_tokens`);
  const post = async (
    to: URL,
    json: unknown,
    req: { signal: AbortSignal; requestId?: string },
    betas: readonly string[],
    stream = false,
  ) => {
    const headers = {
      ...anthropicHeaders(deployment, apiKey, betas),
      ...(stream ? { accept: 'text/event-stream' } : {}),
      // The router's request id, as OpenAI-format upstreams get it: their logs and ours meet.
      ...(req.requestId ? { 'x-request-id': req.requestId } : {}),
    };
    const res = await http.request({
      url: to,
      headers,
      body: JSON.stringify(json),
      signal: req.signal,
    });
    if (res.status < 200 || res.status >= 300) throw await anthropicHttpError(res, deployment.name);
    return res;
  };
  const max = deployment.maxReplyBytes ?? MAX_REPLY_BYTES;
  const replyJson = async (res: Awaited<ReturnType<typeof post>>, what: string) => {
    const text = await readTextWithin(res, max, () => replyTooLarge(deployment.name, max));
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new GatewayError({
        status: 502,
        type: 'server_error',
        code: 'upstream_malformed_response',
        message: `${deployment.name}: ${what} is not JSON`,
        retryable: true,
      });
    }
  };
  return {
    ...(deployment.batchApi?.enabled
      ? { batchApi: createAnthropicBatchApi(deployment, http, apiKey) }
      : {}),
    async chat(req) {
      const body = chatToAnthropicRequest({ ...req.body, stream: false }, deployment);
      const betas = clientBetasOf(req.body);
      const call = async (json: Record<string, unknown>) => {
        const res = await post(url, json, req, betas);
        const msg = await replyJson(res, 'reply');
        // Anthropic's error object sent with a 2xx (a proxy's doing): a failed call, not an answer.
        if ((msg as { type?: unknown } | null)?.type === 'error')
          throw mapAnthropicError(0, msg, deployment.name);
        // A Message without its content is no answer (fault audit F3: served as an empty one).
        if (!Array.isArray((msg as { content?: unknown } | null)?.content))
          throw new GatewayError({
            status: 502,
            type: 'server_error',
            code: 'upstream_malformed_response',
            message: `${deployment.name}: the reply is not a Message: it has no content`,
            retryable: true,
          });
        return { res, msg: msg as Record<string, unknown> };
      };
      let { res, msg } = await call(body);
      // Claude paused a long turn of server tools (web search: `pause_turn`); sent back as it is,
      // it goes on (Anthropic's docs), so the client gets the whole answer, not the first part.
      for (let n = 0; n < PAUSED_TURNS && msg.stop_reason === 'pause_turn'; n++) {
        const messages = [...(body.messages as unknown[]), pausedTurn(msg)];
        const next = await call({ ...body, messages });
        res = next.res;
        msg = joinPausedTurn(msg, next.msg);
      }
      return {
        response: anthropicToChatResponse(
          msg,
          deployment,
          keepsServerBlocks(req.body),
          asksDocumentCitations(req.body),
          req.body[ANTHROPIC_CLIENT_FIELD] === true,
        ),
        headers: pickUpstreamHeaders(res.headers),
      };
    },
    // Anthropic's own count: the request as it would be sent, less what counting does not take.
    async countTokens(req) {
      const sent = chatToAnthropicRequest({ ...req.body, stream: false }, deployment);
      const counted: Record<string, unknown> = {};
      const keys = [
        'model',
        'messages',
        'system',
        'tools',
        'tool_choice',
        'thinking',
        'output_config',
      ];
      for (const k of keys) if (sent[k] !== undefined) counted[k] = sent[k];
      const reply = (await replyJson(
        await post(countUrl, counted, req, clientBetasOf(req.body)),
        'token count',
      )) as {
        input_tokens?: unknown;
      };
      if (typeof reply.input_tokens !== 'number')
        throw new GatewayError({
          status: 502,
          type: 'server_error',
          code: 'upstream_malformed_response',
          message: `${deployment.name}: token count has no input_tokens`,
          retryable: true,
        });
      return reply.input_tokens;
    },
    async chatStream(req) {
      const body = chatToAnthropicRequest({ ...req.body, stream: true }, deployment);
      const betas = clientBetasOf(req.body);
      // `message_stop` ends the stream: the body is then read to its end, not torn down.
      const events = (res: Awaited<ReturnType<typeof post>>) =>
        parseSse(res.body, req.signal, { endAt: (m) => m.event === 'message_stop' });
      const res = await post(url, body, req, betas, true);
      // A web search's paused turn is sent back as it is, and goes on in the same stream.
      const options: AnthropicStreamOptions = {
        ...(webSearchTool(req.body, deployment)
          ? {
              keepServerBlocks: keepsServerBlocks(req.body),
              goOn: async (content: Record<string, unknown>[]) => {
                const messages = [...(body.messages as unknown[]), { role: 'assistant', content }];
                return events(await post(url, { ...body, messages }, req, betas, true));
              },
            }
          : {}),
        // An Anthropic client's documents that ask for citations get them back.
        ...(asksDocumentCitations(req.body) ? { documentCitations: true } : {}),
        // An Anthropic client gets Claude's refusal details, container and region back.
        ...(req.body[ANTHROPIC_CLIENT_FIELD] === true ? { claudeReply: true } : {}),
      };
      return {
        chunks: anthropicEventsToChunks(events(res), deployment, options),
        headers: pickUpstreamHeaders(res.headers),
      };
    },
  };
}

/** Claude's server blocks are kept for an Anthropic client's web search (the Messages bridge). */
function keepsServerBlocks(body: ChatRequest): boolean {
  return isObject(body[WEB_SEARCH_TOOL_FIELD]);
}
