// The content filter's moderation checks: an OpenAI-style moderation endpoint on loopback, and
// plug-ins checking streamed answers as they go.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createContentFilter } from './content-filter.js';
import type { ContentFilterPlugin, OutputVerdict } from './filters/filter-types.js';
import type { ChatChunk } from '../core/wire-types.js';
import {
  caught,
  chunk,
  collect,
  filter,
  from,
  req,
} from '../../test/helpers/content-filter-fixtures.js';

describe('content filter: moderation endpoint (loopback)', () => {
  let server: Server;
  let url = '';
  const seen: unknown[] = [];
  beforeAll(async () => {
    server = createServer((request, response) => {
      let body = '';
      request.on('data', (d) => (body += d));
      request.on('end', () => {
        const parsed = JSON.parse(body) as { input: string };
        seen.push(parsed);
        if (parsed.input.includes('slow')) return; // never answers: the filter must time out
        const violent = parsed.input.includes('attack');
        response.setHeader('content-type', 'application/json');
        response.end(
          JSON.stringify({
            id: 'modr-1',
            model: 'omni-moderation-latest',
            results: [
              {
                flagged: violent,
                categories: { violence: violent, 'violence/graphic': false, hate: false },
              },
            ],
          }),
        );
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/moderations`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('blocks a flagged prompt with Azure severity results', async () => {
    const err = await caught(filter([], url).filterInput(req('plan an attack')));
    expect(seen.at(-1)).toEqual({ input: 'plan an attack\n' });
    expect(err.code).toBe('content_filter');
    expect(
      (err.details?.innererror as { content_filter_result: unknown }).content_filter_result,
    ).toEqual({
      hate: { filtered: false, severity: 'safe' },
      sexual: { filtered: false, severity: 'safe' },
      violence: { filtered: true, severity: 'high' },
      self_harm: { filtered: false, severity: 'safe' },
    });
  });

  it('passes a clean prompt and reports the categories it checked', async () => {
    const out = await filter([], url).filterInput(req('hello'));
    expect(out.promptFilterResults[0]).toMatchObject({
      content_filter_results: { violence: { filtered: false, severity: 'safe' } },
    });
  });

  it('checks a streamed answer before its finish: a flagged one ends with content_filter', async () => {
    const f = filter([], url);
    const clean = await collect(f.filterStream(from(['The weather ', 'is mild today.'])));
    expect(clean.finish).toBe('stop');
    expect(clean.text).toBe('The weather is mild today.');
    expect(seen.at(-1)).toEqual({ input: 'The weather is mild today.' });
    const cleanFinal = clean.chunks.at(-1)!.choices[0] as unknown as Record<string, unknown>;
    expect(cleanFinal.content_filter_results).toMatchObject({
      violence: { filtered: false, severity: 'safe' },
    });
    const flagged = await collect(f.filterStream(from(['We plan an ', 'attack at dawn.'])));
    expect(flagged.finish).toBe('content_filter');
    const final = flagged.chunks.at(-1)!.choices[0] as unknown as Record<string, unknown>;
    expect(final.content_filter_results).toMatchObject({
      violence: { filtered: true, severity: 'high' },
    });
  });

  it('a moderation timeout does not block; the failure is reported in `error`', async () => {
    const out = await filter([], url, 100).filterInput(req('slow please'));
    expect(out.promptFilterResults[0]).toEqual({
      prompt_index: 0,
      content_filter_results: {
        error: { code: 408, message: 'moderation endpoint timed out after 100 ms' },
      },
    });
  });
});

describe('content filter: moderation plug-ins on streams', () => {
  // A plug-in whose verdicts the test releases: no clocks, the order of events is fixed.
  function gatedPlugin() {
    const calls: { text: string; release: (flag: boolean) => void }[] = [];
    const plugin: ContentFilterPlugin = {
      name: 'gated',
      checkInput: () => ({ hits: [], evaluated: [] }),
      checkOutput: (text: string) =>
        new Promise<OutputVerdict>((resolve) =>
          calls.push({
            text,
            release: (flag) =>
              resolve({
                hits: flag
                  ? [{ plugin: 'gated', ruleId: 'v', category: 'violence', action: 'block' }]
                  : [],
                evaluated: ['violence'],
              }),
          }),
        ),
    };
    return { plugin, calls };
  }
  const gatedFilter = (plugin: ContentFilterPlugin) => {
    const f = createContentFilter({ enabled: true, rules: [] }, { plugins: [plugin] });
    if (!f) throw new Error('filter disabled');
    return f;
  };
  const part = 'x'.repeat(250);
  const macrotask = () => new Promise((r) => setImmediate(r));

  it('checks the text sent so far every 1,000 characters and cuts the stream at a flag', async () => {
    const { plugin, calls } = gatedPlugin();
    async function* source(): AsyncGenerator<ChatChunk> {
      for (let i = 0; i < 12; i++) {
        yield chunk(part);
        // After the fourth part (1,000 characters) the plug-in has been asked: it flags.
        if (calls.length === 1 && i === 4) {
          calls[0]!.release(true);
          await macrotask();
        }
      }
      yield chunk(undefined, 'stop');
    }
    const out = await collect(gatedFilter(plugin).filterStream(source()));
    expect(calls[0]!.text).toBe(part.repeat(4));
    expect(out.finish).toBe('content_filter');
    // Text flowed while the check ran (the fifth part) and stopped at the verdict: 5 of 12 parts.
    expect(out.text).toBe(part.repeat(5));
    const cut = out.chunks.at(-1)!.choices[0] as unknown as Record<string, unknown>;
    expect(cut.content_filter_results).toMatchObject({
      violence: { filtered: true },
    });
  });

  it('holds the finish until the whole text is checked; clean text finishes as it came', async () => {
    const { plugin, calls } = gatedPlugin();
    const filtered = gatedFilter(plugin).filterStream(from([part, part, part, part, part]));
    const stream = filtered[Symbol.asyncIterator]();
    const sent: string[] = [];
    for (let i = 0; i < 5; i++) sent.push((await stream.next()).value.choices[0].delta.content);
    expect(sent.join('')).toBe(part.repeat(5));
    const finish = stream.next();
    await macrotask();
    // Checked at 1,000 characters and, for the finish, at all 1,250.
    expect(calls.map((c) => c.text.length)).toEqual([1000, 1250]);
    calls[0]!.release(false);
    calls[1]!.release(false);
    const last = (await finish).value as ChatChunk;
    expect(last.choices[0]!.finish_reason).toBe('stop');
    expect((await stream.next()).done).toBe(true);
  });

  it('a client that leaves: the check in flight is stopped and not waited for, none starts after, the hook is taken back', async () => {
    // A plug-in that answers only when told nobody will read its verdict.
    const signals: (AbortSignal | undefined)[] = [];
    const plugin: ContentFilterPlugin = {
      name: 'held',
      checkInput: () => ({ hits: [], evaluated: [] }),
      checkOutput: (_text, _onCall, signal) =>
        new Promise<OutputVerdict>((resolve) => {
          signals.push(signal);
          signal?.addEventListener('abort', () => resolve({ hits: [], evaluated: [] }), {
            once: true,
          });
        }),
    };
    const client = new AbortController();
    let hooks = 0;
    const onClientGone = (fn: () => void) => {
      hooks++;
      client.signal.addEventListener('abort', fn, { once: true });
      return () => {
        hooks--;
        client.signal.removeEventListener('abort', fn);
      };
    };
    async function* source(): AsyncGenerator<ChatChunk> {
      for (let i = 0; i < 4; i++) yield chunk(part); // 1,000 characters: a check starts
      client.abort();
      for (let i = 0; i < 4; i++) yield chunk(part); // another 1,000: no check for nobody
      throw new Error('client closed request'); // the upstream read, aborted
    }
    const filtered = gatedFilter(plugin).filterStream(source(), undefined, onClientGone);
    const err = await collect(filtered).catch((e: Error) => e);
    expect((err as Error).message).toBe('client closed request');
    expect(signals).toHaveLength(1);
    expect(signals[0]?.aborted).toBe(true);
    expect(hooks).toBe(0);
  });

  it('a plug-in that throws does not block; the failure is reported', async () => {
    const plugin: ContentFilterPlugin = {
      name: 'broken',
      checkInput: () => ({ hits: [], evaluated: [] }),
      checkOutput: () => Promise.reject(new Error('down')),
    };
    const out = await collect(gatedFilter(plugin).filterStream(from(['fine ', 'text'])));
    expect(out.finish).toBe('stop');
    expect(out.text).toBe('fine text');
    const final = out.chunks.at(-1)!.choices[0] as unknown as Record<string, unknown>;
    expect(final.content_filter_results).toMatchObject({ error: { code: 500 } });
  });
});
