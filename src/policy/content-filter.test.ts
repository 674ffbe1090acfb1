// The content filter on requests and on whole answers: keywords, patterns, PII (Luhn-checked cards).
import { describe, expect, it } from 'vitest';
import type { ChatRequest, ChatResponse } from '../core/wire-types.js';
import { mergeAzureResults, mergePromptResults } from './filters/azure-results.js';
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

  // Security audit F1 (2026-12-06): tool definitions and response_format schemas go to the model
  // too, and were not read; a blocked word in a tool's description reached it.
  it('reads the text of tool definitions and response_format schemas: blocks, and redacts in place', async () => {
    const tool = (description: string) => ({
      type: 'function',
      function: {
        name: 'lookup',
        description,
        parameters: {
          type: 'object',
          properties: { who: { type: 'string', enum: ['a.b@example.com', 'nobody'] } },
          required: ['who'],
        },
      },
    });
    const blocked = await caught(
      filter(RULES).filterInput({
        ...req('hi'),
        tools: [tool('All about Project X')],
      } as ChatRequest),
    );
    expect(blocked.code).toBe('content_filter');
    const request = {
      ...req('hi'),
      tools: [tool('Look someone up; write to ops@example.com')],
      response_format: {
        type: 'json_schema',
        json_schema: {
          name: 'out',
          schema: { type: 'object', description: 'call +1 555-123-4567' },
        },
      },
    } as ChatRequest;
    const out = await filter(RULES).filterInput(request);
    const sent = out.request as unknown as {
      tools: ReturnType<typeof tool>[];
      response_format: { json_schema: { name: string; schema: { description: string } } };
    };
    expect(sent.tools[0]!.function.description).toBe('Look someone up; write to [redacted:email]');
    expect(sent.tools[0]!.function.parameters.properties.who.enum).toEqual([
      '[redacted:email]',
      'nobody',
    ]);
    // Names and structure stay as sent; the client's request itself is not changed.
    expect(sent.tools[0]!.function.name).toBe('lookup');
    expect(sent.tools[0]!.function.parameters.required).toEqual(['who']);
    expect(sent.response_format.json_schema.schema.description).toBe('call [redacted:phone]');
    expect((request as unknown as typeof sent).tools[0]!.function.description).toContain(
      'ops@example.com',
    );
    expect(out.request.messages).toEqual(request.messages);
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

  it('redacts SSNs, IBANs, IP addresses and secrets, each only where its checks hold', async () => {
    const rules = [
      {
        id: 'more-pii',
        kind: 'pii' as const,
        patterns: ['ssn', 'iban', 'ip', 'secret'],
        action: 'redact' as const,
        appliesTo: 'both' as const,
      },
    ];
    const input = [
      'SSN 123-45-6789 (not 666-12-3456, 123-00-4567 or 123456789);',
      'IBAN DE89 3704 0044 0532 0130 00 and GB82WEST12345698765432 (not DE89 3704 0044 0532 0130 01);',
      'hosts 10.0.0.1 and 2001:db8::8a2e:370:7334 (not 999.1.1.1, v1.2.3.4.5, 12:30:45 or std::vector);',
      'keys sk-proj-abcdefghijklmnopqrstuvwxyz012345, AKIAIOSFODNN7EXAMPLE,',
      'ghp_abcdefghijklmnopqrstuvwxyz0123456789, xoxb-1234567890-abcdef,',
      'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U',
      '-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\n-----END RSA PRIVATE KEY----- (not sk-short).',
    ].join(' ');
    const out = await filter(rules).filterInput(req(input));
    expect(out.request.messages[0]!.content).toBe(
      [
        'SSN [redacted:ssn] (not 666-12-3456, 123-00-4567 or 123456789);',
        'IBAN [redacted:iban] and [redacted:iban] (not DE89 3704 0044 0532 0130 01);',
        'hosts [redacted:ip] and [redacted:ip] (not 999.1.1.1, v1.2.3.4.5, 12:30:45 or std::vector);',
        'keys [redacted:secret], [redacted:secret],',
        '[redacted:secret], [redacted:secret],',
        '[redacted:secret]',
        '[redacted:secret] (not sk-short).',
      ].join(' '),
    );
  });

  // A prompt is the client's: a detector that is tried from every character of a long run and
  // scans to its end each time (quadratic) held the event loop ~10 s on 100 KB of letters, every
  // tenant's requests waiting. Linear detectors take milliseconds here; the quadratic ones ran far
  // past this test's timeout (the guard: there is no clock assertion).
  it('reads a long run of address-like characters in linear time (no ReDoS from a prompt)', async () => {
    const rules = [
      {
        id: 'pii',
        kind: 'pii' as const,
        patterns: ['email', 'ip', 'phone', 'card', 'ssn', 'iban', 'secret'],
        action: 'redact' as const,
        appliesTo: 'both' as const,
      },
    ];
    const runs = ['a'.repeat(100_000), 'a.'.repeat(50_000), '1.'.repeat(50_000)];
    for (const run of runs) {
      const out = await filter(rules).filterInput(req(`${run} mail x@example.com`));
      expect(out.request.messages[0]!.content).toBe(`${run} mail [redacted:email]`);
    }
  }, 5_000);

  it('an unknown PII kind is refused naming the kinds there are', () => {
    expect(() =>
      filter([
        { id: 'x', kind: 'pii', patterns: ['passport'], action: 'redact', appliesTo: 'both' },
      ]),
    ).toThrow('unknown PII kind "passport" (email, phone, card, ssn, iban, ip, secret)');
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

/** A whole answer of one choice with this message (`content` text, say) and finish reason. */
const response = (
  content: string | null,
  finish = 'stop',
  more: Record<string, unknown> = {},
): ChatResponse =>
  ({
    id: 'x',
    object: 'chat.completion',
    created: 1,
    model: 'm',
    choices: [
      {
        index: 0,
        finish_reason: finish,
        logprobs: null,
        message: { role: 'assistant', content, refusal: null, ...more },
      },
    ],
  }) as ChatResponse;

describe('content filter: whole output', () => {
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
  // An Azure deployment annotates its answers itself: the router's results are added to its
  // categories, never put in their place (an answer Azure cut read as passing every check).
  it("keeps an Azure upstream's own content_filter_results beside the router's", async () => {
    const cut = response('');
    cut.choices[0]!.finish_reason = 'content_filter';
    (cut.choices[0] as unknown as Record<string, unknown>).content_filter_results = {
      violence: { filtered: true, severity: 'medium' },
      hate: { filtered: false, severity: 'safe' },
    };
    const out = await filter(RULES).filterOutput(cut);
    expect(out.choices[0]!.finish_reason).toBe('content_filter');
    const results = (out.choices[0] as unknown as Record<string, unknown>).content_filter_results;
    expect(results).toMatchObject({
      violence: { filtered: true, severity: 'medium' },
      hate: { filtered: false, severity: 'safe' },
      custom_blocklists: { filtered: false },
    });
  });
});

// Security audit F1 (2026-12-06): only message text was read; a credential in a tool call's
// arguments went upstream, and a model's tool call arguments came back, unread.
describe('content filter: tool calls', () => {
  const call = (args: string) => ({
    id: 'call_1',
    type: 'function' as const,
    function: { name: 'send', arguments: args },
  });

  it("redacts and blocks in an assistant turn's tool call arguments and custom tool inputs", async () => {
    const request = {
      model: 'm',
      messages: [
        { role: 'user', content: 'send it' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            call('{"to":"ops@corp.com"}'),
            {
              id: 'call_2',
              type: 'custom',
              custom: { name: 'patch', input: 'mail a.b@example.com' },
            },
          ],
        },
        { role: 'tool', tool_call_id: 'call_1', content: 'sent' },
        { role: 'tool', tool_call_id: 'call_2', content: 'done' },
      ],
    } as unknown as ChatRequest;
    const out = await filter(RULES).filterInput(request);
    const assistant = out.request.messages[1] as unknown as {
      tool_calls: { function?: { arguments: string }; custom?: { input: string } }[];
    };
    expect(assistant.tool_calls[0]!.function!.arguments).toBe('{"to":"[redacted:email]"}');
    expect(assistant.tool_calls[1]!.custom!.input).toBe('mail [redacted:email]');
    // The caller's request is not changed in place.
    expect(
      (request.messages[1] as unknown as typeof assistant).tool_calls[0]!.function!.arguments,
    ).toBe('{"to":"ops@corp.com"}');
    const blocked = {
      ...request,
      messages: [
        request.messages[0],
        { ...request.messages[1], tool_calls: [call('{"q":"Project X"}')] },
        request.messages[2],
      ],
    } as unknown as ChatRequest;
    expect((await caught(filter(RULES).filterInput(blocked))).code).toBe('content_filter');
  });

  it("redacts a model's tool call arguments, and cuts the answer where they are blocked", async () => {
    const answer = (args: string) => response(null, 'tool_calls', { tool_calls: [call(args)] });
    const out = await filter(RULES).filterOutput(answer('{"to":"ops@corp.com"}'));
    expect(out.choices[0]!.message.tool_calls![0]!).toMatchObject({
      function: { arguments: '{"to":"[redacted:email]"}' },
    });
    const cut = await filter(RULES).filterOutput(answer('{"q":"Project X"}'));
    expect(cut.choices[0]!.finish_reason).toBe('content_filter');
    expect(cut.choices[0]!.message.tool_calls).toBeUndefined();
  });
});

describe('mergeAzureResults and mergePromptResults', () => {
  it('a category both report keeps whichever filtered; the router adds the rest', () => {
    expect(
      mergeAzureResults(
        { violence: { filtered: true, severity: 'high' }, sexual: { filtered: false } },
        { violence: { filtered: false, severity: 'safe' }, sexual: { filtered: true } },
      ),
    ).toEqual({ violence: { filtered: true, severity: 'high' }, sexual: { filtered: true } });
    expect(mergeAzureResults(undefined, { jailbreak: { filtered: false } })).toEqual({
      jailbreak: { filtered: false },
    });
  });

  it("merges the router's prompt results into the upstream's entry of the same prompt_index", () => {
    const upstream = [{ prompt_index: 0, content_filter_results: { hate: { filtered: false } } }];
    const ours = [
      { prompt_index: 0, content_filter_results: { custom_blocklists: { filtered: false } } },
    ];
    expect(mergePromptResults(upstream, ours)).toEqual([
      {
        prompt_index: 0,
        content_filter_results: {
          hate: { filtered: false },
          custom_blocklists: { filtered: false },
        },
      },
    ]);
    expect(mergePromptResults(undefined, ours)).toEqual(ours);
  });
});
