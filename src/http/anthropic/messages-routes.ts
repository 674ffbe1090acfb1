// `POST /v1/messages`: Anthropic clients call a router deployment or a deployment and get
// Anthropic-shaped replies, streams and errors, whichever provider served.
// `POST /v1/messages/count_tokens` (Claude Code calls it often, to decide when to compact): an
// Anthropic deployment's own count, else the router's exact count (`x-router-counted-by` says).
// Both carry the client's `anthropic-beta` to Anthropic deployments (client-betas.ts), and check
// its `anthropic-version` (anthropic-version.ts).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { systemClock, type Clock } from '../../core/clock.js';
import { invalidRequest, isGatewayError } from '../../core/errors.js';
import type { ChatGateway } from '../../gateway/chat-gateway.js';
import { anthropicAttribution } from '../../gateway/attribution.js';
import { callGateway } from '../routes/chat-routes.js';
import type { ErrorShaper } from '../error-handler.js';
import { replyHeaders, writeSseStream } from '../sse-writer.js';
import { withAnthropicRateLimits } from './anthropic-rate-limit-headers.js';
import { anthropicVersionHook } from './anthropic-version.js';
import { withClientBetas } from './client-betas.js';
import { anthropicErrorBody } from './anthropic-error-body.js';
import { asksDocumentCitations, messagesToChat } from './messages-convert.js';
import { BATCH_STREAM_FIELD } from './message-batch-request.js';
import type { RouterFiles } from '../../files/router-files.js';
import { messagesFileIds, resolveFileSources } from './resolve-file-sources.js';
import { chatToMessage } from './messages-reply.js';
import { chatChunksToMessageEvents } from './messages-stream.js';
import { warningsHeader } from '../../core/header-text.js';
import {
  ADAPTIVE_THINKING_FIELD,
  ANTHROPIC_CLIENT_FIELD,
  chunkFields,
  DOCUMENT_CITATIONS_FIELD,
  THINKING_BUDGET_FIELD,
  type ChatChunk,
} from '../../core/wire-types.js';

const errorShape: ErrorShaper = (e, requestId) => anthropicErrorBody(e, requestId);

const CITATIONS_WARNING =
  'citations not returned: only Claude cites documents, and only those it gets as documents (a text document inside a tool_result reaches it as text); the answer comes back as text without citations';

/** `files`: the router's uploaded files, which blocks may name (`source.type: "file"`). */
export function registerMessagesRoutes(
  app: FastifyInstance,
  gateway: ChatGateway,
  clock: Clock = systemClock,
  files?: RouterFiles,
): void {
  // A body that names no file is read as sent: one scan of its blocks, no await.
  const bodyOf = (request: FastifyRequest) =>
    messagesFileIds(request.body)
      ? resolveFileSources(request.body, request.auth.tenant, files)
      : request.body;
  app.post(
    '/v1/messages',
    { config: { errorShape }, onRequest: anthropicVersionHook },
    async (request: FastifyRequest, reply: FastifyReply) => {
      const body = await bodyOf(request);
      // A Message Batch request that asked to stream: its errored result (message-batch-request.ts).
      if (request.batchLine && (body as Record<string, unknown>)[BATCH_STREAM_FIELD] === true)
        throw invalidRequest(
          'stream: a batch request cannot stream; remove "stream": true.',
          'stream',
        );
      const chat = withClientBetas(messagesToChat(body), request.headers);
      // An Anthropic client: Claude's reply fields that chat cannot hold come back to it.
      chat[ANTHROPIC_CLIENT_FIELD] = true;
      // When the rate limits were checked, near enough: Anthropic's reset headers are times.
      const admittedAt = clock.now();
      const outcome = await callGateway(gateway, request, reply, chat, {
        endpoint: 'messages',
        attribution: anthropicAttribution(request.body as Record<string, unknown>, request.headers),
      }).catch((e: unknown) => {
        if (isGatewayError(e))
          Object.assign(e.headers, withAnthropicRateLimits(e.headers, admittedAt));
        throw e;
      });
      const headers: Record<string, string> = {
        ...withAnthropicRateLimits(outcome.headers, admittedAt),
        'request-id': request.id,
      };
      // Documents that ask for citations: Claude's come back (DOCUMENT_CITATIONS_FIELD, on the
      // message or on a stream's first chunk, says the upstream returns them); another model
      // has no such setting, which is said (before, said whichever model served).
      const asked = asksDocumentCitations(body);
      // The client asked for thinking: an OpenAI-format model's reasoning comes back as thinking.
      const thinking =
        chat[THINKING_BUDGET_FIELD] !== undefined || chat[ADAPTIVE_THINKING_FIELD] === true;
      const warnNoCitations = (cites: boolean) => {
        if (!asked || cites) return;
        const said = headers['x-router-warnings'];
        headers['x-router-warnings'] = `${said ? `${said}; ` : ''}${CITATIONS_WARNING}`;
      };
      if (outcome.kind === 'json') {
        warnNoCitations(DOCUMENT_CITATIONS_FIELD in (outcome.response.choices[0]?.message ?? {}));
        return reply
          .headers(headers)
          .send(chatToMessage(outcome.response, chat.stop, outcome.promptTokens, thinking));
      }
      let chunks = outcome.chunks;
      if (asked) {
        const peek = await peekChunk(chunks);
        chunks = peek.chunks;
        const delta = peek.first?.choices[0]?.delta;
        warnNoCitations(delta !== undefined && DOCUMENT_CITATIONS_FIELD in delta);
      }
      reply.hijack();
      await writeSseStream(
        reply.raw,
        chatChunksToMessageEvents(chunks, chat.model, outcome.promptTokens, chat.stop, thinking),
        {
          headers: replyHeaders(reply, headers),
          errorEvents: (e) => [{ event: 'error', data: JSON.stringify(anthropicErrorBody(e)) }],
          client: outcome.timing,
        },
      );
    },
  );
  app.post(
    '/v1/messages/count_tokens',
    { config: { errorShape }, onRequest: anthropicVersionHook },
    async (request: FastifyRequest, reply: FastifyReply) => {
      const count = await gateway.countTokens({
        request: withClientBetas(messagesToChat(await bodyOf(request), true), request.headers),
        auth: request.auth,
      });
      reply.header('x-router-counted-by', count.countedBy);
      if (count.warning) reply.header('x-router-warnings', warningsHeader([count.warning]));
      return { input_tokens: count.inputTokens };
    },
  );
}

/**
 * A stream's first chunk (its fields) read ahead, and the stream whole again; the gateway has
 * already read it from the upstream, so this waits for nothing.
 */
async function peekChunk(
  chunks: AsyncIterable<ChatChunk>,
): Promise<{ first: ChatChunk | undefined; chunks: AsyncIterable<ChatChunk> }> {
  const it = chunks[Symbol.asyncIterator]();
  const head = await it.next();
  if (head.done) return { first: undefined, chunks: (async function* () {})() };
  const rest = (async function* () {
    let ended = false;
    try {
      yield head.value;
      for (let next = await it.next(); !next.done; next = await it.next()) yield next.value;
      ended = true;
    } finally {
      // A client gone mid-stream stops the upstream's stream too, as a for-await would.
      if (!ended) await it.return?.();
    }
  })();
  return { first: chunkFields(head.value), chunks: rest };
}
