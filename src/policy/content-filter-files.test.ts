// The content filter on files attached inline, through the router (app.inject) to recording
// upstreams: a text file's redaction reaches the upstream in the file, a block names the file, a
// PDF's text is read (its redaction cannot be done in the PDF: blocked, or sent as text when
// configured), from chat `file` parts, Responses `input_file` items (bridged even for a deployment
// that speaks Responses, so the redaction is not undone), Messages `document` blocks and router
// files named by `file_id`. A PDF that does not parse, through the whole runtime: passed with the
// failure reported, or blocked once `onUnreadable: block` is patched in live; the server serves on.
import { afterEach, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../../test/helpers/build-test-app.js';
import { recordedUpstreams } from '../../test/helpers/recorded-upstreams.js';
import { testConfig, testConfigInput } from '../../test/helpers/test-config.js';
import { tinyPdf } from '../../test/helpers/tiny-pdf.js';
import { as, tenants } from '../../test/helpers/two-tenants.js';
import { hashApiKey } from '../auth/api-key.js';
import type { Config } from '../config/schema.js';
import { parseConfig } from '../config/load-config.js';
import { createRuntime } from '../runtime.js';
import { createMemoryBatchStore } from '../store/memory/memory-batch-store.js';
import { createResponseStore } from '../store/response-store.js';
import type { GatewayError } from '../core/errors.js';
import { collectPromptText } from '../core/prompt-text.js';
import type { ChatRequest } from '../core/wire-types.js';
import { createContentFilter } from './content-filter.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const RULES: Config['contentFilter']['rules'] = [
  { id: 'no-secrets', kind: 'keyword', patterns: ['bluebird'], action: 'block', appliesTo: 'both' },
  { id: 'pii', kind: 'pii', patterns: ['email'], action: 'redact', appliesTo: 'both' },
];

const b64 = (text: string | Buffer) => Buffer.from(text).toString('base64');
const dataUrl = (mime: string, bytes: string | Buffer) => `data:${mime};base64,${b64(bytes)}`;

let t: (TestApp & { sent: ReturnType<typeof recordedUpstreams>['sent'] }) | undefined;
afterEach(async () => {
  await t?.app.close();
  t = undefined;
});

async function setup(files: Partial<Config['contentFilter']['files']> = {}) {
  const upstreams = recordedUpstreams();
  const config = testConfig({
    // `gpt` speaks the Responses API natively: a redacted Responses request must not go so.
    deployments: upstreams.deployments.map((d) =>
      d.name === 'gpt' ? { ...d, capabilities: { ...d.capabilities, responsesApi: true } } : d,
    ),
    routers: [{ name: 'claude-only', modelSubset: ['claude'] }],
    contentFilter: { enabled: true, rules: [...RULES], files },
  });
  const filter = createContentFilter(config.contentFilter)!;
  const store = createMemoryBatchStore();
  const app = await buildTestApp(config, upstreams.adapters(config.deployments), {
    authenticator: tenants,
    files: store,
    responses: createResponseStore(100),
    policies: {
      filterInput: (request) => filter.filterInput(request),
      filterOutput: (response) => filter.filterOutput(response),
      filterStream: (chunks) => filter.filterStream(chunks),
    },
  });
  t = { ...app, sent: upstreams.sent };
  return { ...t, store };
}

const post = (url: string, payload: object) =>
  t!.app.inject({
    method: 'POST',
    url,
    headers: { ...as('team-a'), 'anthropic-version': '2023-06-01' },
    payload,
  });

const chatWithFile = (file: Json, model = 'gpt') => ({
  model,
  messages: [
    {
      role: 'user',
      content: [
        { type: 'text', text: 'Summarise the attachment.' },
        { type: 'file', file },
      ],
    },
  ],
});

const lastBody = (sent: { body: string }[]) => JSON.parse(sent.at(-1)!.body) as Json;

describe('content filter: files attached to chat requests', () => {
  it('redacts an email in a .txt file in the copy sent upstream, in the same encoding', async () => {
    const { sent } = await setup();
    const csv = dataUrl('text/csv', 'name,team\nann,blue\n');
    const res = await post(
      '/v1/chat/completions',
      chatWithFile({
        file_data: dataUrl('text/plain;charset=utf-8', 'Contact: ann@example.com (ünïcode)\n'),
        filename: 'contacts.txt',
      }),
    );
    expect(res.statusCode).toBe(200);
    const content = lastBody(sent.gpt).messages[0].content;
    expect(content[1]).toEqual({
      type: 'file',
      file: {
        file_data: dataUrl('text/plain;charset=utf-8', 'Contact: [redacted:email] (ünïcode)\n'),
        filename: 'contacts.txt',
      },
    });
    expect(res.json().prompt_filter_results[0].content_filter_results).toMatchObject({
      personally_identifiable_information: { detected: true, redacted: true },
    });
    // A clean file goes as it came.
    await post('/v1/chat/completions', chatWithFile({ file_data: csv, filename: 't.csv' }));
    expect(lastBody(sent.gpt).messages[0].content[1].file.file_data).toBe(csv);
  });

  it('blocks a blocked word in a .md file with the content_filter error naming the file', async () => {
    const { sent } = await setup();
    const res = await post(
      '/v1/chat/completions',
      chatWithFile({
        file_data: dataUrl('text/markdown', '# Plans\n\nThe Bluebird launch is on.\n'),
        filename: 'notes.md',
      }),
    );
    expect(res.statusCode).toBe(400);
    const error = res.json().error;
    expect(error).toMatchObject({
      code: 'content_filter',
      type: 'invalid_request_error',
      param: 'prompt',
      innererror: {
        code: 'ResponsibleAIPolicyViolation',
        content_filter_result: {
          custom_blocklists: { filtered: true, details: [{ filtered: true, id: 'no-secrets' }] },
        },
      },
    });
    expect(error.message).toContain('(rules: no-secrets; in the attached file "notes.md")');
    expect(error.message).not.toMatch(/bluebird/i);
    expect(sent.gpt).toHaveLength(0);
  });

  it("blocks a PDF whose text holds a blocked word; a PDF's email cannot be redacted in it", async () => {
    const { sent } = await setup();
    const blocked = await post(
      '/v1/chat/completions',
      chatWithFile({
        file_data: dataUrl('application/pdf', tinyPdf(['Quarterly report', 'Project bluebird'])),
        filename: 'report.pdf',
      }),
    );
    expect(blocked.statusCode).toBe(400);
    expect(blocked.json().error.code).toBe('content_filter');
    expect(blocked.json().error.message).toContain('in the attached file "report.pdf"');
    const redactable = await post(
      '/v1/chat/completions',
      chatWithFile({
        file_data: dataUrl('application/pdf', tinyPdf(['Write to ann@example.com'])),
        filename: 'letter.pdf',
      }),
    );
    expect(redactable.statusCode).toBe(400);
    expect(redactable.json().error.code).toBe('content_filter');
    expect(redactable.json().error.message).toContain(
      '(rules: pii; the attached PDF "letter.pdf" holds text these rules redact, which cannot be redacted inside a PDF',
    );
    expect(sent.gpt).toHaveLength(0);
  });

  it('pdfRedaction: text sends the redacted text of the PDF in its place', async () => {
    const { sent } = await setup({ pdfRedaction: 'text' });
    const res = await post(
      '/v1/chat/completions',
      chatWithFile({
        file_data: dataUrl('application/pdf', tinyPdf(['Write to ann@example.com'])),
        filename: 'letter.pdf',
      }),
    );
    expect(res.statusCode).toBe(200);
    const part = lastBody(sent.gpt).messages[0].content[1];
    expect(part.type).toBe('text');
    expect(part.text).toContain('"letter.pdf"');
    expect(part.text).toContain('Write to [redacted:email]');
    expect(JSON.stringify(lastBody(sent.gpt))).not.toContain('ann@example.com');
  });

  it('reads a router file named by file_id (inline by then) and redacts it', async () => {
    const { sent, store } = await setup();
    await store.putFile(
      {
        id: 'file-notes',
        owner: 'team-a',
        purpose: 'user_data',
        filename: 'notes.json',
        bytes: 0,
        createdAt: 0,
        mimeType: 'application/json',
      },
      Buffer.from('{"owner":"ann@example.com"}'),
    );
    const res = await post('/v1/chat/completions', chatWithFile({ file_id: 'file-notes' }));
    expect(res.statusCode).toBe(200);
    expect(lastBody(sent.gpt).messages[0].content[1].file).toEqual({
      file_data: dataUrl('application/json', '{"owner":"[redacted:email]"}'),
      filename: 'notes.json',
    });
  });
});

describe('content filter: plug-ins read attached files', () => {
  it('a moderation plug-in gets the text of the files after the prompt; a flag blocks', async () => {
    const seen: string[] = [];
    const filter = createContentFilter(
      { enabled: true, rules: [] },
      {
        plugins: [
          {
            name: 'moderation',
            checkInput: (messages) => {
              const text = collectPromptText({ model: 'm', messages: [...messages] });
              seen.push(text);
              const flagged = text.includes('violent');
              return {
                hits: flagged
                  ? [
                      {
                        plugin: 'moderation',
                        ruleId: 'violence',
                        category: 'violence',
                        action: 'block',
                      },
                    ]
                  : [],
                evaluated: ['violence'],
              };
            },
            checkOutput: () => ({ hits: [], evaluated: [] }),
          },
        ],
      },
    )!;
    const request = chatWithFile({
      file_data: dataUrl('application/pdf', tinyPdf(['a violent plan'])),
      filename: 'plan.pdf',
    }) as unknown as ChatRequest;
    const err = await filter.filterInput(request).catch((e: GatewayError) => e);
    expect(seen[0]).toBe('Summarise the attachment.\na violent plan\n');
    expect((err as GatewayError).code).toBe('content_filter');
  });
});

describe('content filter: files through the Messages and Responses APIs', () => {
  it('Messages document blocks: a base64 PDF is read (blocked, or unredactable), a text one redacted', async () => {
    const { sent } = await setup();
    const messages = (block: Json) => ({
      model: 'claude-only',
      max_tokens: 50,
      messages: [{ role: 'user', content: [block, { type: 'text', text: 'Summarise.' }] }],
    });
    const blocked = await post(
      '/v1/messages',
      messages({
        type: 'document',
        title: 'plan.pdf',
        source: {
          type: 'base64',
          media_type: 'application/pdf',
          data: b64(tinyPdf(['The bluebird plan'])),
        },
      }),
    );
    expect(blocked.statusCode).toBe(400);
    expect(blocked.json()).toMatchObject({
      type: 'error',
      error: { type: 'invalid_request_error' },
    });
    expect(blocked.json().error.message).toContain('in the attached file "plan.pdf"');
    expect(sent.claude).toHaveLength(0);
    // A PDF's email cannot be redacted inside it: blocked too, saying so.
    const redactable = await post(
      '/v1/messages',
      messages({
        type: 'document',
        title: 'contacts.pdf',
        source: { type: 'base64', data: b64(tinyPdf(['mail ann@example.com'])) },
      }),
    );
    expect(redactable.statusCode).toBe(400);
    expect(redactable.json().error.message).toContain(
      'the attached PDF "contacts.pdf" holds text these rules redact',
    );
    expect(sent.claude).toHaveLength(0);
    // A plain-text source is message text to the filter (it always was), sent as a document.
    const text = await post(
      '/v1/messages',
      messages({
        type: 'document',
        source: { type: 'text', media_type: 'text/plain', data: 'mail bob@example.com' },
      }),
    );
    expect(text.statusCode).toBe(200);
    expect(lastBody(sent.claude).messages[0].content[0]).toMatchObject({
      type: 'document',
      source: { type: 'text', media_type: 'text/plain', data: 'mail [redacted:email]' },
    });
  });

  it('Responses input_file: redacted in the bridged request, never sent natively unredacted', async () => {
    const { sent } = await setup();
    const res = await post('/v1/responses', {
      model: 'gpt',
      input: [
        {
          role: 'user',
          content: [
            { type: 'input_text', text: 'Summarise.' },
            {
              type: 'input_file',
              filename: 'contacts.txt',
              file_data: dataUrl('text/plain', 'ann@example.com'),
            },
          ],
        },
      ],
    });
    expect(res.statusCode).toBe(200);
    const last = sent.gpt.at(-1)!;
    expect(last.url).toMatch(/\/chat\/completions$/);
    expect(JSON.parse(last.body).messages[0].content[1].file).toEqual({
      file_data: dataUrl('text/plain', '[redacted:email]'),
      filename: 'contacts.txt',
    });
    const blocked = await post('/v1/responses', {
      model: 'gpt',
      input: [
        {
          role: 'user',
          content: [
            {
              type: 'input_file',
              filename: 'plan.pdf',
              file_data: dataUrl('application/pdf', tinyPdf(['bluebird'])),
            },
          ],
        },
      ],
    });
    expect(blocked.statusCode).toBe(400);
    expect(blocked.json().error.message).toContain('in the attached file "plan.pdf"');
  });
});

describe('content filter: a PDF that does not parse (whole runtime)', () => {
  const ADMIN = 'mr-cfile-admin-0123456789';
  it('passes with the failure reported; blocks once onUnreadable: block is patched in; serves on', async () => {
    const rt = await createRuntime(
      parseConfig(
        testConfigInput({
          auth: {
            mode: 'keys',
            keys: [
              { id: 'ops', hash: hashApiKey(ADMIN), tenant: 'ops', admin: true, scopes: ['*'] },
            ],
          },
          contentFilter: { enabled: true, rules: [...RULES] },
        }),
        {},
      ).config,
    );
    const auth = { authorization: `Bearer ${ADMIN}` };
    const broken = dataUrl('application/pdf', '%PDF-1.7\n1 0 obj << /Type /Catalog >>\ngarbage');
    const send = (file_data: string) =>
      rt.app.inject({
        method: 'POST',
        url: '/v1/chat/completions',
        headers: auth,
        payload: chatWithFile({ file_data, filename: 'scan.pdf' }, 'model-router'),
      });
    try {
      const passed = await send(broken);
      expect(passed.statusCode).toBe(200);
      const results = passed.json().prompt_filter_results[0].content_filter_results;
      expect(results.error).toEqual({
        code: 422,
        message: expect.stringContaining(
          'attached file "scan.pdf" not checked: not a readable PDF',
        ),
      });
      const patched = await rt.app.inject({
        method: 'PATCH',
        url: '/admin/v1/settings/contentFilter',
        headers: auth,
        payload: { files: { onUnreadable: 'block' } },
      });
      expect(patched.statusCode).toBe(200);
      const blocked = await send(broken);
      expect(blocked.statusCode).toBe(400);
      expect(blocked.json().error.code).toBe('content_filter');
      expect(blocked.json().error.message).toContain(
        'attached file "scan.pdf" not checked: not a readable PDF',
      );
      expect(blocked.json().error.message).toContain('contentFilter.files.onUnreadable is block');
      // The server serves on: a readable PDF and a plain prompt.
      expect((await send(dataUrl('application/pdf', tinyPdf(['fine'])))).statusCode).toBe(200);
      const plain = await rt.app.inject({
        method: 'POST',
        url: '/v1/chat/completions',
        headers: auth,
        payload: { model: 'model-router', messages: [{ role: 'user', content: 'hi' }] },
      });
      expect(plain.statusCode).toBe(200);
    } finally {
      await rt.close();
    }
  });
});
