// A loopback upstream for Anthropic's output settings, both API shapes on one port, recording what
// it receives. `/v1/messages` is Claude: `claude-sonnet-4-5` takes `output_config` (effort and
// native structured outputs, whose JSON comes back as the text), the older `claude-sonnet-4`
// refuses it with a 400 as Anthropic's API does; adaptive thinking is taken only by
// `claude-opus-4-6` (ADAPTIVE_CLAUDE), refused by the others; thinking beside a forced tool is
// refused (docs: "Extended thinking", "Adaptive thinking"). Given tools and no tool result yet it calls `search` first, as a model
// that must look something up. `/v1/chat/completions` is an OpenAI-format model named by `model`:
// `vllm-model` and `sglang-model` stop at the client's first stop sequence and name it (vLLM's
// `stop_reason`, SGLang's `matched_stop`); any other model says only "stop", as OpenAI does.
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readJsonBody } from './fake-http.js';

type Json = Record<string, unknown>;

export interface AnthropicOutputFake {
  /** `http://127.0.0.1:<port>`: an anthropic deployment's baseUrl; `${base}/v1` an openai one's. */
  base: string;
  /** Bodies received by `/v1/messages`, in order. */
  messages: Json[];
  /** Bodies received by `/v1/chat/completions`, in order. */
  chat: Json[];
  close(): Promise<void>;
}

/** The model the fake treats as predating effort and structured outputs. */
export const OLD_CLAUDE = 'claude-sonnet-4';

/** The model the fake treats as taking adaptive thinking (Claude Opus 4.6). */
export const ADAPTIVE_CLAUDE = 'claude-opus-4-6';

/** A value that fits a (simple) JSON schema, as constrained decoding would give. */
export function exampleOf(schema: Json): unknown {
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  if (type === 'object' || schema.properties) {
    const props = (schema.properties ?? {}) as Record<string, Json>;
    return Object.fromEntries(Object.entries(props).map(([k, s]) => [k, exampleOf(s)]));
  }
  if (type === 'array') return [exampleOf((schema.items ?? {}) as Json)];
  if (type === 'integer' || type === 'number') return 36;
  if (type === 'boolean') return true;
  return 'Ada';
}

function refuse(res: ServerResponse, message: string) {
  res.writeHead(400, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ type: 'error', error: { type: 'invalid_request_error', message } }));
}

function json(res: ServerResponse, body: unknown) {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/** What Anthropic's API would refuse of this request, if anything. */
function anthropicRule(body: Json): string | undefined {
  const config = body.output_config as Json | undefined;
  if (config && body.model === OLD_CLAUDE)
    return `output_config: ${Object.keys(config).join(', ')} is not supported by ${OLD_CLAUDE}`;
  const thinking = body.thinking as { type?: string } | undefined;
  if (thinking?.type === 'adaptive' && body.model !== ADAPTIVE_CLAUDE)
    return `thinking.type: adaptive thinking is not supported by ${String(body.model)}; use "enabled" with budget_tokens`;
  const tc = body.tool_choice as { type?: string } | undefined;
  if (body.thinking && (tc?.type === 'any' || tc?.type === 'tool'))
    return 'Thinking may not be enabled when tool_choice forces tool use.';
  return undefined;
}

function claudeAnswer(body: Json): Json {
  const messages = body.messages as { role: string; content: Json[] | string }[];
  const last = messages.at(-1)!.content;
  const answering = Array.isArray(last) && last.some((b) => b.type === 'tool_result');
  const tools = (body.tools ?? []) as { name: string; input_schema: Json }[];
  const tc = body.tool_choice as { type?: string; name?: string } | undefined;
  const blocks: Json[] = body.thinking
    ? [{ type: 'thinking', thinking: 'Look it up first.', signature: 'sig-up' }]
    : [];
  const format = (body.output_config as { format?: { schema: Json } } | undefined)?.format;
  if (tc?.type === 'tool') {
    const tool = tools.find((t) => t.name === tc.name)!;
    blocks.push({
      type: 'tool_use',
      id: 'toolu_f',
      name: tool.name,
      input: exampleOf(tool.input_schema),
    });
  } else if (tools.some((t) => t.name === 'search') && !answering)
    blocks.push({ type: 'tool_use', id: 'toolu_s', name: 'search', input: { q: 'Ada' } });
  else if (format) blocks.push({ type: 'text', text: JSON.stringify(exampleOf(format.schema)) });
  else blocks.push({ type: 'text', text: 'Done.' });
  return {
    id: 'msg_up',
    type: 'message',
    role: 'assistant',
    model: body.model,
    content: blocks,
    stop_reason: blocks.some((b) => b.type === 'tool_use') ? 'tool_use' : 'end_turn',
    stop_sequence: null,
    usage: { input_tokens: 20, output_tokens: 10 },
  };
}

/** Where an OpenAI-compatible server names the stop string it matched, by model. */
function namedStop(model: unknown, stop: string | undefined): Json {
  if (stop === undefined) return {};
  if (model === 'vllm-model') return { stop_reason: stop };
  if (model === 'sglang-model') return { matched_stop: stop };
  return {};
}

function chatAnswer(res: ServerResponse, body: Json) {
  const stop = Array.isArray(body.stop) ? (body.stop[0] as string) : undefined;
  const base = { id: 'chatcmpl-up', created: 1_760_000_000, model: body.model };
  const usage = { prompt_tokens: 12, completion_tokens: 3, total_tokens: 15 };
  if (body.stream !== true)
    return json(res, {
      ...base,
      object: 'chat.completion',
      choices: [
        {
          index: 0,
          finish_reason: 'stop',
          message: { role: 'assistant', content: 'One, two' },
          ...namedStop(body.model, stop),
        },
      ],
      usage,
    });
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  const chunk = (choices: Json[], extra: Json = {}) =>
    res.write(
      `data: ${JSON.stringify({ ...base, object: 'chat.completion.chunk', choices, ...extra })}\n\n`,
    );
  chunk([{ index: 0, delta: { role: 'assistant', content: 'One, two' }, finish_reason: null }]);
  chunk([{ index: 0, delta: {}, finish_reason: 'stop', ...namedStop(body.model, stop) }]);
  chunk([], { usage });
  res.end('data: [DONE]\n\n');
}

/** Starts the fake on a free loopback port. */
export async function startAnthropicOutputFake(): Promise<AnthropicOutputFake> {
  const messages: Json[] = [];
  const chat: Json[] = [];
  const server: Server = createServer(async (req, res) => {
    const body = await readJsonBody(req);
    if (req.url === '/v1/chat/completions') {
      chat.push(body);
      return chatAnswer(res, body);
    }
    messages.push(body);
    const broken = anthropicRule(body);
    if (broken) return refuse(res, broken);
    json(res, claudeAnswer(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    messages,
    chat,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
