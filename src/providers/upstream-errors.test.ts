// Upstream errors as the client sees them: status, type and code kept, the message prefixed with
// the deployment, and an API key the upstream quotes (the router's, not the client's) redacted.
import { describe, expect, it } from 'vitest';
import { mapUpstreamError } from './upstream-errors.js';

describe('mapUpstreamError', () => {
  it('keeps an upstream 401 but never the key it quotes, masked or whole', () => {
    // OpenAI's reply to a wrong key (its API quotes the key's prefix and last four characters).
    const openai = JSON.stringify({
      error: {
        message: `Incorrect API key provided: sk-proj-${'*'.repeat(40)}abcd. You can find your API key at https://platform.openai.com/account/api-keys.`,
        type: 'invalid_request_error',
        param: null,
        code: 'invalid_api_key',
      },
    });
    const err = mapUpstreamError(401, openai, {}, 'gpt-4o');
    expect(err.status).toBe(401);
    expect(err.code).toBe('invalid_api_key');
    expect(err.message).toBe(
      'gpt-4o: Incorrect API key provided: [redacted]. You can find your API key at https://platform.openai.com/account/api-keys.',
    );
    const whole = mapUpstreamError(
      401,
      '{"error": {"message": "bad key sk-ant-api03-abcdefghijklmnop and rk-live-1234"}}',
      {},
      'claude',
    );
    expect(whole.message).toBe('claude: bad key [redacted] and [redacted]');
    // Words that merely end in sk- or pk- are not keys.
    expect(mapUpstreamError(400, '{"error": "a risk-based check"}', {}, 'd').message).toBe(
      'd: a risk-based check',
    );
  });
});
