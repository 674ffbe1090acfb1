// The content filter on requests and on whole answers: keywords, patterns, PII (Luhn-checked cards).
import { describe, expect, it } from 'vitest';
import type { ChatRequest, ChatResponse } from '../core/wire-types.js';
import { luhnValid } from './filters/pii-patterns.js';
import { RULES, caught, filter, req } from '../../test/helpers/content-filter-fixtures.js';

describe('content filter: input', () => {
  it('blocks a keyword with Azure content_filter error shape', async () => {
    const err = await caught(filter(RULES).filterInput(req('Tell me about bluebird plans')));
    expect(err.status).toBe(400);
    expect(err.toEnvelope()).toEqual({
      error: {
        message: expect.stringContaining('(rules: secret-project)'),
        type: 'invalid_request_error',
        param: 'prompt',
        code: 'content_filter',
        status: 400,
        innererror: {
          code: 'ResponsibleAIPolicyViolation',
          content_filter_result: {
            custom_blocklists: {
              filtered: true,
              details: [{ filtered: true, id: 'secret-project' }],
            },
            personally_identifiable_information: { filtered: false, detected: false },
          },
        },
      },
    });
    expect(err.message).not.toContain('bluebird');
  });

  it('matches whole words only', async () => {
    const out = await filter(RULES).filterInput(req('the bluebirds sing'));
    expect(out.request.messages[0]).toEqual({ role: 'user', content: 'the bluebirds sing' });
  });

  it('redacts PII (card numbers only when Luhn-valid) and reports prompt_filter_results', async () => {
    const input =
      'Mail a.b@example.co.uk, call +1 555-123-4567, card 4111 1111 1111 1111, order 4111 1111 1111 1112, TCK-1234';
    const out = await filter(RULES).filterInput(req(input));
    expect(out.request.messages[0]).toEqual({
      role: 'user',
      content:
        'Mail [redacted:email], call [redacted:phone], card [redacted:card], order 4111 1111 1111 1112, TCK-1234',
    });
    expect(out.promptFilterResults).toEqual([
      {
        prompt_index: 0,
        content_filter_results: {
          custom_blocklists: { filtered: false, details: [{ filtered: false, id: 'ticket' }] },
          personally_identifiable_information: { filtered: false, detected: true, redacted: true },
        },
      },
    ]);
  });

  it('redacts text parts and leaves the original request untouched', async () => {
    const request = {
      model: 'm',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'me@x.io' },
            { type: 'image_url', image_url: { url: 'u' } },
          ],
        },
      ],
    } as ChatRequest;
    const out = await filter(RULES).filterInput(request);
    expect(out.request.messages[0]).toEqual({
      role: 'user',
      content: [
        { type: 'text', text: '[redacted:email]' },
        { type: 'image_url', image_url: { url: 'u' } },
      ],
    });
    expect((request.messages[0] as { content: { text?: string }[] }).content[0]!.text).toBe(
      'me@x.io',
    );
  });

  it('checks Luhn', () => {
    expect(luhnValid('4111111111111111')).toBe(true);
    expect(luhnValid('4111111111111112')).toBe(false);
    expect(luhnValid('79927398713')).toBe(false); // valid checksum but too short for a card
  });
});

describe('content filter: whole output', () => {
  const response = (content: string): ChatResponse =>
    ({
      id: 'x',
      object: 'chat.completion',
      created: 1,
      model: 'm',
      choices: [
        {
          index: 0,
          finish_reason: 'stop',
          logprobs: null,
          message: { role: 'assistant', content, refusal: null },
        },
      ],
    }) as ChatResponse;

  it('redacts and annotates choices', async () => {
    const out = await filter(RULES).filterOutput(response('write to ops@corp.com'));
    expect(out.choices[0]!.message.content).toBe('write to [redacted:email]');
    expect(out.choices[0]!.finish_reason).toBe('stop');
    expect(
      (out.choices[0] as unknown as Record<string, unknown>).content_filter_results,
    ).toMatchObject({
      personally_identifiable_information: { filtered: false, detected: true, redacted: true },
    });
  });

  it('cuts a blocked answer with finish_reason content_filter', async () => {
    const out = await filter(RULES).filterOutput(response('Project X is secret'));
    expect(out.choices[0]!.message.content).toBe('');
    expect(out.choices[0]!.finish_reason).toBe('content_filter');
  });
});
