// The fields of an Anthropic Messages request the conversion reads, checked as Anthropic's API
// checks them (anthropic_openapi_curated.yaml), so a malformed request gets a 400 naming the field
// in Anthropic's words instead of being guessed at and failing, or quietly changing, upstream.
import { invalidRequest } from '../../core/errors.js';
import { checkNumberField, requiredWithoutTools, unofferedToolChoice } from '../check-fields.js';
import { isObject } from '../../core/is-object.js';
import { checkWebSearchTool, isWebSearchTool } from './messages-web-search.js';
import { isAnthropicDefinedTool, requiredName } from './anthropic-defined-tools.js';
import { describeImageFault, inlineImageType } from '../../files/inline-image.js';
import { jsonSchemaFault } from '../json-schema-fault.js';
import { checkFallbacks } from './check-fallbacks.js';

type Json = Record<string, unknown>;

const TOOL_CHOICES = new Set(['auto', 'any', 'none', 'tool']);
/** `thinking.type`s the router carries (the SDK's `ThinkingConfigParam`). */
const THINKING_TYPES = new Set<unknown>(['enabled', 'adaptive', 'disabled']);
/** `output_config.effort` (Anthropic's docs, "Effort"; the SDK's `OutputConfig`). */
const EFFORTS = new Set<unknown>(['low', 'medium', 'high', 'xhigh', 'max']);

/** Throws a 400 for the first field that breaks Anthropic's rules; the messages' blocks too. */
export function checkMessagesRequest(body: Json, forCount: boolean): void {
  // Wrong types are a 400 in Anthropic's (pydantic's) words, not a list of tools silently ignored.
  if (body.messages !== undefined && body.messages !== null && !Array.isArray(body.messages))
    throw invalidRequest('messages: Input should be a valid list', 'messages');
  if (body.tools !== undefined && body.tools !== null && !Array.isArray(body.tools))
    throw invalidRequest('tools: Input should be a valid list', 'tools');
  const metadata = body.metadata;
  if (metadata !== undefined && metadata !== null) {
    if (!isObject(metadata))
      throw invalidRequest('metadata: Input should be a valid dictionary', 'metadata');
    if (metadata.user_id != null && typeof metadata.user_id !== 'string')
      throw invalidRequest('metadata.user_id: Input should be a valid string', 'metadata.user_id');
  }
  // Claude-only fields the router reads (policy/claude-only-params.ts), in Anthropic's wording.
  if (body.speed != null && body.speed !== 'standard' && body.speed !== 'fast')
    throw invalidRequest("speed: Input should be 'standard' or 'fast'", 'speed');
  if (body.inference_geo != null && (typeof body.inference_geo !== 'string' || !body.inference_geo))
    throw invalidRequest('inference_geo: Input should be a valid string', 'inference_geo');
  checkFallbacks(body.fallbacks);
  // max_tokens an integer ≥ 1, temperature 0–1, top_p 0–1, top_k an integer ≥ 0, an enabled
  // thinking budget an integer ≥ 1,024 and under max_tokens.
  if (!forCount) checkNumberField(body.max_tokens, 'max_tokens', { integer: true, min: 1 }, true);
  checkNumberField(body.temperature, 'temperature', { min: 0, max: 1 });
  checkNumberField(body.top_p, 'top_p', { min: 0, max: 1 });
  checkNumberField(body.top_k, 'top_k', { integer: true, min: 0 });
  const thinking = body.thinking;
  if (
    thinking !== undefined &&
    thinking !== null &&
    (!isObject(thinking) || !THINKING_TYPES.has(thinking.type as string))
  )
    throw invalidRequest(
      'thinking: must be {"type": "enabled", "budget_tokens": …}, {"type": "adaptive"} or {"type": "disabled"}',
      'thinking.type',
    );
  if (isObject(body.thinking) && body.thinking.type === 'enabled') {
    const budget = body.thinking.budget_tokens;
    checkNumberField(budget, 'thinking.budget_tokens', { integer: true, min: 1024 }, true);
    // Checked apart from the minimum: folded into one range, a max_tokens of 1,024 or less read
    // "from 1024 to 99", a range no budget fits, without saying that max_tokens is what to raise.
    const maxTokens = typeof body.max_tokens === 'number' ? body.max_tokens : undefined;
    if (!forCount && maxTokens !== undefined && (budget as number) >= maxTokens)
      throw invalidRequest(
        `'max_tokens' must be greater than 'thinking.budget_tokens' (the budget is part of it); got max_tokens ${maxTokens} and budget_tokens ${budget as number}: raise max_tokens or lower the budget (at least 1024).`,
        'max_tokens',
      );
  }
  if (
    body.service_tier !== undefined &&
    body.service_tier !== null &&
    body.service_tier !== 'auto' &&
    body.service_tier !== 'standard_only'
  )
    throw invalidRequest(
      `service_tier: Input should be 'auto' or 'standard_only' (got ${JSON.stringify(body.service_tier).slice(0, 60)})`,
      'service_tier',
    );
  if (body.stream !== undefined && typeof body.stream !== 'boolean')
    throw invalidRequest('stream: Input should be a valid boolean', 'stream');
  const stops = body.stop_sequences;
  if (stops !== undefined && (!Array.isArray(stops) || stops.some((s) => typeof s !== 'string')))
    throw invalidRequest('stop_sequences: Input should be a list of strings', 'stop_sequences');
  if (Array.isArray(body.system)) body.system.forEach((b, i) => checkTextBlock(b, `system.${i}`));
  const tc = body.tool_choice;
  if (tc !== undefined) {
    if (!isObject(tc) || typeof tc.type !== 'string' || !TOOL_CHOICES.has(tc.type))
      throw invalidRequest(
        'tool_choice: must be {"type": "auto"}, {"type": "any"}, {"type": "none"} or {"type": "tool", "name": …}',
        'tool_choice',
      );
    if (tc.type === 'any' && !(Array.isArray(body.tools) && body.tools.length > 0))
      throw requiredWithoutTools('tool_choice', '{"type": "any"}');
    if (tc.type === 'tool' && typeof tc.name !== 'string')
      throw invalidRequest('tool_choice.name: Field required for type "tool"', 'tool_choice.name');
    const offered = Array.isArray(body.tools)
      ? body.tools.filter(isObject).map((t) => String(t.name))
      : [];
    const why = tc.type === 'tool' ? unofferedToolChoice(String(tc.name), offered) : undefined;
    if (why)
      throw invalidRequest(
        `tool_choice.name: ${why}; name a tool in tools, or define it there`,
        'tool_choice.name',
      );
  }
  // Anthropic's MCP connector runs remote MCP servers' tools at Anthropic: as with its server
  // tools, routing may pick a model that cannot, and the tools would silently be missing.
  if (!forCount && body.mcp_servers !== undefined && body.mcp_servers !== null)
    throw invalidRequest(
      "mcp_servers: Anthropic's MCP connector is not supported by this router (routing may pick a model that cannot reach the servers): list the MCP servers' tools as client tools and call them yourself.",
      'mcp_servers',
    );
  // Message threads (`thread`, the SDK's `client.beta.messages.thread()` and its tool runner):
  // server-held conversation state, which the router does not keep, and which a Claude deployment
  // could not keep either when the next turn is routed elsewhere. Refused with Anthropic's
  // `thread_unsupported_request` (anthropic-error-body.ts), on which the SDK sends the full
  // history instead (SDK 1.13 `ThreadState.recoversFrom`); before, `create` was quietly dropped
  // and the tool runner's second turn, only its tool results, was refused as unpaired.
  if (!forCount && body.thread !== undefined && body.thread !== null)
    throw invalidRequest(
      'thread: message threads (conversation state held by the server) are not supported by this router: send the full conversation without `thread`.',
      'thread',
      'thread_unsupported_request',
    );
  checkOutputFormat(body);
  if (Array.isArray(body.tools))
    body.tools.forEach((t, i) => {
      // Anthropic's other tools (code execution, computer use: a versioned `type`) run at
      // Anthropic or need a display: routing may pick a model that has neither, so they are
      // refused rather than sent on as tools that do nothing.
      // A token count does not run anything: it counts them as Anthropic would.
      // Web search is routed to deployments that search (messages-convert.ts).
      if (isObject(t) && isWebSearchTool(t)) return checkWebSearchTool(t, `tools.${i}`);
      // Bash, the text editor and memory run at the client: served by any model
      // (anthropic-defined-tools.ts), under the name Anthropic requires for the type.
      if (isObject(t) && isAnthropicDefinedTool(t)) return checkDefinedTool(t, `tools.${i}`);
      if (!forCount && isObject(t) && typeof t.type === 'string' && t.type !== 'custom')
        throw invalidRequest(
          `tools.${i}: Anthropic's ${t.type} tool is not supported by this router (routing may pick a model that cannot run it): define a client tool with name, description and input_schema, and run it yourself.`,
          `tools.${i}.type`,
        );
      checkCustomTool(t, `tools.${i}`);
    });
  const messages = body.messages;
  if (Array.isArray(messages)) {
    messages.forEach((m, i) => {
      if (isObject(m)) checkNotEmpty(m, i, i === messages.length - 1);
      if (!isObject(m) || !Array.isArray(m.content)) return;
      // A system message holds text only, as the top-level `system` does.
      const check = m.role === 'system' ? checkTextBlock : checkBlock;
      m.content.forEach((b, j) => {
        const path = `messages.${i}.content.${j}`;
        check(b, path);
        if (m.role === 'user') checkUserBlock(b, path);
        // The client's own blocks cannot stand in Claude's turn (the conversion left them out).
        if (m.role === 'assistant' && isObject(b) && USER_ONLY_BLOCKS.has(b.type as string))
          throw invalidRequest(
            `${path}: a ${String(b.type)} block belongs in a user message, not in an assistant message`,
            `${path}.type`,
          );
      });
    });
    // A token count runs nothing: it counts what it is given, as for server tools above.
    if (!forCount) checkToolResults(messages);
  }
}

/**
 * Anthropic's rule and words: every turn has content but a final assistant one (a prefill, which
 * may be empty). Before, an empty user turn was dropped on the way, and Claude got a request
 * without it (even `messages: []`) or another model answered it: audit F7, 2026-12-06. A first
 * turn of the assistant is not refused: the spec says the first must be the user's, but
 * Anthropic's API takes it (anthropics/anthropic-sdk-typescript#622), as every chat API does.
 */
function checkNotEmpty(m: Json, i: number, last: boolean): void {
  if (m.role === 'system' || (m.role === 'assistant' && last)) return;
  if (m.content === '' || (Array.isArray(m.content) && m.content.length === 0))
    throw invalidRequest(
      `messages.${i}: all messages must have non-empty content except for the optional final assistant message`,
      `messages.${i}.content`,
    );
}

/** Anthropic's image types (spec `Base64ImageSource.media_type`). */
const IMAGE_TYPES = new Set<unknown>(['image/jpeg', 'image/png', 'image/gif', 'image/webp']);
/** A character no base64 has (white space is let through, as Node's decoder does). */
const NOT_BASE64 = /[^A-Za-z0-9+/=\s]/;

/**
 * A user turn's text, image and document blocks (and those of its tool results) as Anthropic takes
 * them: text not empty, an inline image one of its four types in base64 whose bytes are an image,
 * an inline document a PDF in base64 or plain text. Checked here, whatever routing picks: before,
 * Claude's route refused a bad image while an OpenAI-format one forwarded it, and a text block
 * with no text reached Claude as a turn without content (audit F7, 2026-12-06). An image whose
 * bytes are another of the four types than it says is taken (Claude gets the bytes' type).
 */
function checkUserBlock(b: unknown, path: string): void {
  if (!isObject(b)) return;
  if (b.type === 'text' && b.text === '')
    throw invalidRequest(`${path}.text: text content blocks must be non-empty`, `${path}.text`);
  if (b.type === 'image') checkImageSource(b.source, `${path}.source`);
  if (b.type === 'document') checkDocumentSource(b.source, `${path}.source`);
  if (b.type === 'search_result') checkSearchResult(b, path);
  if (b.type === 'tool_result' && Array.isArray(b.content))
    b.content.forEach((c, k) => {
      if (isObject(c) && c.type !== 'text') checkUserBlock(c, `${path}.content.${k}`);
    });
}

function checkImageSource(source: unknown, path: string): void {
  if (!isObject(source) || source.type !== 'base64') return;
  if (!IMAGE_TYPES.has(source.media_type))
    throw invalidRequest(
      `${path}.media_type: Input should be 'image/jpeg', 'image/png', 'image/gif' or 'image/webp'${typeof source.media_type === 'string' ? `; got '${source.media_type.slice(0, 64)}'` : ''}`,
      `${path}.media_type`,
    );
  checkBase64(source.data, `${path}.data`, 'image');
  // In the router's words for such an image on every API (files/inline-image.ts), which reads
  // its first bytes only: the head is all it is given, not a copy of megabytes.
  const head = String(source.data).slice(0, 128);
  const found = inlineImageType(`data:${String(source.media_type)};base64,${head}`);
  if (found && 'fault' in found)
    throw invalidRequest(
      `${describeImageFault({ param: path, found: found.fault })}.`,
      `${path}.data`,
      'invalid_image_format',
    );
}

function checkDocumentSource(source: unknown, path: string): void {
  if (!isObject(source)) return;
  const wanted =
    source.type === 'base64' ? 'application/pdf' : source.type === 'text' ? 'text/plain' : '';
  if (wanted && source.media_type !== undefined && source.media_type !== wanted)
    throw invalidRequest(
      source.type === 'base64'
        ? `${path}.media_type: Input should be 'application/pdf' (a base64 document is a PDF; send text as {"type": "text", "media_type": "text/plain", "data": …}, images in image blocks)`
        : `${path}.media_type: Input should be 'text/plain'`,
      `${path}.media_type`,
    );
  if (source.type === 'base64') checkBase64(source.data, `${path}.data`, 'PDF');
  if (source.type === 'text' && typeof source.data !== 'string')
    throw invalidRequest(`${path}.data: Input should be a valid string`, `${path}.data`);
}

/**
 * A search result as Anthropic requires it (the SDK's `SearchResultBlockParam`): a `source` and a
 * `title` (strings) and its `content`, text blocks with text.
 */
function checkSearchResult(b: Json, path: string): void {
  for (const key of ['source', 'title'])
    if (typeof b[key] !== 'string')
      throw invalidRequest(`${path}.${key}: Field required (a string)`, `${path}.${key}`);
  const content = b.content;
  if (!Array.isArray(content) || content.length === 0)
    throw invalidRequest(
      `${path}.content: Input should be a non-empty list of text blocks`,
      `${path}.content`,
    );
  content.forEach((c, k) => {
    checkTextBlock(c, `${path}.content.${k}`);
    if ((c as Json).text === '')
      throw invalidRequest(
        `${path}.content.${k}.text: text content blocks must be non-empty`,
        `${path}.content.${k}.text`,
      );
  });
}

function checkBase64(data: unknown, path: string, what: string): void {
  if (typeof data !== 'string' || data === '')
    throw invalidRequest(`${path}: Field required (the ${what}'s bytes in base64)`, path);
  if (NOT_BASE64.test(data))
    throw invalidRequest(`${path}: the ${what} data is not valid base64`, path);
}

/** Blocks only the user's turn holds: what the client sends Claude. */
const USER_ONLY_BLOCKS = new Set(['tool_result', 'image', 'document', 'search_result']);

function checkDefinedTool(t: Json, path: string): void {
  const name = requiredName(String(t.type));
  if (t.name !== name)
    throw invalidRequest(
      `${path}.name: Anthropic's ${String(t.type)} tool must be named ${JSON.stringify(name)}`,
      `${path}.name`,
    );
}

/**
 * A client tool (no `type`, or `custom`: the SDK's `Tool`) has a `name` and an `input_schema`, as
 * Anthropic requires (a 400 otherwise; `{"type": "object"}` is a tool that takes nothing). Anthropic's
 * own tools (a versioned `type`) have neither and are judged above. Without this a tool with no
 * schema was sent on, and the answer depended on the pick: Claude refused it, OpenAI-format
 * upstreams took it as a function without parameters.
 */
const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;

function checkCustomTool(t: unknown, path: string): void {
  if (!isObject(t)) throw invalidRequest(`${path}: Input should be a valid dictionary`, path);
  if (t.type !== undefined && t.type !== null && t.type !== 'custom') return;
  if (typeof t.name !== 'string' || t.name === '')
    throw invalidRequest(`${path}.name: Field required (the tool's name)`, `${path}.name`);
  // Anthropic's rule for a tool's name (spec `Tool.name`: at most 64, as OpenAI's), checked here
  // so that the pick cannot decide the answer (128 were let through to OpenAI: audit F6).
  if (!TOOL_NAME.test(t.name))
    throw invalidRequest(
      `${path}.name: String should match pattern '^[a-zA-Z0-9_-]{1,64}$' (letters, digits, _ and -; at most 64 characters)${t.name.length > 64 ? `; "${t.name.slice(0, 20)}…" has ${t.name.length}` : ''}`,
      `${path}.name`,
    );
  if (t.input_schema === undefined || t.input_schema === null)
    throw invalidRequest(
      `${path}.input_schema: Field required (a JSON Schema object for the tool's input; {"type": "object"} for a tool that takes none)`,
      `${path}.input_schema`,
    );
  if (!isObject(t.input_schema))
    throw invalidRequest(
      `${path}.input_schema: must be a JSON Schema object`,
      `${path}.input_schema`,
    );
  // Anthropic's words for a schema its meta-schema refuses (OpenAI refuses it too).
  const fault = jsonSchemaFault(t.input_schema);
  if (fault)
    throw invalidRequest(
      `${path}.input_schema: JSON schema is invalid (${fault}). It must match JSON Schema draft 2020-12 (https://json-schema.org/draft/2020-12).`,
      `${path}.input_schema`,
    );
}

/**
 * Anthropic's rules: a `tool_result` answers a `tool_use` of the assistant turn before it (Claude
 * Code's mid-conversation system messages may stand between), and the user turn after an assistant
 * turn with `tool_use` blocks answers every one of them. Anthropic answers 400 otherwise, and so
 * does OpenAI for the chat messages they become, so such a request is refused here, in Anthropic's
 * words, instead of by whichever upstream routing picks (the simulated fleet took it). Consecutive
 * turns of one role are one turn to Anthropic (its docs: they are combined), and a conversation
 * that ends on the calls is left to the upstream.
 */
function checkToolResults(messages: unknown[]): void {
  // The tool_use ids of the latest assistant turn: the user and system messages after it do not
  // change them (a system message may stand between a call and its result).
  let called = new Set<string>();
  // Of those, the ids no tool_result has answered yet; where that turn starts; whether a user
  // message has come since (its turn is then the one that must answer them).
  let unanswered = new Set<string>();
  let caller = -1;
  let userTurn = false;
  messages.forEach((m, i) => {
    if (!isObject(m)) return;
    const blocks = Array.isArray(m.content) ? m.content.filter(isObject) : [];
    if (m.role === 'assistant') {
      const ids = blocks.flatMap((b) => (b.type === 'tool_use' ? [String(b.id)] : []));
      // Anthropic's rule and words: a tool_result could not say which of two it answers.
      const sameTurn = userTurn || caller < 0 ? new Set<string>() : called;
      ids.forEach((id, k) => {
        if (sameTurn.has(id) || ids.indexOf(id) !== k)
          throw invalidRequest(
            `messages.${i}: \`tool_use\` ids must be unique (${id.slice(0, 64)} is given twice in one assistant turn): give each tool_use block its own id.`,
            `messages.${i}.content`,
          );
      });
      if (userTurn || caller < 0) {
        refuseUnanswered(unanswered, caller);
        called = new Set(ids);
        unanswered = new Set(ids);
        caller = i;
        userTurn = false;
      } else {
        // Another assistant message right after: the same turn to Anthropic.
        for (const id of ids) {
          called.add(id);
          unanswered.add(id);
        }
      }
      return;
    }
    if (m.role === 'user') userTurn = true;
    blocks.forEach((b, j) => {
      if (b.type !== 'tool_result') return;
      unanswered.delete(b.tool_use_id as string);
      if (called.has(b.tool_use_id as string)) return;
      const path = `messages.${i}.content.${j}`;
      throw invalidRequest(
        `${path}: unexpected \`tool_use_id\` found in \`tool_result\` blocks: ${String(b.tool_use_id).slice(0, 64)}. Each \`tool_result\` block must have a corresponding \`tool_use\` block in the previous message: send the assistant turn with its tool_use blocks before the results.`,
        `${path}.tool_use_id`,
      );
    });
  });
  if (userTurn) refuseUnanswered(unanswered, caller);
}

/** The 400 for tool_use blocks of messages[caller] that the user turn after it left unanswered. */
function refuseUnanswered(unanswered: ReadonlySet<string>, caller: number): void {
  if (unanswered.size === 0) return;
  const ids = [...unanswered].map((id) => id.slice(0, 64));
  const listed = ids.length > 8 ? `${ids.slice(0, 8).join(', ')}, …` : ids.join(', ');
  throw invalidRequest(
    `messages.${caller}: \`tool_use\` ids were found without \`tool_result\` blocks immediately after: ${listed}. Each \`tool_use\` block must have a corresponding \`tool_result\` block in the next message: answer each call in the user turn that follows it.`,
    `messages.${caller}.content`,
  );
}

/**
 * Structured outputs: `output_config.format` (and the beta's `output_format`) must be
 * {"type": "json_schema", "schema": {…}}, the one format Anthropic defines; `output_config.effort`
 * one of Anthropic's levels.
 */
function checkOutputFormat(body: Json): void {
  if (body.output_config !== undefined && body.output_config !== null) {
    if (!isObject(body.output_config))
      throw invalidRequest('output_config: Input should be an object', 'output_config');
    checkFormat(body.output_config.format, 'output_config.format');
    const effort = body.output_config.effort;
    if (effort !== undefined && effort !== null && !EFFORTS.has(effort as string))
      throw invalidRequest(
        "output_config.effort: Input should be 'low', 'medium', 'high', 'xhigh' or 'max'",
        'output_config.effort',
      );
  }
  checkFormat(body.output_format, 'output_format');
}

function checkFormat(format: unknown, path: string): void {
  if (format === undefined || format === null) return;
  if (!isObject(format) || format.type !== 'json_schema' || !isObject(format.schema))
    throw invalidRequest(
      `${path}: must be {"type": "json_schema", "schema": {…}} with a JSON Schema object`,
      path,
    );
}

function checkTextBlock(b: unknown, path: string): void {
  if (!isObject(b) || b.type !== 'text' || typeof b.text !== 'string')
    throw invalidRequest(`${path}: must be a text block {"type": "text", "text": "…"}`, path);
}

function checkBlock(b: unknown, path: string): void {
  if (!isObject(b)) throw invalidRequest(`${path}: a content block must be an object`, path);
  if (b.type === 'text') checkTextBlock(b, path);
  else if (b.type === 'tool_use') {
    if (typeof b.id !== 'string' || typeof b.name !== 'string')
      throw invalidRequest(`${path}: a tool_use block needs a string id and name`, path);
    if (b.input !== undefined && !isObject(b.input))
      throw invalidRequest(`${path}.input: must be an object`, `${path}.input`);
  } else if (b.type === 'tool_result' && typeof b.tool_use_id !== 'string')
    throw invalidRequest(
      `${path}.tool_use_id: Field required (the id of the tool_use block it answers)`,
      `${path}.tool_use_id`,
    );
}
