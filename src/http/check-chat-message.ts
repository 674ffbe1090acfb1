// One message of a chat request, checked on the fields the router reads and on OpenAI's rules
// (roles, content parts, which roles may carry images and files), so the answer does not depend
// on which deployment routing picks. Run on each message by parseChatRequest.
import { GatewayError, invalidRequest } from '../core/errors.js';
import { describeValue } from '../core/describe-value.js';
import { isObject } from '../core/is-object.js';
import { isImageUrl, quoteUrl } from '../core/image-url.js';
import { checkToolCalls } from './check-chat-tools.js';

const ROLES = new Set(['system', 'developer', 'user', 'assistant', 'tool', 'function']);
const PART_TYPES = new Set(['text', 'image_url', 'input_audio', 'file', 'refusal']);

/** Roles whose content parts are text only (OpenAI: text, and an assistant's refusal). */
const TEXT_ONLY_ROLES = new Set(['system', 'developer', 'assistant']);

/** `messages[i]`: its role, its tool calls, and its content (a string or content parts). */
export function checkChatMessage(m: unknown, i: number): void {
  const p = `messages[${i}]`;
  if (!isObject(m))
    throw invalidRequest(`${p} must be an object with 'role' and 'content'.`, p, 'invalid_type');
  if (typeof m.role !== 'string' || !ROLES.has(m.role))
    throw invalidRequest(
      `${p}.role must be one of system, developer, user, assistant, tool; got ${describeValue(m.role)}.`,
      `${p}.role`,
      'invalid_value',
    );
  if (m.name !== undefined && m.name !== null && typeof m.name !== 'string')
    throw invalidRequest(
      `Invalid type for '${p}.name': expected a string naming the participant, but got ${describeValue(m.name)}.`,
      `${p}.name`,
      'invalid_type',
    );
  if (m.role === 'assistant' && m.tool_calls !== undefined && m.tool_calls !== null)
    checkToolCalls(m.tool_calls, `${p}.tool_calls`);
  const c = m.content;
  if (c === undefined || c === null) {
    if (m.role === 'assistant' && (Array.isArray(m.tool_calls) || m.function_call)) return;
    if (m.role === 'assistant' && c === null) return;
    throw invalidRequest(
      `${p}.content is required for role '${m.role}'.`,
      `${p}.content`,
      'missing_required_parameter',
    );
  }
  if (typeof c === 'string') return;
  if (!Array.isArray(c))
    throw invalidRequest(
      `${p}.content must be a string or an array of content parts.`,
      `${p}.content`,
      'invalid_type',
    );
  // OpenAI's rules (openapi.yaml: `minItems: 1`; images and files in user messages only): refused
  // here, so that the pick does not decide between a 400 and a part silently left out.
  if (c.length === 0 && m.role !== 'assistant' && m.role !== 'tool')
    throw invalidRequest(
      `${p}.content must not be an empty array: send a string or at least one content part.`,
      `${p}.content`,
      'empty_array',
    );
  c.forEach((part, j) => {
    const pp = `${p}.content[${j}]`;
    if (!isObject(part) || typeof part.type !== 'string' || !PART_TYPES.has(part.type))
      throw invalidRequest(
        `${pp}.type must be one of text, image_url, file.`,
        `${pp}.type`,
        'invalid_value',
      );
    if (
      (part.type === 'image_url' || part.type === 'file') &&
      TEXT_ONLY_ROLES.has(m.role as string)
    )
      throw invalidRequest(
        `${pp}: a ${part.type} part is allowed in user messages only, not in ${m.role === 'assistant' ? 'an' : 'a'} ${m.role as string} message; move it to a user message.`,
        `${pp}.type`,
        'invalid_value',
      );
    if (part.type === 'input_audio')
      throw new GatewayError({
        status: 400,
        type: 'invalid_request_error',
        code: 'unsupported_content',
        param: pp,
        message: `${pp}: audio input is not supported by this router; send text or images.`,
      });
    if (part.type === 'text' && typeof part.text !== 'string')
      throw invalidRequest(`${pp}.text must be a string.`, `${pp}.text`, 'invalid_type');
    if (
      part.type === 'image_url' &&
      (!isObject(part.image_url) || typeof part.image_url.url !== 'string')
    )
      throw invalidRequest(
        `${pp}.image_url.url must be a string (https URL or data URL).`,
        `${pp}.image_url`,
        'invalid_type',
      );
    const url = part.type === 'image_url' ? (part.image_url as { url: string }).url : undefined;
    if (url !== undefined && !isImageUrl(url, true))
      throw invalidRequest(
        `${pp}.image_url.url must be an http(s) URL or a data URL (data:image/png;base64,…); got ${quoteUrl(url)}.`,
        `${pp}.image_url.url`,
        'invalid_value',
      );
    const detail =
      part.type === 'image_url' ? (part.image_url as { detail?: unknown }).detail : null;
    if (detail !== undefined && detail !== null && !IMAGE_DETAILS.has(detail))
      throw invalidRequest(
        `Invalid value for '${pp}.image_url.detail': ${describeValue(detail)}. Supported values are: 'auto', 'low', and 'high'.`,
        `${pp}.image_url.detail`,
        'invalid_value',
      );
    if (part.type === 'file') checkFilePart(part.file, `${pp}.file`);
  });
}

/** openapi.yaml `ChatCompletionRequestMessageContentPartImage.image_url.detail`. */
const IMAGE_DETAILS = new Set<unknown>(['auto', 'low', 'high']);

/**
 * A file part's `file` (openapi.yaml `ChatCompletionRequestMessageContentPartFile`): its bytes as
 * `file_data` or an uploaded file's `file_id`, and an optional `filename`, each a string. A part
 * with neither was passed on to be refused by the upstream, or read as no file at all.
 */
function checkFilePart(file: unknown, path: string): void {
  const fix = `send {"file_data": "data:application/pdf;base64,…", "filename": "…"} or {"file_id": "file-…"}`;
  if (!isObject(file))
    throw invalidRequest(
      `${path} is required in a file part: ${fix}.`,
      path,
      'missing_required_parameter',
    );
  for (const key of ['file_data', 'file_id', 'filename'])
    if (file[key] !== undefined && file[key] !== null && typeof file[key] !== 'string')
      throw invalidRequest(
        `Invalid type for '${path}.${key}': expected a string, but got ${describeValue(file[key])}.`,
        `${path}.${key}`,
        'invalid_type',
      );
  if (typeof file.file_data !== 'string' && typeof file.file_id !== 'string')
    throw invalidRequest(
      `${path} names no file: ${fix}.`,
      `${path}.file_data`,
      'missing_required_parameter',
    );
}
