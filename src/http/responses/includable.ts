// `include` on the Responses and Conversations APIs (openapi.yaml `IncludeEnum`, the openai SDK's
// `ResponseIncludable`): the values OpenAI takes. Any other is OpenAI's 400 naming it, so a typo
// (`reasoning.encrypted`) is not silently served without what it asked for. What each asks for is
// kept anyway: stored items are whole (log-probabilities, encrypted reasoning, image URLs where a
// response returned them), so a valid value needs nothing more.
import { invalidRequest } from '../../core/errors.js';

export const INCLUDABLE: readonly string[] = [
  'file_search_call.results',
  'web_search_call.results',
  'web_search_call.action.sources',
  'message.input_image.image_url',
  'computer_call_output.output.image_url',
  'code_interpreter_call.outputs',
  'reasoning.encrypted_content',
  'message.output_text.logprobs',
];

/** Each value a known one (a 400 naming `param[i]` otherwise); `values` are strings already. */
export function checkIncludable(values: readonly unknown[], param: string): void {
  values.forEach((v, i) => {
    if (typeof v === 'string' && INCLUDABLE.includes(v)) return;
    throw invalidRequest(
      `Invalid value for '${param}[${i}]': ${JSON.stringify(v)?.slice(0, 60)}. Supported values are: ${INCLUDABLE.map((x) => `'${x}'`).join(', ')}.`,
      `${param}[${i}]`,
      'invalid_value',
    );
  });
}

/** `include` of a query (`include=…` or the openai SDK's `include[]=…`, once or repeated). */
export function checkIncludeQuery(query: Record<string, unknown> | undefined): void {
  for (const key of ['include', 'include[]']) {
    const v = query?.[key];
    if (v === undefined) continue;
    const values = Array.isArray(v) ? v : [v];
    if (values.some((x) => typeof x !== 'string'))
      throw invalidRequest('Query parameter include must be strings.', 'include', 'invalid_type');
    checkIncludable(values, 'include');
  }
}
