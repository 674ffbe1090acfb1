import { describe, expect, it } from 'vitest';
import type { RouterConfig } from '../config/schema.js';
import type { ChatRequest } from '../core/wire-types.js';
import type { Target } from './gateway-types.js';
import { splitSemanticRequest } from './semantic-request.js';

const router: Target = { kind: 'router', router: { name: 'model-router' } as RouterConfig };
const auth = { tenant: 'team-a', scopes: ['*'], admin: false } as const;

const request = (extra: Partial<ChatRequest> = {}): ChatRequest =>
  ({
    model: 'model-router',
    messages: [
      { role: 'system', content: 'You answer briefly.' },
      { role: 'user', content: 'What is the capital of France?' },
    ],
    temperature: 0,
    ...extra,
  }) as ChatRequest;

const split = (r: ChatRequest, options: { tenant?: string; target?: Target; mode?: string } = {}) =>
  splitSemanticRequest(
    { auth: { ...auth, tenant: options.tenant ?? auth.tenant } },
    r,
    options.target ?? router,
    (options.mode ?? 'balanced') as 'balanced',
    { dataZone: 'us' },
    'embed',
  );

describe('splitSemanticRequest', () => {
  it("reads every turn's text, role-prefixed, text parts included and image parts not", () => {
    const { text } = split(
      request({
        messages: [
          { role: 'system', content: 'Be brief.' },
          {
            role: 'user',
            content: [
              { type: 'text', text: 'Describe this' },
              { type: 'image_url', image_url: { url: 'https://example.com/a.png' } },
              { type: 'text', text: 'in one line.' },
            ],
          },
        ],
      }),
    );
    expect(text).toBe('system: Be brief.\nuser: Describe this\nin one line.\n');
  });

  it('blanks the message texts from the partition: requests differing only in text share it', () => {
    const a = split(request());
    const b = split(
      request({
        messages: [
          { role: 'system', content: 'Answer in one word.' },
          { role: 'user', content: 'Which city is the capital of France?' },
        ],
      }),
    );
    expect(a.text).not.toBe(b.text);
    expect(a.partition).toBe(b.partition);
    // A stream can be answered from a JSON answer, as in the exact cache.
    expect(
      split(request({ stream: true, stream_options: { include_usage: true } })).partition,
    ).toBe(a.partition);
  });

  it('everything but the texts is in the partition', () => {
    const base = split(request()).partition;
    const tool = {
      type: 'function',
      function: { name: 'lookup', parameters: { type: 'object', properties: {} } },
    };
    const others = [
      split(request({ temperature: 0.7 })),
      split(request({ max_tokens: 50 })),
      split(request({ tools: [tool] } as Partial<ChatRequest>)),
      split(request({ response_format: { type: 'json_object' } })),
      // Roles: the same texts, the system prompt sent as a user turn.
      split(
        request({
          messages: [
            { role: 'user', content: 'You answer briefly.' },
            { role: 'user', content: 'What is the capital of France?' },
          ],
        }),
      ),
      // Turn count: the same words in one turn.
      split(
        request({
          messages: [
            { role: 'user', content: 'You answer briefly. What is the capital of France?' },
          ],
        }),
      ),
      // An image part is compared exactly.
      split(
        request({
          messages: [
            {
              role: 'user',
              content: [
                { type: 'text', text: 'What is the capital of France?' },
                { type: 'image_url', image_url: { url: 'https://example.com/a.png' } },
              ],
            },
          ],
        }),
      ),
      split(request(), { tenant: 'team-b' }),
      split(request(), { mode: 'cost' }),
      split(request(), {
        target: { kind: 'deployment', deployment: { name: 'big' } } as Target,
      }),
    ].map((s) => s.partition);
    for (const p of others) expect(p).not.toBe(base);
    expect(new Set(others).size).toBe(others.length);
  });
});
