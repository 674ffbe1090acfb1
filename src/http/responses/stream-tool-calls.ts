// The tool calls of a Responses stream (chatChunksToResponseEvents in responses-stream.ts): each
// chat tool-call delta opens its output item (a function call, a custom tool's call, or a call of
// a tool the client runs, announced whole once its arguments are in: local-tools.ts) and streams
// its arguments; at the stream's end each call's closing events and its item, whole.
import { newId } from '../../core/ids.js';
import type { ChatChunk } from '../../core/wire-types.js';
import type { Json } from './responses-convert.js';
import { callName } from './responses-tools.js';
import { localCallItem, localToolOf, type LocalToolKind } from './local-tools.js';
import type { ResponseContext } from './responses-reply.js';
import type { ResponsesEvent } from './responses-stream.js';

/** A stream event of `type`, numbered in the stream's sequence. */
export type StreamEvent = (type: string, payload: Json) => ResponsesEvent;

/** A tool call being streamed: `args` are a function's arguments, or a custom tool's input. */
export interface StreamedCall {
  item: Json;
  index: number;
  args: string;
  chatName: string;
  custom: boolean;
  /** A tool the client runs: its item is announced whole once its arguments are in. */
  local?: LocalToolKind;
}

type ToolCallDelta = NonNullable<ChatChunk['choices'][number]['delta']['tool_calls']>[number];

/**
 * One tool-call delta: its call opened (in `calls` by chunk index, and in `output`), then its
 * piece of the arguments streamed.
 */
export function* toolCallDeltaEvents(
  ev: StreamEvent,
  request: ResponseContext['request'],
  calls: Map<number, StreamedCall>,
  output: Json[],
  tc: ToolCallDelta,
): Generator<ResponsesEvent> {
  let call = calls.get(tc.index);
  // A custom tool's call streams `custom: {name, input}` (src/gateway/custom-tool-bridge.ts).
  const custom = (tc as { custom?: { name?: string; input?: string } }).custom;
  if (!call) {
    const isCustom = custom !== undefined || (tc as { type?: string }).type === 'custom';
    const chatName = (isCustom ? custom?.name : tc.function?.name) ?? '';
    const local = isCustom ? undefined : localToolOf(request, chatName);
    call = {
      item: isCustom
        ? {
            type: 'custom_tool_call',
            id: newId('ctc_'),
            call_id: tc.id ?? '',
            ...callName(request, chatName),
            input: '',
            status: 'in_progress',
          }
        : {
            type: 'function_call',
            id: newId('fc_'),
            call_id: tc.id ?? '',
            ...callName(request, chatName),
            arguments: '',
            status: 'in_progress',
          },
      index: output.length,
      args: '',
      chatName,
      custom: isCustom,
      ...(local ? { local } : {}),
    };
    calls.set(tc.index, call);
    output.push(call.item);
    if (!call.local)
      yield ev('response.output_item.added', {
        output_index: call.index,
        item: { ...call.item },
      });
  }
  const piece = (call.custom ? custom?.input : tc.function?.arguments) ?? '';
  if (piece && call.local) call.args += piece;
  else if (piece) {
    call.args += piece;
    yield ev(
      call.custom
        ? 'response.custom_tool_call_input.delta'
        : 'response.function_call_arguments.delta',
      {
        item_id: call.item.id,
        output_index: call.index,
        delta: piece,
      },
    );
  }
}

/**
 * A call at the stream's end: its arguments' end event and its item, whole, in `status`
 * (`incomplete` for the call a cut-short answer stopped in: cut-short.ts). A local tool's item
 * replaces the function call's, in place.
 */
export function* toolCallDoneEvents(
  ev: StreamEvent,
  call: StreamedCall,
  status: 'completed' | 'incomplete',
): Generator<ResponsesEvent> {
  const local = call.local && localCallItem(call.local, String(call.item.call_id), call.args);
  if (local) {
    // A shell call can say it was cut short; an apply_patch call cannot (openapi.yaml).
    if (local.type === 'shell_call') local.status = status;
    // Its item replaces the function call's, in place: announced, then done.
    for (const key of Object.keys(call.item)) delete call.item[key];
    Object.assign(call.item, local);
    yield ev('response.output_item.added', {
      output_index: call.index,
      item: { ...local, status: 'in_progress' },
    });
    yield ev('response.output_item.done', { output_index: call.index, item: call.item });
    return;
  }
  if (call.local)
    // Arguments that make no shell or apply_patch call: a function call, announced late.
    yield ev('response.output_item.added', {
      output_index: call.index,
      item: { ...call.item },
    });
  if (call.custom) {
    yield ev('response.custom_tool_call_input.done', {
      item_id: call.item.id,
      output_index: call.index,
      input: call.args,
    });
    Object.assign(call.item, { input: call.args, status });
  } else {
    yield ev('response.function_call_arguments.done', {
      item_id: call.item.id,
      output_index: call.index,
      name: call.item.name,
      arguments: call.args,
    });
    Object.assign(call.item, { arguments: call.args, status });
  }
  yield ev('response.output_item.done', { output_index: call.index, item: call.item });
}
