// Stored objects named in a request's body rather than its path (a previous response, a
// conversation, an item reference, a batch's input file, a model-input file): another tenant's id
// is answered as an unknown one, and nothing of the object reaches the request.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Runtime } from '../src/runtime.js';
import {
  ANTHROPIC,
  KEY,
  bearer,
  createAsA,
  normalised,
  startAccessRuntime,
  TEAM_A_FILE_TEXT,
  unknownLike,
  type Made,
} from './helpers/access-runtime.js';
import { completionBody, openaiDeployment } from './helpers/fallback-upstreams.js';

let rt: Runtime;
let made: Made;
let upstream: Server;
/** Every body the loopback OpenAI upstream `up` was sent. */
const sent: string[] = [];

beforeAll(async () => {
  upstream = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      sent.push(Buffer.concat(parts).toString());
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(completionBody('gpt-4.1', 'ok'));
    });
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const { port } = upstream.address() as AddressInfo;
  process.env.UPSTREAM_KEY = 'sk-loopback';
  rt = await startAccessRuntime({}, [
    {
      ...openaiDeployment('up', 'gpt-4.1', `127.0.0.1:${port}`),
      baseUrl: `http://127.0.0.1:${port}/v1`,
      capabilities: { tools: true, vision: true, jsonSchema: true, streaming: true, files: true },
    },
  ]);
  made = await createAsA(rt);
});

afterAll(async () => {
  await rt?.close();
  await new Promise((resolve) => upstream?.close(resolve));
});

/** `body(id)` sent as team-b with team-a's id and with an unknown id of the same shape. */
async function asBAndUnknown(
  url: string,
  id: string,
  body: (id: string) => unknown,
  headers: Record<string, string> = {},
): Promise<{ asB: LightMyRequestResponse; asUnknown: LightMyRequestResponse }> {
  const send = (ref: string) =>
    rt.app.inject({
      method: 'POST',
      url,
      headers: { ...bearer(KEY.b), ...headers },
      payload: body(ref) as string,
    });
  return { asB: await send(id), asUnknown: await send(unknownLike(id)) };
}

describe("another tenant's objects named in a request body", () => {
  const cases: [string, string, (m: Made) => string, (id: string) => unknown][] = [
    [
      'previous_response_id',
      '/v1/responses',
      (m) => m.ids.response,
      (id) => ({ model: 'model-router', input: 'and then?', previous_response_id: id }),
    ],
    [
      'previous_response_id (background)',
      '/v1/responses',
      (m) => m.ids.response,
      (id) => ({
        model: 'model-router',
        input: 'and then?',
        previous_response_id: id,
        background: true,
      }),
    ],
    [
      'previous_response_id (input_tokens)',
      '/v1/responses/input_tokens',
      (m) => m.ids.response,
      (id) => ({ model: 'model-router', input: 'and then?', previous_response_id: id }),
    ],
    [
      'previous_response_id (compact)',
      '/v1/responses/compact',
      (m) => m.ids.response,
      (id) => ({ model: 'model-router', input: 'and then?', previous_response_id: id }),
    ],
    [
      'conversation',
      '/v1/responses',
      (m) => m.ids.conversation,
      (id) => ({ model: 'model-router', input: 'and then?', conversation: id }),
    ],
    [
      'item_reference',
      '/v1/responses',
      (m) => m.responseItem,
      (id) => ({
        model: 'model-router',
        input: [{ type: 'item_reference', id }],
      }),
    ],
    [
      'input_file_id',
      '/v1/batches',
      (m) => m.ids.file,
      (id) => ({ input_file_id: id, endpoint: '/v1/chat/completions', completion_window: '24h' }),
    ],
  ];
  for (const [what, url, idOf, body] of cases)
    it(`${what} on ${url}: the answer to an unknown id`, async () => {
      const id = idOf(made);
      const { asB, asUnknown } = await asBAndUnknown(url, id, body);
      expect(asB.statusCode, asB.body.slice(0, 300)).toBe(asUnknown.statusCode);
      expect(asB.statusCode).toBeGreaterThanOrEqual(400);
      expect(normalised(asB, [id])).toBe(normalised(asUnknown, [unknownLike(id)]));
    });

  it("a model-input file_id of another tenant's is sent upstream as sent, never read (chat, responses, messages)", async () => {
    const id = made.inputFile;
    // The file as sent upstream: inline as base64, or (an Anthropic text document) as its text.
    const base64 = Buffer.from(TEAM_A_FILE_TEXT).toString('base64').slice(0, 40);
    const readIn = () => sent.some((b) => b.includes(base64) || b.includes('confidential'));
    const calls: [string, (id: string) => unknown, Record<string, string>][] = [
      [
        '/v1/chat/completions',
        (f) => ({
          model: 'up',
          messages: [
            {
              role: 'user',
              content: [
                { type: 'text', text: 'Summarise' },
                { type: 'file', file: { file_id: f } },
              ],
            },
          ],
        }),
        {},
      ],
      [
        '/v1/responses',
        (f) => ({
          model: 'up',
          input: [
            {
              role: 'user',
              content: [
                { type: 'input_text', text: 'Summarise' },
                { type: 'input_file', file_id: f },
              ],
            },
          ],
        }),
        {},
      ],
      [
        '/v1/messages',
        (f) => ({
          model: 'up',
          max_tokens: 16,
          messages: [
            {
              role: 'user',
              content: [
                { type: 'text', text: 'Summarise' },
                { type: 'document', source: { type: 'file', file_id: f } },
              ],
            },
          ],
        }),
        { ...ANTHROPIC, 'anthropic-beta': 'files-api-2025-04-14' },
      ],
    ];
    for (const [url, body, asked] of calls) {
      // Each asks upstream: the same prompt through another API would be a (same-tenant) cache hit.
      const headers = { ...asked, 'cache-control': 'no-store' };
      sent.length = 0;
      const { asB, asUnknown } = await asBAndUnknown(url, id, body, headers);
      expect(asB.statusCode, `${url}: ${asB.body.slice(0, 300)}`).toBe(asUnknown.statusCode);
      // Passed on as sent (the upstream's to resolve), or refused as an unknown file is.
      if (asB.statusCode === 200) expect(sent.length, url).toBeGreaterThan(0);
      else expect(normalised(asB, [id])).toBe(normalised(asUnknown, [unknownLike(id)]));
      expect(readIn(), url).toBe(false);
      // The owner's own request has the file read in (so the check above can see one).
      sent.length = 0;
      const own = await rt.app.inject({
        method: 'POST',
        url,
        headers: { ...bearer(KEY.a), ...headers },
        payload: body(id) as string,
      });
      expect(own.statusCode, `${url} as team-a: ${own.body.slice(0, 300)}`).toBe(200);
      expect(readIn(), url).toBe(true);
    }
  });
});
