// A prompt past the context window reaches an Anthropic client with Anthropic's words for it
// ("prompt is too long"), the only sign its envelope has: before, the router's own message, which
// LangChain's ChatAnthropic did not take for a ContextOverflowError.
import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../core/errors.js';
import { anthropicErrorBody } from './anthropic-error-body.js';

const overflow = (message: string) =>
  new GatewayError({
    status: 400,
    type: 'invalid_request_error',
    code: 'context_length_exceeded',
    param: 'messages',
    message,
  });

describe('anthropicErrorBody', () => {
  it("gives a context_length_exceeded message Anthropic's words, once", () => {
    const routed = anthropicErrorBody(
      overflow('No deployment of "m" can serve this request'),
      'r1',
    );
    expect(routed).toEqual({
      type: 'error',
      error: {
        type: 'invalid_request_error',
        message: 'prompt is too long: No deployment of "m" can serve this request',
      },
      request_id: 'r1',
    });
    // Claude's own refusal, as the router passes it on (its deployment's name first), is left as is.
    const upstream = anthropicErrorBody(
      overflow('claude: prompt is too long: 210000 tokens > 200000 maximum'),
    );
    expect((upstream.error as { message: string }).message).toBe(
      'claude: prompt is too long: 210000 tokens > 200000 maximum',
    );
  });

  it('leaves other errors as they are', () => {
    const other = new GatewayError({
      status: 400,
      type: 'invalid_request_error',
      code: 'no_eligible_deployment',
      message: 'No deployment of "m" can serve this request',
    });
    expect((anthropicErrorBody(other).error as { message: string }).message).toBe(
      'No deployment of "m" can serve this request',
    );
  });
});
