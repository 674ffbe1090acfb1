// OpenAI Chat Completions is the internal format (STYLE.md principle 1). Type-only imports from the
// official `openai` package; nothing from it is loaded at run time.
import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionCreateParams,
  ChatCompletionMessageFunctionToolCall,
  ChatCompletionMessageParam,
  ChatCompletionTool,
} from 'openai/resources/chat/completions';

/** A chat request as the client sent it; fields we do not read pass through untouched. */
export type ChatRequest = ChatCompletionCreateParams & Record<string, unknown>;
export type ChatMessage = ChatCompletionMessageParam;
export type ChatTool = ChatCompletionTool;
/** A function tool call in an assistant message (`{id, type: 'function', function: {name, arguments}}`). */
export type FunctionToolCall = ChatCompletionMessageFunctionToolCall;

/** Azure's content filter annotations ride along on responses and chunks. */
export type ChatResponse = ChatCompletion & {
  prompt_filter_results?: unknown[];
  [key: string]: unknown;
};
export type ChatChunk = ChatCompletionChunk & {
  prompt_filter_results?: unknown[];
  [key: string]: unknown;
};
export type ChatUsage = NonNullable<ChatCompletion['usage']>;
