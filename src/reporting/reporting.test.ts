import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { summaryLines, toCsv } from './compare-report.js';
import { summarizeRun } from './compare-summary.js';
import { loadFlatPrices, loadPrompts } from './compare-inputs.js';
import { chatUrl, costOf, gradeAnswer, runCompare, type CompareRow } from './compare-run.js';
import { lengthBucket, promptKind, routingDistribution } from './distribution.js';

describe('compare helpers', () => {
  it('builds OpenAI-style and Azure-style URLs', () => {
    expect(chatUrl('http://h:1', 'x')).toBe('http://h:1/v1/chat/completions');
    expect(chatUrl('http://h:1/v1/', 'x')).toBe('http://h:1/v1/chat/completions');
    expect(chatUrl('https://r.openai.azure.com/openai', 'my dep', '2024-10-21')).toBe(
      'https://r.openai.azure.com/openai/deployments/my%20dep/chat/completions?api-version=2024-10-21',
    );
  });

  it('grades by known scores first, then by the reference answer as a whole word', () => {
    const p = { id: '1', messages: [], text: 'q', reference: '42', scores: { big: 0.8 } };
    expect(gradeAnswer(p, 'no idea', ['big'])).toBe(0.8);
    expect(gradeAnswer(p, 'The answer is 42.', ['small'])).toBe(1);
    expect(gradeAnswer(p, 'The answer is 420.', ['small'])).toBe(0);
    expect(gradeAnswer({ id: '2', messages: [], text: 'q' }, 'x', ['big'])).toBeUndefined();
  });

  it('prices cached tokens at the cached rate and finds the price by deployment, then model', () => {
    const prices = new Map([['dep', { inputPer1M: 2, cachedInputPer1M: 0.5, outputPer1M: 8 }]]);
    expect(
      costOf(prices, [undefined, 'dep'], { prompt: 1000, cached: 400, completion: 100 }),
    ).toBeCloseTo((600 * 2 + 400 * 0.5 + 100 * 8) / 1e6, 12);
    expect(costOf(prices, ['other'], { prompt: 1, cached: 0, completion: 1 })).toBeUndefined();
  });

  it('reads .txt and .jsonl prompt files and names the bad line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mr-prompts-'));
    writeFileSync(join(dir, 'a.txt'), 'first\n\n  second  \n');
    expect(loadPrompts(join(dir, 'a.txt')).map((p) => p.text)).toEqual(['first', 'second']);
    writeFileSync(
      join(dir, 'b.jsonl'),
      '{"prompt":"x","answer":7}\n{"messages":[{"role":"user"}]}\n',
    );
    expect(() => loadPrompts(join(dir, 'b.jsonl'))).toThrow(/b\.jsonl:2: needs "prompt"/);
    writeFileSync(join(dir, 'c.jsonl'), '{"prompt":"x","scores":{"m":"high"}}\n');
    expect(() => loadPrompts(join(dir, 'c.jsonl'))).toThrow(
      /c\.jsonl:1: scores\["m"\] must be a number/,
    );
    writeFileSync(join(dir, 'd.jsonl'), '\n');
    expect(() => loadPrompts(join(dir, 'd.jsonl'))).toThrow(/holds no prompts/);
    // A score is a quality in [0, 1], as in the training files: a 1–10 grade is refused with
    // how to fix it, and a model named `__proto__` is a score like any other.
    writeFileSync(join(dir, 'e.jsonl'), '{"prompt":"x","scores":{"m":7}}\n');
    expect(() => loadPrompts(join(dir, 'e.jsonl'))).toThrow(
      'e.jsonl:1: scores["m"] is 7, outside [0, 1] (quality is on a 0–1 scale: divide a 1–10 grade by 10, a percentage by 100)',
    );
    writeFileSync(join(dir, 'f.jsonl'), '{"prompt":"x","scores":{"m":-0.5}}\n');
    expect(() => loadPrompts(join(dir, 'f.jsonl'))).toThrow('scores["m"] is -0.5, outside [0, 1]');
    writeFileSync(join(dir, 'g.jsonl'), '{"prompt":"x","scores":{"__proto__":0.5,"m":1}}\n');
    expect({ ...loadPrompts(join(dir, 'g.jsonl'))[0]!.scores }).toEqual({
      ['__proto__']: 0.5,
      m: 1,
    });
  });

  it('reads routing data as the training commands do: a byte-order mark, CRLF, null scores', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mr-prompts-'));
    // Before, line 1 was "not valid JSON" over the mark, and a null score (the routing data's
    // "no score for this model here") refused the file.
    writeFileSync(
      join(dir, 'r.jsonl'),
      '\uFEFF{"prompt":"x","scores":{"a":1,"b":null}}\r\n{"prompt":"y","scores":{"a":null}}\r\n',
    );
    const rows = loadPrompts(join(dir, 'r.jsonl'));
    expect(rows.map((p) => p.text)).toEqual(['x', 'y']);
    expect({ ...rows[0]!.scores }).toEqual({ a: 1 });
    expect({ ...rows[1]!.scores }).toEqual({});
    // An empty prompt is passed over with a note, as train and eval pass it over (before, it
    // was sent to every target as an empty user message).
    writeFileSync(
      join(dir, 's.jsonl'),
      '{"prompt":"x"}\n{"prompt":""}\n{"input":"  ","scores":{"a":1}}\n{"prompt":"y"}\n',
    );
    const notes: string[] = [];
    expect(loadPrompts(join(dir, 's.jsonl'), (m) => notes.push(m)).map((p) => p.text)).toEqual([
      'x',
      'y',
    ]);
    expect(notes).toEqual([
      `${join(dir, 's.jsonl')}: 2 rows with an empty prompt passed over (lines 2, 3)`,
    ]);
  });

  it('says what train says of a line or file that is not JSON Lines: NaN, a cut-off line, UTF-16, gzip', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mr-prompts-'));
    const at = (name: string, content: string | Buffer) => {
      writeFileSync(join(dir, name), content);
      return () => loadPrompts(join(dir, name));
    };
    // Before, JSON.parse's words alone ("Unexpected token 'N'"), and line 1 of a UTF-16 or gzip
    // file quoted as garbled bytes.
    expect(at('nan.jsonl', '{"prompt":"x","scores":{"m":NaN}}\n')).toThrow(
      /nan\.jsonl:1: not valid JSON \(.*\): NaN is no JSON value \(Python's json\.dumps writes it for a float nan or inf\); write null where a model has no score, else a number$/,
    );
    expect(at('cut.jsonl', '{"prompt":"x"}\n{"prompt":"y')).toThrow(
      /cut\.jsonl:2: not valid JSON \(.*\): it is the last line and the file does not end with a line break; was the file cut off\?/,
    );
    expect(at('wide.jsonl', Buffer.from('\uFEFF{"prompt":"x"}\n', 'utf16le'))).toThrow(
      'wide.jsonl: is UTF-16 text; save it as UTF-8',
    );
    expect(at('packed.jsonl', gzipSync('{"prompt":"x"}\n'))).toThrow(
      'packed.jsonl: is gzip-compressed; decompress it first (gunzip)',
    );
  });

  it("says a prices file in models.json's layout is not flat, and how to take one file's", () => {
    const dir = mkdtempSync(join(tmpdir(), 'mr-prices-'));
    const file = join(dir, 'models.json');
    writeFileSync(
      file,
      JSON.stringify({
        _note: 'USD per 1M',
        datasets: { 'd.jsonl': { m: { input_per_1m_usd: 1, output_per_1m_usd: 2 } } },
      }),
    );
    // Before: '"datasets" needs input_per_1m_usd … input_per_1m_usd is missing'.
    expect(() => loadFlatPrices(file)).toThrow(
      `${file}: is in models.json's layout (prices under "datasets", by data file); compare takes flat prices, {"<model>": {"input_per_1m_usd": …, "output_per_1m_usd": …}}: take one file's (jq '.datasets["d.jsonl"]' ${file})`,
    );
  });

  it('reads a flat prices file: finite prices ≥ 0, `_` notes passed over', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mr-prices-'));
    const prices = (text: string) => {
      writeFileSync(join(dir, 'p.json'), text);
      return () => loadFlatPrices(join(dir, 'p.json'));
    };
    expect([
      ...prices(
        '{"_note":"USD per 1M","_m":{"input_per_1m_usd":1,"output_per_1m_usd":2,"cached_input_per_1m_usd":0.5}}',
      )(),
    ]).toEqual([['_m', { inputPer1M: 1, outputPer1M: 2, cachedInputPer1M: 0.5 }]]);
    for (const bad of [
      '{"m":{"input_per_1m_usd":-1,"output_per_1m_usd":2}}',
      '{"m":{"input_per_1m_usd":1e400,"output_per_1m_usd":2}}',
      '{"m":{"input_per_1m_usd":1,"output_per_1m_usd":2,"cached_input_per_1m_usd":"x"}}',
      '{"m":null}',
    ])
      expect(prices(bad), bad).toThrow(
        '"m" needs input_per_1m_usd and output_per_1m_usd (and optionally cached_input_per_1m_usd) as USD per 1M tokens, finite and ≥ 0',
      );
    expect(prices('{"m":{"input_per_1m_usd":1e400,"output_per_1m_usd":2}}')).toThrow(
      'a number too large to represent',
    );
    expect(prices('null')).toThrow('expected an object of model → prices');
  });

  it("says under the table why a run's requests failed, and how many", () => {
    const row = (run: string, ok: boolean, error?: string) =>
      ({
        prompt_id: 'p',
        run,
        target: run,
        status: ok ? 200 : 404,
        ok,
        latency_ms: 1,
        prompt_kind: 'general',
        prompt_chars: 1,
        answer_chars: 0,
        ...(error ? { error } : {}),
      }) as CompareRow;
    const rows = [
      row('nope', false, '404: The model or deployment "nope" does not exist.'),
      row('nope', false, '404: The model or deployment "nope" does not exist.'),
      row('gpt-4.1', true),
    ];
    const runs = ['nope', 'gpt-4.1'].map((r) => summarizeRun({ target: r, label: r }, rows));
    const lines = summaryLines({
      endpoint: 'http://h',
      started_at: '',
      finished_at: '',
      prompts: 2,
      runs,
      rows,
      skipped: 0,
    });
    expect(lines.slice(-2)).toEqual([
      '',
      'nope: 2 of 2 failed; the first: 404: The model or deployment "nope" does not exist.',
    ]);
  });

  it('says why an endpoint could not be reached, not only "fetch failed"', async () => {
    // A port that was just free: nothing listens on it.
    const port = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as { port: number };
        server.close(() => resolve(port));
      });
    });
    const result = await runCompare({
      endpoint: `http://127.0.0.1:${port}`,
      prompts: [{ id: '1', messages: [{ role: 'user', content: 'hi' }], text: 'hi' }],
      targets: [{ target: 'm', label: 'm' }],
      concurrency: 1,
      requestTimeoutMs: 5_000,
      deadlineMs: 60_000,
      stream: false,
      prices: new Map(),
    });
    expect(result.rows[0]!.error).toMatch(/^TypeError: fetch failed \(.*ECONNREFUSED/);
  });

  it('writes CSV with quoting', () => {
    const row = {
      prompt_id: 'a,b',
      run: 'r',
      target: 't',
      status: 200,
      ok: true,
      latency_ms: 1.23456789,
      prompt_kind: 'general',
      prompt_chars: 1,
      answer_chars: 2,
      error: 'say "hi"',
    } as CompareRow;
    const [head, line] = toCsv([row]).split('\n');
    expect(head!.split(',')[0]).toBe('prompt_id');
    expect(line).toContain('"a,b",r,t,,,200,true');
    expect(line).toContain('1.234568');
    expect(line).toContain('"say ""hi"""');
  });
});

describe('routing distribution', () => {
  it('buckets by source when known, else by kind, else by length, in a stable order', () => {
    const bySource = routingDistribution([
      { servedModel: 'a', source: 's1' },
      { servedModel: 'b', source: 's1' },
      { servedModel: 'a', source: 's2' },
    ]);
    expect(bySource.by).toBe('source');
    expect(bySource.models).toEqual(['a', 'b']);
    expect(bySource.rows).toEqual([
      { bucket: 's1', total: 2, counts: { a: 1, b: 1 } },
      { bucket: 's2', total: 1, counts: { a: 1 } },
    ]);
    const byLength = routingDistribution([
      { servedModel: 'a', promptTokens: 9000 },
      { servedModel: 'a', promptTokens: 10 },
      { servedModel: 'b' },
    ]);
    expect(byLength.by).toBe('length');
    expect(byLength.rows.map((r) => r.bucket)).toEqual([lengthBucket(10), lengthBucket(9000)]);
    expect(byLength.unbucketed).toBe(1);
  });

  it('reads kinds off the routing features', () => {
    expect(promptKind('def f(x):\n    return x; import os; class A {}')).toBe('code-like');
    expect(promptKind('Solve the equation 3x + 5 = 20 and compute the value of x.')).toBe(
      'math-like',
    );
    expect(promptKind('Which is a fruit?\nA. apple\nB. car\nC. road\nD. sky')).toBe(
      'multiple choice',
    );
    expect(promptKind('Tell me about the history of Rome.')).toBe('general');
  });
});
