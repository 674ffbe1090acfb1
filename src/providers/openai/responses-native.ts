// The Responses API spoken natively to an OpenAI / Azure OpenAI / compatible upstream whose
// deployment declares `capabilities.responsesApi`: the request goes to its `/responses` as the
// client wrote it, and the reply comes back untouched (tied to the chat shapes the gateway reads,
// see ../native-api.ts). Mapping to chat covers what routing and accounting need: text, function
// and custom tool calls (a namespace member's as `<namespace>__<name>`, the name the bridge and the
// stored conversation give it), finish reason and usage.
import type { DeploymentConfig } from '../../config/deployment-schema.js';
import { GatewayError } from '../../core/errors.js';
import { isObject } from '../../core/is-object.js';
import { nearestEffort } from '../../core/reasoning-effort.js';
import { chatCallName } from '../../core/tool-namespace.js';
import type { ChatChunk, ChatResponse } from '../../core/wire-types.js';
import {
  tieNativeEvents,
  tieNativeResponse,
  type NativeEvent,
  type NativeRequest,
} from '../native-api.js';
import type { SseMessage } from '../sse-parser.js';

/** A function or custom tool call of the chat reply. */
type ToolCall = NonNullable<ChatResponse['choices'][number]['message']['tool_calls']>[number];

type Json = Record<string, unknown>;

/** `/responses` beside the deployment's chat endpoint (Azure: the v1 path, no api-version). */
export function responsesUrl(deployment: DeploymentConfig): URL {
  if (deployment.provider === 'azure') {
    const base = (deployment.baseUrl ?? '').replace(/\/+$/, '').replace(/\/openai(\/v1)?$/, '');
    return new URL(`${base}/openai/v1/responses`);
  }
  const base = (deployment.baseUrl ?? 'https://api.openai.com/v1').replace(/\/+$/, '');
  return new URL(`${base}/responses`);
}

/** The body sent upstream: the client's, with this deployment's model and the stream flag. */
export function nativeBody(
  native: NativeRequest,
  deployment: DeploymentConfig,
  stream: boolean,
): string {
  const body: Json = { ...native.body, model: deployment.model, stream };
  const levels = deployment.capabilities.reasoningEfforts;
  if (!deployment.capabilities.reasoning) delete body.reasoning;
  else if (levels && isObject(body.reasoning) && typeof body.reasoning.effort === 'string')
    // The level the model takes, as the chat form of this request was told (and its warning says).
    body.reasoning = { ...body.reasoning, effort: nearestEffort(levels, body.reasoning.effort) };
  // The router keeps conversations; the upstream need not (and must not answer from its own).
  if (body.store === undefined) body.store = false;
  return JSON.stringify(body);
}

function usageToChat(u: unknown): ChatResponse['usage'] | undefined {
  if (!isObject(u)) return undefined;
  const input = Number(u.input_tokens ?? 0);
  const output = Number(u.output_tokens ?? 0);
  const cached = isObject(u.input_tokens_details)
    ? Number(u.input_tokens_details.cached_tokens ?? 0)
    : 0;
  const reasoning = isObject(u.output_tokens_details)
    ? Number(u.output_tokens_details.reasoning_tokens ?? 0)
    : 0;
  return {
    prompt_tokens: input,
    completion_tokens: output,
    total_tokens: Number(u.total_tokens ?? input + output),
    prompt_tokens_details: { cached_tokens: cached },
    completion_tokens_details: { reasoning_tokens: reasoning },
  } as ChatResponse['usage'];
}

function finishReason(
  response: Json,
  hasToolCalls: boolean,
): 'stop' | 'length' | 'content_filter' | 'tool_calls' {
  if (response.status === 'incomplete') {
    const reason = isObject(response.incomplete_details)
      ? response.incomplete_details.reason
      : undefined;
    return reason === 'content_filter' ? 'content_filter' : 'length';
  }
  return hasToolCalls ? 'tool_calls' : 'stop';
}

/** A Response object → the chat reply the gateway accounts for (tied to the original). */
export function responseToChat(response: Json, deployment?: DeploymentConfig): ChatResponse {
  let text = '';
  const toolCalls: ToolCall[] = [];
  for (const item of Array.isArray(response.output) ? response.output : []) {
    if (!isObject(item)) continue;
    if (item.type === 'message' && Array.isArray(item.content))
      for (const part of item.content)
        if (isObject(part) && part.type === 'output_text') text += String(part.text ?? '');
    if (item.type === 'function_call')
      toolCalls.push({
        id: String(item.call_id ?? item.id ?? ''),
        type: 'function',
        function: { name: chatCallName(item), arguments: String(item.arguments ?? '{}') },
      });
    if (item.type === 'custom_tool_call')
      toolCalls.push({
        id: String(item.call_id ?? item.id ?? ''),
        type: 'custom',
        custom: { name: chatCallName(item), input: String(item.input ?? '') },
      });
  }
  const chat = {
    id: String(response.id ?? 'resp-upstream'),
    object: 'chat.completion',
    created: Number(response.created_at ?? Math.floor(Date.now() / 1000)),
    model:
      typeof response.model === 'string' && response.model
        ? response.model
        : (deployment?.model ?? ''),
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: text || null,
          refusal: null,
          ...(toolCalls.length ? { tool_calls: toolCalls } : {}),
        },
        finish_reason: finishReason(response, toolCalls.length > 0),
        logprobs: null,
      },
    ],
    ...(usageToChat(response.usage) ? { usage: usageToChat(response.usage) } : {}),
  } as ChatResponse;
  tieNativeResponse(chat, response);
  return chat;
}

function streamError(message: string, code: string, retryable = false): GatewayError {
  return new GatewayError({ status: 502, type: 'server_error', code, message, retryable });
}

/**
 * Upstream Responses events → chat chunks. Each chunk carries (tied) the upstream events that led
 * to it, in order; events that make no chunk of their own (`response.created`, item and part
 * boundaries, reasoning summaries, …) ride with the next chunk, and `response.completed` ends the
 * stream with the finish reason and usage.
 */
export async function* responsesEventsToChunks(
  messages: AsyncIterable<SseMessage>,
  deployment: DeploymentConfig,
): AsyncGenerator<ChatChunk> {
  let pending: NativeEvent[] = [];
  let id = 'resp-upstream';
  let model = deployment.model;
  let created = Math.floor(Date.now() / 1000);
  const toolIndex = new Map<string, number>();
  const chunk = (choice: Json, extra: Json = {}): ChatChunk => {
    const c = {
      id,
      object: 'chat.completion.chunk',
      created,
      model,
      choices: [{ index: 0, delta: {}, finish_reason: null, logprobs: null, ...choice }],
      ...extra,
    } as unknown as ChatChunk;
    tieNativeEvents(c, pending);
    pending = [];
    return c;
  };
  for await (const m of messages) {
    if (m.data === '[DONE]') break;
    let data: Json;
    try {
      data = JSON.parse(m.data) as Json;
    } catch {
      throw streamError(
        `${deployment.name}: malformed Responses stream event: ${m.data.slice(0, 200)}`,
        'upstream_malformed_chunk',
        true,
      );
    }
    const type = String(data.type ?? m.event ?? '');
    pending.push({ ...(m.event ? { event: m.event } : {}), data });
    const response = isObject(data.response) ? data.response : undefined;
    if (response) {
      if (typeof response.id === 'string') id = response.id;
      if (typeof response.model === 'string' && response.model) model = response.model;
      if (typeof response.created_at === 'number') created = response.created_at;
    }
    switch (type) {
      case 'response.output_text.delta':
        yield chunk({ delta: { content: String(data.delta ?? '') } });
        break;
      case 'response.output_item.added': {
        const item = isObject(data.item) ? data.item : undefined;
        if (item?.type === 'function_call' || item?.type === 'custom_tool_call') {
          const index = toolIndex.size;
          toolIndex.set(String(item.id ?? item.call_id ?? index), index);
          const id = String(item.call_id ?? item.id ?? '');
          const name = chatCallName(item);
          yield chunk({
            delta: {
              tool_calls: [
                item.type === 'custom_tool_call'
                  ? { index, id, type: 'custom', custom: { name, input: '' } }
                  : { index, id, type: 'function', function: { name, arguments: '' } },
              ],
            },
          });
        }
        break;
      }
      case 'response.custom_tool_call_input.delta': {
        const index = toolIndex.get(String(data.item_id ?? '')) ?? Math.max(0, toolIndex.size - 1);
        yield chunk({
          delta: { tool_calls: [{ index, custom: { input: String(data.delta ?? '') } }] },
        });
        break;
      }
      case 'response.function_call_arguments.delta': {
        const index = toolIndex.get(String(data.item_id ?? '')) ?? Math.max(0, toolIndex.size - 1);
        yield chunk({
          delta: { tool_calls: [{ index, function: { arguments: String(data.delta ?? '') } }] },
        });
        break;
      }
      case 'response.completed':
      case 'response.incomplete': {
        const r = response ?? {};
        const usage = usageToChat(r.usage);
        yield chunk({ finish_reason: finishReason(r, toolIndex.size > 0) }, usage ? { usage } : {});
        return;
      }
      case 'response.failed': {
        const err = response && isObject(response.error) ? response.error : {};
        throw streamError(
          `${deployment.name}: the upstream response failed: ${String(err.message ?? 'unknown error')}`,
          String(err.code ?? 'upstream_error'),
        );
      }
      case 'error':
        throw streamError(
          `${deployment.name}: upstream stream error: ${String(data.message ?? 'unknown error')}`,
          String(data.code ?? 'upstream_error'),
        );
    }
  }
  // Cut short: retryable as a chat stream's drop is (stream-dropped.ts).
  throw streamError(
    `${deployment.name}: the upstream Responses stream ended before response.completed`,
    'upstream_stream_dropped',
    true,
  );
}
