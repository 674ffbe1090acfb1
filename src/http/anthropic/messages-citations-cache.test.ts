// Claude's citations of an Anthropic client's documents survive the answer cache: an answer kept
// from a stream gives them back on a hit, JSON or streamed, as one kept from a JSON reply does,
// and a JSON-kept one streams them (`citations_delta` on their block). Before, the cache's copy
// of a streamed answer had none (its JSON hit came back uncited, with the warning that the model
// cites no documents), and no streamed hit had any. Through the real route and the official SDK,
// over sockets, to a loopback Anthropic API.
import type Anthropic from '@anthropic-ai/sdk';
import { afterEach, describe, expect, it } from 'vitest';
import { startClaudeLoopback, type ClaudeLoopback } from '../../../test/helpers/claude-loopback.js';

const PORTS = { from: 47100, to: 47149 };

// Citation shapes from anthropic_openapi_curated.yaml (`CitationCharLocation`,
// `CitationPageLocation`), as messages-document-citations.test.ts has them.
const GREEN = {
  type: 'char_location',
  cited_text: 'The sky is green.',
  document_index: 0,
  document_title: 'Sky report',
  start_char_index: 0,
  end_char_index: 17,
};
const MARS = {
  type: 'page_location',
  cited_text: 'Written on Mars.',
  document_index: 1,
  document_title: 'report.pdf',
  start_page_number: 1,
  end_page_number: 2,
};
/** Claude's cited answer: each cited span a text block of its own. */
const cited = [
  { type: 'text', text: 'According to the report, ', citations: null },
  { type: 'text', text: 'the sky is green', citations: [GREEN] },
  { type: 'text', text: ' and ', citations: null },
  { type: 'text', text: 'it was written on Mars', citations: [GREEN, MARS] },
  { type: 'text', text: '.', citations: null },
];
const claudeReply = {
  id: 'msg_1',
  type: 'message',
  role: 'assistant',
  model: 'claude-sonnet-4-5',
  content: cited,
  stop_reason: 'end_turn',
  stop_sequence: null,
  usage: { input_tokens: 50, output_tokens: 20 },
};
const ask = {
  model: 'claude',
  max_tokens: 200,
  messages: [
    {
      role: 'user' as const,
      content: [
        {
          type: 'document' as const,
          source: {
            type: 'text' as const,
            media_type: 'text/plain' as const,
            data: 'The sky is green.',
          },
          title: 'Sky report',
          citations: { enabled: true },
        },
        {
          type: 'document' as const,
          source: {
            type: 'base64' as const,
            media_type: 'application/pdf' as const,
            data: 'JVBERi0xLjQK',
          },
          title: 'report.pdf',
          citations: { enabled: true },
        },
        { type: 'text' as const, text: 'What colour is the sky, and where was this written?' },
      ],
    },
  ],
} satisfies Anthropic.MessageCreateParamsNonStreaming;

let running: ClaudeLoopback | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
});

const cachedFleet = async () =>
  (running = await startClaudeLoopback(claudeReply, PORTS, {
    config: { cache: { enabled: true, ttlSeconds: 60 } },
  }));

/** The JSON answer and what the router said of it (cache status, warnings). */
async function askJson(anthropic: Anthropic) {
  const { data, response } = await anthropic.messages.create(ask).withResponse();
  return {
    content: data.content,
    cache: response.headers.get('x-router-cache'),
    warnings: response.headers.get('x-router-warnings') ?? '',
  };
}

/** The streamed answer as the SDK accumulates it, and what the router said of it. */
async function askStream(anthropic: Anthropic) {
  const stream = anthropic.messages.stream(ask);
  const { response } = await stream.withResponse();
  const message = await stream.finalMessage();
  return {
    content: message.content,
    cache: response.headers.get('x-router-cache'),
    warnings: response.headers.get('x-router-warnings') ?? '',
  };
}

describe("Claude's document citations, through the answer cache", () => {
  it('an answer kept from a stream gives them back on a JSON hit and a streamed hit', async () => {
    const { anthropic, received } = await cachedFleet();
    const first = await askStream(anthropic);
    expect(first.cache).toBe('miss');
    expect(first.content).toEqual(cited);
    for (const again of [await askJson(anthropic), await askStream(anthropic)]) {
      expect(again.cache).toBe('hit');
      expect(again.content).toEqual(cited);
      expect(again.warnings).not.toContain('citations');
    }
    expect(received).toHaveLength(1);
  });

  it('an answer kept from a JSON reply gives them back on a streamed hit and a JSON hit', async () => {
    const { anthropic, received } = await cachedFleet();
    const first = await askJson(anthropic);
    expect(first.cache).toBe('miss');
    expect(first.content).toEqual(cited);
    for (const again of [await askStream(anthropic), await askJson(anthropic)]) {
      expect(again.cache).toBe('hit');
      expect(again.content).toEqual(cited);
      expect(again.warnings).not.toContain('citations');
    }
    expect(received).toHaveLength(1);
  });
});
