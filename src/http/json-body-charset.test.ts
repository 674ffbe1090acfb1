// A JSON body whose content-type declares a charset other than UTF-8 was read as UTF-8: Latin-1
// "café" refused as no UTF-8, UTF-16 read as NUL-separated characters. It is decoded as declared,
// on every JSON route (OpenAI's, Anthropic's, Azure's paths; image edits': image-edit-json.test.ts),
// and a charset no decoder knows is a 415 in the route's own error shape saying to send UTF-8.
import { describe, expect, it } from 'vitest';
import { buildTestApp } from '../../test/helpers/build-test-app.js';
import { fakeAdapter, type FakeAdapter } from '../../test/helpers/fake-adapter.js';
import { testConfig } from '../../test/helpers/test-config.js';
import { declaredCharset } from './json-body-parser.js';

async function app() {
  const reply = [{ reply: 'ok' }, { reply: 'ok' }, { reply: 'ok' }];
  const adapters = {
    big: fakeAdapter('big', reply),
    mid: fakeAdapter('mid', reply),
    small: fakeAdapter('small', reply),
  };
  return { ...(await buildTestApp(testConfig(), adapters)), adapters };
}

const chat = (content: string) =>
  JSON.stringify({ model: 'big', messages: [{ role: 'user', content }] });
const claude = (content: string) =>
  JSON.stringify({ model: 'big', max_tokens: 5, messages: [{ role: 'user', content }] });
/** UTF-16 big-endian (Node encodes only little-endian). */
const utf16be = (s: string) => Buffer.from(s, 'utf16le').swap16();
const sentContent = (a: FakeAdapter) => a.calls.at(-1)!.body.messages.at(-1)!.content;

describe('a JSON body in a declared charset', () => {
  it('is decoded as declared: Latin-1, UTF-16 (with and without BOM), Shift_JIS', async () => {
    const t = await app();
    const post = (url: string, type: string, payload: Buffer) =>
      t.app.inject({
        method: 'POST',
        url,
        headers: { 'content-type': type, 'anthropic-version': '2023-06-01' },
        payload,
      });
    const latin1 = await post(
      '/v1/chat/completions',
      'application/json; charset=ISO-8859-1',
      Buffer.from(chat('café crème'), 'latin1'),
    );
    expect(latin1.statusCode).toBe(200);
    expect(sentContent(t.adapters.big)).toBe('café crème');

    const messages = await post(
      '/v1/messages',
      'application/json; charset="utf-16"',
      Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(claude('naïve 日本 𝄞'), 'utf16le')]),
    );
    expect(messages.statusCode).toBe(200);
    expect(sentContent(t.adapters.big)).toBe('naïve 日本 𝄞');

    const azure = await post(
      '/openai/deployments/big/chat/completions?api-version=2024-10-21',
      'application/json;charset=UTF-16BE',
      utf16be(chat('Grüße')),
    );
    expect(azure.statusCode).toBe(200);
    expect(sentContent(t.adapters.big)).toBe('Grüße');

    const sjis = await post(
      '/v1/chat/completions',
      'application/json; charset=shift_jis',
      // "日本" in Shift_JIS.
      Buffer.concat([
        Buffer.from(chat('@').split('@')[0]!),
        Buffer.from([0x93, 0xfa, 0x96, 0x7b]),
        Buffer.from(chat('@').split('@')[1]!),
      ]),
    );
    expect(sjis.statusCode).toBe(200);
    expect(sentContent(t.adapters.big)).toBe('日本');
  });

  it('is a 415 in the route’s shape for a charset no decoder knows, a 400 for bytes not in it', async () => {
    const t = await app();
    const utf32 = await t.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      headers: { 'content-type': 'application/json; charset=utf-32' },
      payload: Buffer.from(chat('hi')),
    });
    expect(utf32.statusCode).toBe(415);
    expect(utf32.json().error).toEqual({
      message:
        'The request body\'s content-type declares charset="utf-32", which this router cannot read. Send the JSON encoded as UTF-8 with content-type: application/json (charset=utf-8, or no charset).',
      type: 'invalid_request_error',
      param: null,
      code: 'unsupported_media_type',
    });
    const claude415 = await t.app.inject({
      method: 'POST',
      url: '/v1/messages',
      headers: {
        'content-type': 'application/json; charset=klingon',
        'anthropic-version': '2023-06-01',
      },
      payload: Buffer.from(claude('hi')),
    });
    expect(claude415.statusCode).toBe(415);
    expect(claude415.json()).toMatchObject({
      type: 'error',
      error: { type: 'invalid_request_error', message: expect.stringContaining('"klingon"') },
    });
    // 0x80 0x20 is no Shift_JIS character.
    const bad = await t.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      headers: { 'content-type': 'application/json; charset=shift_jis' },
      payload: Buffer.from([
        ...Buffer.from('{"model":"big","x":"'),
        0x80,
        0x20,
        ...Buffer.from('"}'),
      ]),
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toMatchObject({
      code: 'invalid_json',
      message: expect.stringMatching(
        /^The request body is not valid shift_jis, the charset its content-type declares \(charset=shift_jis\)/,
      ),
    });
    expect(t.adapters.big.calls).toHaveLength(0);
  });

  it('utf-8 declared (any spelling) is checked as UTF-8, as no charset is (or an empty one)', async () => {
    const t = await app();
    const empty = await t.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      headers: { 'content-type': 'application/json; charset=' },
      payload: Buffer.from(chat('café')),
    });
    expect(empty.statusCode).toBe(200);
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      headers: { 'content-type': 'application/json; charset=UTF8' },
      payload: Buffer.from(chat('café'), 'latin1'),
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.message).toMatch(/^The request body is not valid UTF-8: byte 0xE9/);
  });

  it('reads the charset parameter as a token or a quoted string', () => {
    expect(declaredCharset('application/json')).toBeUndefined();
    expect(declaredCharset('application/json; charset=Latin1')).toBe('latin1');
    expect(declaredCharset('application/json;charset="utf-16"; x=1')).toBe('utf-16');
    expect(declaredCharset('application/json; foo=bar;  CHARSET = utf-8 ')).toBe('utf-8');
  });
});
