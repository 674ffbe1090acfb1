// Inline images to Claude: sent with the type of their bytes (Claude refuses a block whose
// media_type is not its bytes' type; OpenAI reads the bytes and takes a mislabelled data URL), and
// one that is no PNG, JPEG, GIF or WebP is a 400 naming it, as the client sent it, before any call.
import { describe, expect, it } from 'vitest';
import { claudeDeployment } from '../../../test/helpers/test-config.js';
import { GatewayError } from '../../core/errors.js';
import type { ChatRequest } from '../../core/wire-types.js';
import { messagesToChat } from '../../http/anthropic/messages-convert.js';
import { responsesToChat } from '../../http/responses/responses-convert.js';
import { chatToAnthropicRequest } from './anthropic-convert.js';

/** Real signatures: PNG's eight bytes and IHDR; JPEG's SOI and JFIF APP0; BMP's "BM" header. */
const PNG = 'iVBORw0KGgoAAAANSUhEUg==';
const JPEG = '/9j/4AAQSkZJRgABAQ==';
const BMP = 'Qk02AAAAAAAAADYAAAAoAAAA';
const TEXT = Buffer.from('not an image at all').toString('base64');

const claude = claudeDeployment({ capabilities: { vision: true } });

/** A chat request whose second message carries `part` after a text part. */
function withPart(part: unknown): ChatRequest {
  return {
    model: 'x',
    messages: [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: [{ type: 'text', text: 'What is this?' }, part] },
    ],
  } as ChatRequest;
}

const imageUrl = (url: string) => ({ type: 'image_url', image_url: { url } });

function sentBlocks(body: ChatRequest): Record<string, unknown>[] {
  const out = chatToAnthropicRequest(body, claude);
  return (out.messages as { content: Record<string, unknown>[] }[])[0]!.content;
}

function refusal(body: ChatRequest): GatewayError {
  try {
    chatToAnthropicRequest(body, claude);
  } catch (e) {
    if (e instanceof GatewayError) return e;
    throw e;
  }
  throw new Error('converted without an error');
}

describe('inline images to Claude', () => {
  it('PNG bytes declared image/jpeg go as image/png, the data as it came', () => {
    expect(sentBlocks(withPart(imageUrl(`data:image/jpeg;base64,${PNG}`)))[1]).toEqual({
      type: 'image',
      source: { type: 'base64', media_type: 'image/png', data: PNG },
    });
  });

  it('JPEG bytes declared image/png go as image/jpeg, in an image file part too', () => {
    const file = { type: 'file', file: { file_data: `data:image/png;base64,${JPEG}` } };
    expect(sentBlocks(withPart(imageUrl(`data:image/png;base64,${JPEG}`)))[1]).toMatchObject({
      source: { media_type: 'image/jpeg' },
    });
    expect(sentBlocks(withPart(file))[1]).toMatchObject({
      type: 'image',
      source: { type: 'base64', media_type: 'image/jpeg', data: JPEG },
    });
  });

  it('an https image goes as a URL source, unread', () => {
    expect(sentBlocks(withPart(imageUrl('https://example.com/a.bmp')))[1]).toEqual({
      type: 'image',
      source: { type: 'url', url: 'https://example.com/a.bmp' },
    });
  });

  it('BMP bytes are a 400 naming the part', () => {
    const e = refusal(withPart(imageUrl(`data:image/bmp;base64,${BMP}`)));
    expect(e.status).toBe(400);
    expect(e.toEnvelope().error).toMatchObject({
      type: 'invalid_request_error',
      code: 'invalid_image_format',
      param: 'messages[1].content[1].image_url',
    });
    expect(e.message).toContain('is not a PNG, JPEG, GIF or WebP image');
    expect(e.message).toContain('application/octet-stream (declared image/bmp)');
  });

  it('text bytes, bad base64 and a data URL without base64 are 400s saying what they are', () => {
    expect(refusal(withPart(imageUrl(`data:image/png;base64,${TEXT}`))).message).toContain(
      'its bytes are text/plain (declared image/png)',
    );
    expect(refusal(withPart(imageUrl('data:image/png;base64,~~~~AAAA'))).message).toContain(
      'not valid base64',
    );
    expect(refusal(withPart(imageUrl('data:image/svg+xml,<svg/>'))).message).toContain(
      'not base64',
    );
    const file = { type: 'file', file: { file_data: `data:image/png;base64,${TEXT}` } };
    expect(refusal(withPart(file)).param).toBe('messages[1].content[1].file.file_data');
  });

  it("names the image as an Anthropic or Responses client sent it (its own request's path)", () => {
    // An Anthropic client's is refused at the door, whatever the route (audit F7, 2026-12-06).
    const fromMessages = () =>
      messagesToChat({
        model: 'claude',
        max_tokens: 100,
        system: 'Be brief.',
        messages: [
          { role: 'user', content: 'Hi' },
          { role: 'assistant', content: 'Hello' },
          {
            role: 'user',
            content: [
              { type: 'text', text: 'And this?' },
              { type: 'image', source: { type: 'base64', media_type: 'image/png', data: BMP } },
            ],
          },
        ],
      });
    expect(fromMessages).toThrow(
      expect.objectContaining({ param: 'messages.2.content.1.source.data' }) as Error,
    );
    const fromResponses = responsesToChat(
      {
        model: 'claude',
        input: [
          { role: 'user', content: 'Hi' },
          {
            role: 'user',
            content: [
              { type: 'input_text', text: 'And this?' },
              { type: 'input_image', image_url: `data:image/jpeg;base64,${TEXT}` },
            ],
          },
        ],
      },
      undefined,
    );
    expect(refusal(fromResponses.chat).param).toBe('input[1].content[1].image_url');
  });
});
