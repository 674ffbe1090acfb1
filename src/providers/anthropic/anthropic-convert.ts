// Chat Completions ⇄ Anthropic Messages for the Anthropic provider (CONTRACTS.md §5; Anthropic
// docs: https://docs.claude.com/en/api/messages, .../build-with-claude/streaming). Requests out,
// replies and stream events back, errors mapped to OpenAI's shapes with the status kept.
import type { DeploymentConfig } from '../../config/deployment-schema.js';
import { GatewayError, invalidRequest } from '../../core/errors.js';
import type {
  ChatChunk,
  ChatMessage,
  ChatRequest,
  ChatResponse,
  FunctionToolCall,
} from '../../core/wire-types.js';
import type { SseMessage } from '../sse-parser.js';

type Json = Record<string, unknown>;

/** Provider-private reasoning carried on assistant messages; only Anthropic gets it back. */
export interface ReasoningDetail {
  provider: 'anthropic';
  type: 'thinking' | 'redacted_thinking';
  thinking?: string;
  signature?: string;
  data?: string;
}

/** Thinking budgets per reasoning_effort (1024 ≤ budget < max_tokens, per Anthropic's docs). */
export const THINKING_BUDGET: Record<string, number> = {
  minimal: 1024,
  low: 1024,
  medium: 4096,
  high: 16384,
  xhigh: 32000,
  max: 32000,
};

function textContent(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content))
    return content
      .map((p) =>
        p && typeof p === 'object' && 'text' in p ? String((p as { text: unknown }).text) : '',
      )
      .join('\n');
  return '';
}

function imageBlock(url: string): Json {
  const m = /^data:([^;]+);base64,(.*)$/s.exec(url);
  if (m) return { type: 'image', source: { type: 'base64', media_type: m[1], data: m[2] } };
  return { type: 'image', source: { type: 'url', url } };
}

function userBlocks(content: ChatMessage['content']): Json[] {
  if (typeof content === 'string') return content ? [{ type: 'text', text: content }] : [];
  if (!Array.isArray(content)) return [];
  return content.flatMap((p): Json[] => {
    if (p.type === 'text') return [{ type: 'text', text: p.text }];
    if (p.type === 'image_url') return [imageBlock(p.image_url.url)];
    return [];
  });
}

/** Chat request → Anthropic Messages request body. */
/** Whether the conversion turns `reasoning_effort` into extended thinking (which takes no temperature). */
export function usesThinking(body: ChatRequest, deployment: DeploymentConfig): boolean {
  const effort = body.reasoning_effort;
  return typeof effort === 'string' && effort !== 'none' && deployment.capabilities.reasoning;
}

export function chatToAnthropicRequest(body: ChatRequest, deployment: DeploymentConfig): Json {
  const system: string[] = [];
  const messages: { role: 'user' | 'assistant'; content: Json[] }[] = [];
  const push = (role: 'user' | 'assistant', blocks: Json[]) => {
    const last = messages[messages.length - 1];
    // Anthropic expects user/assistant alternation: merge adjacent same-role turns.
    if (last && last.role === role) last.content.push(...blocks);
    else messages.push({ role, content: blocks });
  };
  for (const m of body.messages) {
    if (m.role === 'system' || m.role === 'developer') system.push(textContent(m.content));
    else if (m.role === 'user') push('user', userBlocks(m.content));
    else if (m.role === 'tool')
      push('user', [
        { type: 'tool_result', tool_use_id: m.tool_call_id, content: textContent(m.content) },
      ]);
    else if (m.role === 'assistant') {
      const blocks: Json[] = [];
      const details = (m as { reasoning_details?: ReasoningDetail[] }).reasoning_details;
      for (const d of details ?? []) {
        if (d.provider !== 'anthropic') continue;
        blocks.push(
          d.type === 'redacted_thinking'
            ? { type: 'redacted_thinking', data: d.data }
            : { type: 'thinking', thinking: d.thinking, signature: d.signature },
        );
      }
      const text = textContent(m.content);
      if (text) blocks.push({ type: 'text', text });
      for (const call of m.tool_calls ?? []) {
        if (call.type !== 'function') continue;
        let input: unknown;
        try {
          input = JSON.parse(call.function.arguments || '{}');
        } catch {
          throw invalidRequest(
            `The arguments of tool call ${call.id} are not valid JSON.`,
            'messages',
            'invalid_tool_arguments',
          );
        }
        blocks.push({ type: 'tool_use', id: call.id, name: call.function.name, input });
      }
      push('assistant', blocks);
    }
  }
  const maxTokens = body.max_completion_tokens ?? body.max_tokens ?? deployment.maxOutputTokens;
  const out: Json = { model: deployment.model, max_tokens: maxTokens, messages };
  if (system.length) out.system = system.join('\n\n');
  const effort = body.reasoning_effort;
  if (usesThinking(body, deployment)) {
    const budget = Math.min(
      THINKING_BUDGET[effort as string] ?? 4096,
      Math.max(1024, (out.max_tokens as number) - 1),
    );
    if ((out.max_tokens as number) <= budget) out.max_tokens = budget + 1024;
    out.thinking = { type: 'enabled', budget_tokens: budget };
  } else {
    // Anthropic's temperature range is 0–1; thinking requires the default, so it is sent only without.
    if (typeof body.temperature === 'number') out.temperature = Math.min(1, body.temperature);
    if (typeof body.top_p === 'number') out.top_p = body.top_p;
    if (typeof body.top_k === 'number') out.top_k = body.top_k;
  }
  if (body.stop) out.stop_sequences = Array.isArray(body.stop) ? body.stop : [body.stop];
  const user = (body as { safety_identifier?: unknown }).safety_identifier ?? body.user;
  if (typeof user === 'string') out.metadata = { user_id: user };
  const tools = (body.tools ?? []).filter((t) => t.type === 'function');
  const rf = body.response_format as
    { type?: string; json_schema?: { name?: string; schema?: Json } } | undefined;
  const anthropicTools: Json[] = tools.map((t) => ({
    name: t.function.name,
    ...(t.function.description ? { description: t.function.description } : {}),
    input_schema: t.function.parameters ?? { type: 'object' },
  }));
  let toolChoice: Json | undefined;
  const tc = body.tool_choice;
  if (tc === 'auto') toolChoice = { type: 'auto' };
  else if (tc === 'required') toolChoice = { type: 'any' };
  else if (tc === 'none') toolChoice = { type: 'none' };
  else if (tc && typeof tc === 'object' && 'function' in tc)
    toolChoice = { type: 'tool', name: tc.function.name };
  if ((rf?.type === 'json_schema' && rf.json_schema?.schema) || rf?.type === 'json_object') {
    // JSON output emulated with one forced tool; its input comes back as the message text. JSON
    // mode (`json_object`) is a tool whose input is any object.
    anthropicTools.push({
      name: JSON_TOOL,
      description:
        rf.type === 'json_object'
          ? 'Return the answer as a JSON object.'
          : 'Return the answer as JSON matching this schema.',
      input_schema: rf.type === 'json_object' ? { type: 'object' } : rf.json_schema!.schema!,
    });
    toolChoice = { type: 'tool', name: JSON_TOOL };
  }
  if (body.parallel_tool_calls === false && anthropicTools.length)
    toolChoice = { ...(toolChoice ?? { type: 'auto' }), disable_parallel_tool_use: true };
  if (anthropicTools.length) out.tools = anthropicTools;
  if (toolChoice) out.tool_choice = toolChoice;
  if (body.stream === true) out.stream = true;
  return out;
}

export const JSON_TOOL = 'json_output';

/** Anthropic stop_reason → chat finish_reason (CONTRACTS.md §5.2). */
export function mapStopReason(
  reason: unknown,
  jsonTool = false,
): ChatResponse['choices'][number]['finish_reason'] {
  if (reason === 'max_tokens' || reason === 'model_context_window_exceeded') return 'length';
  if (reason === 'tool_use') return jsonTool ? 'stop' : 'tool_calls';
  if (reason === 'refusal') return 'content_filter';
  return 'stop';
}

/** Anthropic usage → OpenAI usage: input_tokens excludes cached tokens (CONTRACTS.md §4.3). */
export function mapUsage(u: Json | undefined): ChatResponse['usage'] {
  const input = Number(u?.input_tokens ?? 0);
  const cacheWrite = Number(u?.cache_creation_input_tokens ?? 0);
  const cacheRead = Number(u?.cache_read_input_tokens ?? 0);
  const output = Number(u?.output_tokens ?? 0);
  const prompt = input + cacheWrite + cacheRead;
  return {
    prompt_tokens: prompt,
    completion_tokens: output,
    total_tokens: prompt + output,
    prompt_tokens_details: { cached_tokens: cacheRead },
    completion_tokens_details: { reasoning_tokens: 0 },
  } as ChatResponse['usage'];
}

/** Anthropic Message → chat completion. */
export function anthropicToChatResponse(msg: Json, deployment: DeploymentConfig): ChatResponse {
  const blocks = (Array.isArray(msg.content) ? msg.content : []) as Json[];
  let text = '';
  const toolCalls: FunctionToolCall[] = [];
  const reasoning: ReasoningDetail[] = [];
  let jsonTool = false;
  for (const b of blocks) {
    if (b.type === 'text') text += String(b.text ?? '');
    else if (b.type === 'tool_use' && b.name === JSON_TOOL) {
      jsonTool = true;
      text += JSON.stringify(b.input ?? {});
    } else if (b.type === 'tool_use')
      toolCalls.push({
        id: String(b.id),
        type: 'function',
        function: { name: String(b.name), arguments: JSON.stringify(b.input ?? {}) },
      });
    else if (b.type === 'thinking')
      reasoning.push({
        provider: 'anthropic',
        type: 'thinking',
        thinking: String(b.thinking ?? ''),
        signature: String(b.signature ?? ''),
      });
    else if (b.type === 'redacted_thinking')
      reasoning.push({
        provider: 'anthropic',
        type: 'redacted_thinking',
        data: String(b.data ?? ''),
      });
  }
  return {
    id: `chatcmpl-${String(msg.id ?? 'anthropic')}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: String(msg.model ?? deployment.model),
    choices: [
      {
        index: 0,
        logprobs: null,
        finish_reason: mapStopReason(msg.stop_reason, jsonTool),
        message: {
          role: 'assistant',
          content: text || (toolCalls.length ? null : ''),
          refusal: null,
          ...(toolCalls.length ? { tool_calls: toolCalls } : {}),
          ...(reasoning.length ? { reasoning_details: reasoning } : {}),
        },
      },
    ],
    usage: mapUsage(msg.usage as Json | undefined),
  } as ChatResponse;
}

const STATUS_FOR_TYPE: Record<string, number> = {
  invalid_request_error: 400,
  authentication_error: 401,
  billing_error: 402,
  permission_error: 403,
  not_found_error: 404,
  request_too_large: 413,
  rate_limit_error: 429,
  api_error: 500,
  timeout_error: 504,
  overloaded_error: 529,
};

/** An Anthropic error (HTTP or in-band) → GatewayError in OpenAI's vocabulary, status kept. */
export function mapAnthropicError(
  status: number,
  body: unknown,
  deploymentName: string,
  headers: Record<string, string> = {},
): GatewayError {
  const err =
    (body && typeof body === 'object' ? ((body as Json).error as Json | undefined) : undefined) ??
    {};
  const type = typeof err.type === 'string' ? err.type : 'api_error';
  const httpStatus = status || STATUS_FOR_TYPE[type] || 500;
  const openAiType =
    httpStatus === 429
      ? 'rate_limit_error'
      : httpStatus >= 500
        ? 'server_error'
        : type === 'authentication_error'
          ? 'authentication_error'
          : type;
  return new GatewayError({
    status: httpStatus,
    type: openAiType,
    code: httpStatus === 429 ? 'rate_limit_exceeded' : type,
    message: `${deploymentName}: ${typeof err.message === 'string' ? err.message : `HTTP ${httpStatus}`}`,
    headers,
    retryable: httpStatus === 408 || httpStatus === 409 || httpStatus === 429 || httpStatus >= 500,
  });
}

/**
 * Anthropic stream events → chat chunks (CONTRACTS.md §5.3): tool calls numbered by our own
 * counter (Anthropic block indices also count text blocks); `error` after the 200 throws.
 */
export async function* anthropicEventsToChunks(
  events: AsyncIterable<SseMessage>,
  deployment: DeploymentConfig,
): AsyncGenerator<ChatChunk> {
  let id = 'chatcmpl-anthropic';
  let model = deployment.model;
  const created = Math.floor(Date.now() / 1000);
  let inputUsage: Json = {};
  const toolIndex = new Map<number, number>();
  let jsonToolBlock = -1;
  let nextTool = 0;
  const chunk = (delta: Json, finish: string | null = null, extra: Json = {}): ChatChunk =>
    ({
      id,
      object: 'chat.completion.chunk',
      created,
      model,
      choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }],
      ...extra,
    }) as ChatChunk;
  for await (const m of events) {
    let data: Json;
    try {
      data = JSON.parse(m.data) as Json;
    } catch {
      throw new GatewayError({
        status: 502,
        type: 'upstream_error',
        code: 'upstream_malformed_chunk',
        message: `${deployment.name}: malformed stream event: ${m.data.slice(0, 200)}`,
        retryable: true,
      });
    }
    const type = data.type ?? m.event;
    switch (type) {
      case 'message_start': {
        const msg = (data.message ?? {}) as Json;
        id = `chatcmpl-${String(msg.id ?? 'anthropic')}`;
        model = String(msg.model ?? model);
        inputUsage = (msg.usage as Json) ?? {};
        yield chunk({ role: 'assistant', content: '' });
        break;
      }
      case 'content_block_start': {
        const block = (data.content_block ?? {}) as Json;
        if (block.type === 'tool_use' && block.name === JSON_TOOL)
          jsonToolBlock = Number(data.index);
        else if (block.type === 'tool_use') {
          const k = nextTool++;
          toolIndex.set(Number(data.index), k);
          yield chunk({
            tool_calls: [
              {
                index: k,
                id: block.id,
                type: 'function',
                function: { name: block.name, arguments: '' },
              },
            ],
          });
        }
        break;
      }
      case 'content_block_delta': {
        const delta = (data.delta ?? {}) as Json;
        if (delta.type === 'text_delta') yield chunk({ content: String(delta.text ?? '') });
        else if (delta.type === 'input_json_delta') {
          const piece = String(delta.partial_json ?? '');
          if (Number(data.index) === jsonToolBlock) {
            if (piece) yield chunk({ content: piece });
          } else if (piece)
            yield chunk({
              tool_calls: [
                { index: toolIndex.get(Number(data.index)) ?? 0, function: { arguments: piece } },
              ],
            });
        }
        break;
      }
      case 'message_delta': {
        const delta = (data.delta ?? {}) as Json;
        const usage = mapUsage({ ...inputUsage, ...((data.usage as Json) ?? {}) });
        yield chunk({}, mapStopReason(delta.stop_reason, jsonToolBlock >= 0));
        yield {
          id,
          object: 'chat.completion.chunk',
          created,
          model,
          choices: [],
          usage,
        } as ChatChunk;
        break;
      }
      case 'message_stop':
        return;
      case 'error':
        throw mapAnthropicError(0, data, deployment.name);
      default:
        break; // ping, content_block_stop, thinking deltas
    }
  }
}
