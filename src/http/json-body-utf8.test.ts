// JSON comes as UTF-8 (RFC 8259 §8.1). A body with bytes that are not UTF-8 (Latin-1 text, a
// truncated character) was read with U+FFFD in their place and sent upstream so, the prompt
// silently changed: it is a 400 saying where the first such byte is and how to send the text.
import { describe, expect, it } from 'vitest';
import { buildTestApp } from '../../test/helpers/build-test-app.js';
import { fakeAdapter } from '../../test/helpers/fake-adapter.js';
import { testConfig } from '../../test/helpers/test-config.js';

async function app() {
  const reply = [{ reply: 'ok' }];
  return buildTestApp(testConfig(), {
    big: fakeAdapter('big', reply),
    mid: fakeAdapter('mid', reply),
    small: fakeAdapter('small', reply),
  });
}

const latin1Chat = Buffer.concat([
  Buffer.from('{"model": "model-router",\n "messages": [{"role": "user", "content": "caf'),
  Buffer.from([0xe9]), // "é" in Latin-1
  Buffer.from(' crème"}]}'),
]);

describe('a JSON body that is not UTF-8', () => {
  it('is a 400 naming the byte, its line and column, in each API’s shape', async () => {
    const t = await app();
    const chat = await t.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      headers: { 'content-type': 'application/json' },
      payload: latin1Chat,
    });
    expect(chat.statusCode).toBe(400);
    expect(chat.json().error).toEqual({
      message:
        'The request body is not valid UTF-8: byte 0xE9 at line 2, column 47 is not part of a UTF-8 character. Send JSON encoded as UTF-8 (text in Latin-1 or Windows-1252 converts with iconv -f WINDOWS-1252 -t UTF-8).',
      type: 'invalid_request_error',
      param: null,
      code: 'invalid_json',
    });
    const messages = await t.app.inject({
      method: 'POST',
      url: '/v1/messages',
      headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
      payload: Buffer.concat([
        Buffer.from(
          '{"model": "model-router", "max_tokens": 5, "messages": [{"role": "user", "content": "\u00e9',
        ),
        Buffer.from([0xe2, 0x82]), // "€" cut short
        Buffer.from('"}]}'),
      ]),
    });
    expect(messages.statusCode).toBe(400);
    expect(messages.json().type).toBe('error');
    expect(messages.json().error.message).toMatch(
      /^The request body is not valid UTF-8: byte 0xE2 at line 1, column 87 /,
    );
  });

  it('still takes UTF-8 text of every width, a U+FFFD the client sent included', async () => {
    const t = await app();
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      headers: { 'content-type': 'application/json' },
      payload: Buffer.from(
        JSON.stringify({
          model: 'model-router',
          messages: [{ role: 'user', content: 'café € 𝄞 \ufffd 日本' }],
        }),
      ),
    });
    expect(res.statusCode).toBe(200);
  });
});
