// What an Anthropic client sets reaches a Claude deployment as it set it, through the router's chat
// form, and other upstreams get what they can read (Anthropic audit, 2026-12-06): a failed tool's
// `is_error` (F2: Claude got an "Error: " prefix only), and documents' breakpoints, `citations`,
// `title` and `context`, and the top-level `cache_control` (F3: a text document reached Claude as
// a text block without its breakpoint; citations and the top-level mark were dropped silently).
import { describe, expect, it } from 'vitest';
import { buildTestApp } from '../../../test/helpers/build-test-app.js';
import { recordingHttp } from '../../../test/helpers/fake-http.js';
import { claudeDeployment, testConfig } from '../../../test/helpers/test-config.js';
import type { ConfigInput } from '../../config/schema.js';
import type { InlineFile, RouterFiles } from '../../files/router-files.js';
import { createAnthropicAdapter } from '../../providers/anthropic/anthropic-adapter.js';
import { chatToAnthropicRequest } from '../../providers/anthropic/anthropic-convert.js';
import { createOpenAiAdapter } from '../../providers/openai/openai-adapter.js';
import { messagesToChat } from './messages-convert.js';
import { resolveFileSources } from './resolve-file-sources.js';

type Json = Record<string, unknown>;
type DeploymentInput = ConfigInput['deployments'][number];

const EPHEMERAL = { type: 'ephemeral' };
const capabilities = { vision: true, files: true };
const claudeInput: DeploymentInput = {
  name: 'claude',
  provider: 'anthropic',
  model: 'claude-sonnet-4-5',
  prices: { inputPer1M: 3, outputPer1M: 15 },
  contextWindow: 200000,
  maxOutputTokens: 8192,
  capabilities,
};
const gptInput: DeploymentInput = {
  name: 'gpt',
  provider: 'openai',
  model: 'gpt-4.1',
  prices: { inputPer1M: 2, outputPer1M: 8 },
  contextWindow: 1_000_000,
  maxOutputTokens: 8192,
  capabilities,
};
const claudeReply = {
  id: 'msg_1',
  type: 'message',
  role: 'assistant',
  model: 'claude-sonnet-4-5',
  content: [{ type: 'text', text: 'Green.' }],
  stop_reason: 'end_turn',
  usage: { input_tokens: 10, output_tokens: 2 },
};
const gptReply = {
  id: 'chatcmpl-1',
  object: 'chat.completion',
  created: 1,
  model: 'gpt-4.1',
  choices: [{ index: 0, message: { role: 'assistant', content: 'Green.' }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 10, completion_tokens: 2, total_tokens: 12 },
};

async function appWithBoth() {
  const config = testConfig({ deployments: [claudeInput, gptInput], routers: [] });
  const toClaude = recordingHttp(JSON.stringify(claudeReply));
  const toGpt = recordingHttp(JSON.stringify(gptReply));
  const deployment = (name: string) => config.deployments.find((d) => d.name === name)!;
  const { app } = await buildTestApp(config, {
    claude: createAnthropicAdapter(deployment('claude'), toClaude.http, {}),
    gpt: createOpenAiAdapter(deployment('gpt'), toGpt.http, {}),
  });
  const send = async (model: string, body: Json) => {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/messages',
      headers: { 'anthropic-version': '2023-06-01' },
      payload: { model, max_tokens: 200, ...body },
    });
    expect(res.statusCode, res.body).toBe(200);
    const sent = (model === 'claude' ? toClaude : toGpt).sent.at(-1)!;
    return { res, sent: JSON.parse(sent.body) as Json };
  };
  return { app, send };
}

const toolLoop = [
  { role: 'user', content: 'Weather in Oslo and Paris?' },
  {
    role: 'assistant',
    content: [
      { type: 'tool_use', id: 'toolu_A', name: 'get_weather', input: { city: 'Oslo' } },
      { type: 'tool_use', id: 'toolu_B', name: 'get_weather', input: { city: 'Paris' } },
    ],
  },
  {
    role: 'user',
    content: [
      { type: 'tool_result', tool_use_id: 'toolu_A', content: '12C' },
      {
        type: 'tool_result',
        tool_use_id: 'toolu_B',
        content: [{ type: 'text', text: 'the weather service is down' }],
        is_error: true,
      },
    ],
  },
];
const tools = [{ name: 'get_weather', input_schema: { type: 'object' } }];

describe("a failed tool's result (tool_result is_error)", () => {
  it('reaches Claude with is_error and its text as sent; OpenAI gets "Error: " and no such field', async () => {
    const { app, send } = await appWithBoth();
    const toClaude = (await send('claude', { tools, messages: toolLoop })).sent;
    expect((toClaude.messages as Json[]).at(-1)).toEqual({
      role: 'user',
      content: [
        { type: 'tool_result', tool_use_id: 'toolu_A', content: '12C' },
        {
          type: 'tool_result',
          tool_use_id: 'toolu_B',
          content: 'the weather service is down',
          is_error: true,
        },
      ],
    });
    const toGpt = (await send('gpt', { tools, messages: toolLoop })).sent;
    expect((toGpt.messages as Json[]).slice(-2)).toEqual([
      { role: 'tool', tool_call_id: 'toolu_A', content: '12C' },
      { role: 'tool', tool_call_id: 'toolu_B', content: 'Error: the weather service is down' },
    ]);
    await app.close();
  });
});

describe('documents and the top-level cache_control', () => {
  const textDoc = {
    type: 'document',
    source: { type: 'text', media_type: 'text/plain', data: 'The sky is green.' },
    title: 'Sky report',
    context: 'Written on Mars.',
    citations: { enabled: true },
    cache_control: EPHEMERAL,
  };
  const contentDoc = {
    type: 'document',
    source: { type: 'content', content: [{ type: 'text', text: 'Grass is blue.' }] },
    cache_control: { type: 'ephemeral', ttl: '1h' },
  };
  const pdfDoc = {
    type: 'document',
    source: { type: 'base64', media_type: 'application/pdf', data: 'JVBERi0xLjQK' },
    title: 'report.pdf',
    context: 'The appendix.',
    citations: { enabled: true },
    cache_control: EPHEMERAL,
  };
  const question = { type: 'text', text: 'What colour is the sky?' };
  const messages = [{ role: 'user', content: [textDoc, contentDoc, pdfDoc, question] }];

  it('reach Claude as the client set them, with their breakpoints, citations, title and context', async () => {
    const { app, send } = await appWithBoth();
    const { res, sent } = await send('claude', { cache_control: EPHEMERAL, messages });
    expect(sent.messages).toEqual([
      { role: 'user', content: [textDoc, contentDoc, pdfDoc, question] },
    ]);
    expect(sent.cache_control).toEqual(EPHEMERAL);
    // Claude's document citations come back (messages-document-citations.test.ts): no warning.
    expect(String(res.headers['x-router-warnings'] ?? '')).not.toContain('citations');
    // A lone text document stays a document too (it was joined into the turn's text).
    const lone = await send('claude', { messages: [{ role: 'user', content: [textDoc] }] });
    expect(lone.sent.messages).toEqual([{ role: 'user', content: [textDoc] }]);
    expect(lone.sent.cache_control).toBeUndefined();
    await app.close();
  });

  it('reach an OpenAI-format upstream as text and a file, without breakpoints, with the warning', async () => {
    const { app, send } = await appWithBoth();
    const { res, sent } = await send('gpt', { cache_control: EPHEMERAL, messages });
    expect(sent.cache_control).toBeUndefined();
    expect(sent.messages).toEqual([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'Sky report\n\nWritten on Mars.\n\nThe sky is green.' },
          { type: 'text', text: 'Grass is blue.' },
          {
            type: 'file',
            file: { file_data: 'data:application/pdf;base64,JVBERi0xLjQK', filename: 'report.pdf' },
          },
          question,
        ],
      },
    ]);
    expect(res.headers['x-router-warnings']).toContain('citations not returned');
    await app.close();
  });
});

describe('a document Claude gets from the chat part it became', () => {
  const text = 'The secret word is PINEAPPLE.\n';
  const file: InlineFile = {
    id: 'file_1',
    filename: 'doc.txt',
    mimeType: 'text/plain',
    dataUrl: `data:text/plain;base64,${Buffer.from(text).toString('base64')}`,
    content: Buffer.from(text),
    base64: Buffer.from(text).toString('base64'),
    image: false,
  };
  const files = { loadAll: async () => new Map([['file_1', file]]) } as unknown as RouterFiles;

  it('a text file of the Files API is a plain-text document, with its breakpoint and citations', async () => {
    const body = await resolveFileSources(
      {
        model: 'claude',
        max_tokens: 100,
        messages: [
          {
            role: 'user',
            content: [
              {
                type: 'document',
                source: { type: 'file', file_id: 'file_1' },
                citations: { enabled: true },
                cache_control: EPHEMERAL,
              },
              { type: 'text', text: 'What is the secret word?' },
            ],
          },
        ],
      },
      'acme',
      files,
    );
    const sent = chatToAnthropicRequest(messagesToChat(body), claudeDeployment());
    expect((sent.messages as { content: Json[] }[])[0]!.content[0]).toEqual({
      type: 'document',
      source: { type: 'text', media_type: 'text/plain', data: text },
      title: 'doc.txt',
      citations: { enabled: true },
      cache_control: EPHEMERAL,
    });
  });

  it('whose text changed on the way (redacted, cut) is that text, not the block as sent', () => {
    const chat = messagesToChat({
      model: 'claude',
      max_tokens: 100,
      messages: [
        {
          role: 'user',
          content: [
            {
              type: 'document',
              source: { type: 'text', media_type: 'text/plain', data: 'Call 555-0100.' },
              title: 'Card',
              cache_control: EPHEMERAL,
            },
          ],
        },
      ],
    });
    // As the content filter redacts a part: a copy with the new text.
    const user = chat.messages[0] as unknown as { content: Json[] };
    user.content = [{ ...user.content[0]!, text: 'Card\n\nCall [PHONE].' }];
    const sent = chatToAnthropicRequest(chat, claudeDeployment());
    expect((sent.messages as { content: Json[] }[])[0]!.content).toEqual([
      {
        type: 'document',
        source: { type: 'text', media_type: 'text/plain', data: 'Card\n\nCall [PHONE].' },
        cache_control: EPHEMERAL,
      },
    ]);
  });
});
