// OpenAI, Azure OpenAI and OpenAI-compatible servers (vLLM, Ollama, LM Studio, llama.cpp): one
// adapter, near pass-through. The three differ only in URL and auth header (an endpoint
// description, not subclasses, openai-request.ts, which also shapes the chat body sent). Replies
// are parsed loosely (CONTRACTS.md §6 "common advice").
import { extensibleCopy } from '../../core/extensible-copy.js';
import { isObject } from '../../core/is-object.js';
import { MAX_REPLY_BYTES, type DeploymentConfig } from '../../config/deployment-schema.js';
import { GatewayError } from '../../core/errors.js';
import type {
  ChatResponse,
  EmbeddingsResponse,
  ImageForm,
  ImagesReply,
  ModerationResponse,
  RerankRequest,
} from '../../core/wire-types.js';
import { encodeFormParts, encodeMultipart } from '../multipart-body.js';
import {
  headerValue,
  pickUpstreamHeaders,
  readText,
  readTextWithin,
  type HttpClient,
  type UpstreamHttpResponse,
} from '../http-client.js';
import { describeEndpoint, serializeBody, type Endpoint } from './openai-request.js';
import { parseSse } from '../sse-parser.js';
import { chatChunkReader, isDoneMessage } from '../chat-chunk-reader.js';
import { streamDropped } from '../stream-dropped.js';
import type { ProviderAdapter, UpstreamMediaRequest, UpstreamRequest } from '../types.js';
import { mapUpstreamError, replyTooLarge, upstreamError } from '../upstream-errors.js';
import { createOpenAiBatchApi } from './openai-batch.js';
import { openRealtimeSocket } from './openai-realtime.js';
import {
  nativeBody,
  responsesEventsToChunks,
  responseToChat,
  responsesUrl,
} from './responses-native.js';

type Json = Record<string, unknown>;

/** The fields of a Responses request that `/responses/input_tokens` takes (`TokenCountsBody`). */
const TOKEN_COUNT_FIELDS = [
  'model',
  'input',
  'instructions',
  'tools',
  'tool_choice',
  'parallel_tool_calls',
  'text',
  'reasoning',
  'truncation',
] as const;

function malformed(name: string, text: string, what = 'valid JSON'): GatewayError {
  return new GatewayError({
    status: 502,
    type: 'server_error',
    code: 'upstream_malformed_response',
    message: `${name}: the upstream reply is not ${what}: ${text.slice(0, 200)}`,
    retryable: true,
  });
}

/** A 2xx reply's body as a JSON object, or the 502 that says it is not one. */
async function readJsonObject(body: UpstreamHttpResponse['body'], name: string): Promise<Json> {
  return parseJsonObject(await readText(body), name);
}

/** A 2xx reply's text as a JSON object, or the 502 that says it is not one. */
function parseJsonObject(text: string, name: string): Json {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw malformed(name, text);
  }
  if (!parsed || typeof parsed !== 'object') throw malformed(name, text);
  return parsed as Json;
}

/** A JSON body that is an error object (isErrorReply), not an answer. */
function isErrorJson(body: Buffer, contentType: string): boolean {
  if (!/json/i.test(contentType)) return false;
  try {
    const parsed: unknown = JSON.parse(body.toString('utf8'));
    return isObject(parsed) && isErrorReply(parsed);
  } catch {
    return false;
  }
}

/** An error object in OpenAI's shape (`{error: {…}}`) or vLLM's older flat one (`object: "error"`). */
function isErrorReply(parsed: Json): boolean {
  return (parsed.error !== undefined && parsed.error !== null) || parsed.object === 'error';
}

/**
 * An images reply (generations, edits, variations) with at least one image, `created` filled in
 * when missing; else a malformed reply, failed over (media audit F6, 2026-12-06: `data: []` was
 * served as a 200 with no image, and closed the circuit as a success).
 */
function checkImagesReply(parsed: Json, deployment: DeploymentConfig): Json {
  if (!Array.isArray(parsed.data))
    throw malformed(deployment.name, JSON.stringify(parsed), 'an images reply');
  if (parsed.data.length === 0)
    throw malformed(deployment.name, JSON.stringify(parsed), 'an images reply: it has no images');
  if (typeof parsed.created !== 'number') parsed.created = Math.floor(Date.now() / 1000);
  return parsed;
}

/**
 * Loose normalisation: missing id/created/model are tolerated. A reply with no choice is no
 * answer (a client reads `choices[0]`): a malformed reply, failed over as an empty stream is
 * (before, it was served, and closed the circuit as a success: providers audit F4, 2026-12-06).
 */
function normaliseResponse(
  parsed: Record<string, unknown>,
  deployment: DeploymentConfig,
): ChatResponse {
  if (!Array.isArray(parsed.choices) || parsed.choices.length === 0)
    throw malformed(deployment.name, JSON.stringify(parsed), 'an answer: it has no choices');
  // A choice without a message is no answer either (a client reads `choices[0].message`; fault
  // audit F3: such a reply was served as a 200).
  if (!parsed.choices.every((c) => isObject(c) && isObject(c.message)))
    throw malformed(deployment.name, JSON.stringify(parsed), 'an answer: a choice has no message');
  if (typeof parsed.model !== 'string' || !parsed.model) parsed.model = deployment.model;
  if (typeof parsed.object !== 'string') parsed.object = 'chat.completion';
  if (typeof parsed.created !== 'number') parsed.created = Math.floor(Date.now() / 1000);
  if (typeof parsed.id !== 'string') parsed.id = 'chatcmpl-upstream';
  return parsed as ChatResponse;
}

export function createOpenAiAdapter(
  deployment: DeploymentConfig,
  http: HttpClient,
  env: NodeJS.ProcessEnv = process.env,
): ProviderAdapter {
  const apiKey = deployment.apiKeyEnv ? env[deployment.apiKeyEnv] : undefined;
  const endpoint = describeEndpoint(deployment, apiKey);
  const embeddingsEndpoint = describeEndpoint(deployment, apiKey, 'embeddings');
  const moderationsEndpoint = describeEndpoint(deployment, apiKey, 'moderations');
  const imagesEndpoint = describeEndpoint(deployment, apiKey, 'images/generations');
  const imageFormEndpoints = {
    edits: describeEndpoint(deployment, apiKey, 'images/edits'),
    variations: describeEndpoint(deployment, apiKey, 'images/variations'),
  };
  const speechEndpoint = describeEndpoint(deployment, apiKey, 'audio/speech');
  const rerankEndpoint = describeEndpoint(deployment, apiKey, 'rerank');
  const audioEndpoints = {
    transcriptions: describeEndpoint(deployment, apiKey, 'audio/transcriptions'),
    translations: describeEndpoint(deployment, apiKey, 'audio/translations'),
  };
  /** POSTs a body; the 2xx reply (its body unread), or the upstream's error. */
  const post = async (
    to: Endpoint,
    body: string | Buffer,
    req: { requestId: string; signal: AbortSignal },
    contentType = 'application/json',
  ) => {
    const res = await http.request({
      url: to.url,
      headers: Object.assign(extensibleCopy(to.headers), {
        'content-type': contentType,
        'x-request-id': req.requestId,
      }),
      body,
      signal: req.signal,
    });
    if (res.status < 200 || res.status >= 300) throw await upstreamError(res, deployment.name);
    return res;
  };
  /** POSTs `body` as JSON; a 2xx reply's JSON object, or the upstream's error. */
  const postJson = async (
    to: Endpoint,
    body: unknown,
    req: { requestId: string; signal: AbortSignal },
  ): Promise<{ parsed: Json; headers: Record<string, string> }> => {
    const res = await http.request({
      url: to.url,
      headers: Object.assign(extensibleCopy(to.headers), { 'x-request-id': req.requestId }),
      body: JSON.stringify(body),
      signal: req.signal,
    });
    if (res.status < 200 || res.status >= 300) throw await upstreamError(res, deployment.name);
    const parsed = await readJsonObject(res.body, deployment.name);
    return { parsed, headers: pickUpstreamHeaders(res.headers) };
  };
  /** POSTs an image form (edits, variations) or JSON edit; the reply, checked for its `data`. */
  const postImageForm = async (to: Endpoint, req: UpstreamMediaRequest<ImageForm>) => {
    const { json, parts, model } = req.body;
    const { body, contentType } = json
      ? { body: JSON.stringify({ ...json, model }), contentType: 'application/json' }
      : encodeFormParts(parts, model);
    const res = await post(to, body, req, contentType);
    const parsed = checkImagesReply(await readJsonObject(res.body, deployment.name), deployment);
    return { response: parsed as ImagesReply, headers: pickUpstreamHeaders(res.headers) };
  };
  const nativeResponses = deployment.capabilities.responsesApi;
  const responsesEndpoint = nativeResponses ? responsesUrl(deployment) : undefined;
  /** True when this call goes to the upstream's own `/responses`. */
  const isNative = (req: UpstreamRequest) => nativeResponses && req.native?.api === 'responses';
  const send = async (req: UpstreamRequest, stream: boolean) => {
    // Not a spread then a key: a hidden class of its own every call (core/extensible-copy.ts).
    const headers: Record<string, string> = extensibleCopy(endpoint.headers);
    headers['x-request-id'] = req.requestId;
    if (stream) headers.accept = 'text/event-stream';
    const native = isNative(req);
    const res = await http.request({
      url: native ? responsesEndpoint! : endpoint.url,
      headers,
      body: native ? nativeBody(req.native!, deployment, stream) : serializeBody(req.body),
      signal: req.signal,
    });
    if (res.status < 200 || res.status >= 300) throw await upstreamError(res, deployment.name);
    return res;
  };
  return {
    ...(deployment.batchApi?.enabled
      ? { batchApi: createOpenAiBatchApi(deployment, http, apiKey) }
      : {}),
    async embed(req) {
      const { parsed, headers } = await postJson(embeddingsEndpoint, req.body, req);
      if (!Array.isArray(parsed.data))
        throw malformed(deployment.name, JSON.stringify(parsed), 'an embeddings list');
      const response = parsed as EmbeddingsResponse;
      if (typeof response.model !== 'string' || !response.model) response.model = deployment.model;
      return { response, headers };
    },
    // Cohere's rerank body (docs.cohere.com/reference/rerank), which vLLM's `/v1/rerank`, Jina and
    // Infinity take too; OpenAI and Azure OpenAI have no rerank API (config refuses `kind: rerank`
    // there), so only OpenAI-compatible servers get the method.
    ...(deployment.provider === 'openai-compatible'
      ? {
          async rerank(req: UpstreamMediaRequest<RerankRequest>) {
            const { parsed, headers } = await postJson(rerankEndpoint, req.body, req);
            if (!Array.isArray(parsed.results))
              throw malformed(deployment.name, JSON.stringify(parsed), 'a rerank result list');
            return { response: parsed as Json & { results: unknown[] }, headers };
          },
        }
      : {}),
    // OpenAI's `POST /v1/moderations` (openapi.yaml createModeration); Azure has no such path
    // (config refuses `kind: moderation` there).
    async moderate(req) {
      const { parsed, headers } = await postJson(moderationsEndpoint, req.body, req);
      if (!Array.isArray(parsed.results))
        throw malformed(deployment.name, JSON.stringify(parsed), 'a moderation result list');
      const response = parsed as ModerationResponse;
      if (typeof response.model !== 'string' || !response.model) response.model = deployment.model;
      if (typeof response.id !== 'string') response.id = 'modr-upstream';
      return { response, headers };
    },
    // OpenAI's `POST /v1/images/generations` (openapi.yaml createImage); Azure's is the same
    // operation under the deployment (AIFoundryOpenAI.json `/deployments/{id}/images/generations`).
    async generateImages(req) {
      const { parsed, headers } = await postJson(imagesEndpoint, req.body, req);
      return { response: checkImagesReply(parsed, deployment) as ImagesReply, headers };
    },
    // `POST /v1/images/edits` (createImageEdit): the client's form as it came, files byte for
    // byte, or its JSON body (images by URL or file id), with the upstream's model name. Azure's is the same operation under the
    // deployment (the AzureOpenAI client sends it there too).
    async editImages(req: UpstreamMediaRequest<ImageForm>) {
      return postImageForm(imageFormEndpoints.edits, req);
    },
    // `POST /v1/images/variations` (createImageVariation, dall-e-2); Azure OpenAI has no such
    // operation, so its deployments lack the method.
    ...(deployment.provider !== 'azure'
      ? {
          async createImageVariations(req: UpstreamMediaRequest<ImageForm>) {
            return postImageForm(imageFormEndpoints.variations, req);
          },
        }
      : {}),
    // The Realtime API's WebSocket (openai-realtime.ts), with this deployment's key.
    openRealtime: (req) => openRealtimeSocket(req, apiKey),
    // `POST /v1/audio/speech` (createSpeech): the audio's bytes, read on as the client takes them.
    async speak(req) {
      const res = await post(speechEndpoint, JSON.stringify(req.body), req);
      const contentType = headerValue(res.headers, 'content-type') ?? 'application/octet-stream';
      // Audio, not a 2xx whose body is an error or a page (media audit F5, 2026-12-06: served as
      // the speech, never failed over).
      if (/^(?:application\/json|text\/html)/i.test(contentType))
        throw malformed(deployment.name, await readText(res.body, 2048), 'audio');
      return {
        audio: res.body as AsyncIterable<Buffer>,
        contentType,
        headers: pickUpstreamHeaders(res.headers),
      };
    },
    // `POST /v1/audio/transcriptions` and `/translations` (multipart; createTranscription): the
    // client's form as it came, with the upstream's model name.
    async transcribe(req) {
      const { body, contentType } = encodeMultipart(req.body, req.body.model);
      const res = await post(audioEndpoints[req.operation], body, req, contentType);
      const chunks: Buffer[] = [];
      for await (const c of res.body) chunks.push(c as Buffer);
      const transcript = Buffer.concat(chunks);
      const type = headerValue(res.headers, 'content-type') ?? 'application/json';
      // A transcript, not an empty body, a page, or a 2xx whose JSON is an error (media audit F5).
      if (transcript.length === 0 || /^text\/html/i.test(type) || isErrorJson(transcript, type))
        throw malformed(deployment.name, transcript.toString('utf8', 0, 2048), 'a transcript');
      return { body: transcript, contentType: type, headers: pickUpstreamHeaders(res.headers) };
    },
    // OpenAI's `POST /responses/input_tokens` (openapi.yaml `TokenCountsBody`): the Responses
    // request as it would be sent, less what counting does not take.
    ...(responsesEndpoint
      ? {
          async countNativeTokens(req) {
            const sent = JSON.parse(nativeBody(req.native, deployment, false)) as Json;
            const counted: Json = {};
            for (const k of TOKEN_COUNT_FIELDS) if (sent[k] !== undefined) counted[k] = sent[k];
            const url = new URL(responsesEndpoint);
            url.pathname = `${url.pathname}/input_tokens`;
            const { parsed } = await postJson({ url, headers: endpoint.headers }, counted, req);
            if (typeof parsed.input_tokens !== 'number')
              throw malformed(deployment.name, JSON.stringify(parsed), 'a token count');
            return parsed.input_tokens;
          },
        }
      : {}),
    async chat(req) {
      const res = await send(req, false);
      const max = deployment.maxReplyBytes ?? MAX_REPLY_BYTES;
      const parsed = parseJsonObject(
        await readTextWithin(res, max, () => replyTooLarge(deployment.name, max)),
        deployment.name,
      );
      if (isNative(req))
        return {
          response: responseToChat(parsed as Record<string, unknown>, deployment),
          headers: pickUpstreamHeaders(res.headers),
        };
      // An error sent with a 2xx (some proxies and servers do): a failed call, not an empty answer.
      if (!Array.isArray(parsed.choices) && isErrorReply(parsed))
        throw mapUpstreamError(502, JSON.stringify(parsed), res.headers, deployment.name);
      return {
        response: normaliseResponse(parsed as Record<string, unknown>, deployment),
        headers: pickUpstreamHeaders(res.headers),
      };
    },
    async chatStream(req) {
      const res = await send(req, true);
      if (isNative(req))
        return {
          chunks: responsesEventsToChunks(parseSse(res.body, req.signal), deployment),
          headers: pickUpstreamHeaders(res.headers),
        };
      const reader = chatChunkReader({
        defaultModel: deployment.model,
        passThrough: req.passThrough,
      });
      return {
        chunks: parseSse(res.body, req.signal, {
          endAt: isDoneMessage,
          map: reader,
          // A closed connection is not a whole answer: no [DONE] and no finish reason is a drop.
          endedEarly: () => {
            if (!reader.finished()) throw streamDropped(deployment.name);
          },
        }),
        headers: pickUpstreamHeaders(res.headers),
      };
    },
  };
}
