// `calibrate` without `--group`: the new model joins the group of the artefact's models the file
// also scores (their scores share its scale), or, when it scores none of them, a new group named
// after the file; `--group` names another.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { resolveArtefactPath } from '../routing/artefact-files.js';
import { parseArtefact } from '../routing/artefact-json.js';
import { DEFAULT_MODELS_DIR } from '../routing/router-factory.js';
import { trainedOn } from '../../training/in-sample.js';
import { run } from './calibrate.js';

const KNOWN = ['gemma-2-9b-it', 'qwen2.5-7b-instruct']; // in the shipped artefact's llmrouter group

/** A scored file of 200 prompts in `dir`, scoring `models` (a new model's score: every third). */
function scoredFile(dir: string, name: string, models: string[]): string {
  const rows = Array.from({ length: 200 }, (_, i) =>
    JSON.stringify({
      id: `c${i}`,
      source: 'synthetic/calibrate',
      prompt: `${i % 2 ? 'Say hello to' : 'Prove the claim about'} item ${i}.`,
      scores: Object.fromEntries(models.map((m, k) => [m, (i + k) % 3 ? 1 : 0])),
    }),
  );
  const file = join(dir, name);
  writeFileSync(file, `${rows.join('\n')}\n`);
  return file;
}

async function calibrate(dir: string, data: string, extra: string[] = []) {
  const prices = join(dir, 'prices.json');
  writeFileSync(
    prices,
    JSON.stringify({ 'new-model': { input_per_1m_usd: 0.3, output_per_1m_usd: 0.6 } }),
  );
  const out = join(dir, 'out.json');
  const err: string[] = [];
  vi.spyOn(process.stderr, 'write').mockImplementation((s) => (err.push(String(s)), true));
  const code = await run([
    '--model',
    'latest',
    '--data',
    data,
    '--prices',
    prices,
    '--out',
    out,
    ...extra,
  ]);
  const artefact = code === 0 ? parseArtefact(readFileSync(out, 'utf8')) : undefined;
  return {
    code,
    said: err.join(''),
    group: artefact?.models.find((m) => m.name === 'new-model')?.group,
    artefact,
  };
}

describe('calibrate without --group', () => {
  afterEach(() => vi.restoreAllMocks());

  it('joins the group of the known models the file scores', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mr-calibrate-'));
    const { code, said, group } = await calibrate(
      dir,
      scoredFile(dir, 'ours.jsonl', [...KNOWN, 'new-model']),
    );
    expect(code).toBe(0);
    expect(group).toBe('llmrouter_9open.jsonl');
    expect(said).toContain('added new-model to group llmrouter_9open.jsonl');
  });

  it('writes a new version: --version, else the --out file name (not its parent’s)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mr-calibrate-'));
    const data = scoredFile(dir, 'ours.jsonl', [...KNOWN, 'new-model']);
    // The artefact extended: the newest shipped one (`latest`).
    const parent = parseArtefact(
      readFileSync(resolveArtefactPath(DEFAULT_MODELS_DIR, 'latest'), 'utf8'),
    ).version;
    // --out out.json: the name a router's version: selects it by.
    const named = (await calibrate(dir, data)).artefact!;
    expect([named.version, named.derivedFrom]).toEqual(['out', parent]);
    const chosen = (await calibrate(dir, data, ['--version', '2026-12-07c'])).artefact!;
    expect(chosen.version).toBe('2026-12-07c');
    // A bad value is a usage error: main prints it as one line and exits 2.
    await expect(calibrate(dir, data, ['--version', 'no spaces'])).rejects.toThrow(
      '--version "no spaces": a version is',
    );
  });

  it('makes a group named after the file when it scores no known model', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mr-calibrate-'));
    const { code, said, group } = await calibrate(
      dir,
      scoredFile(dir, 'only-new.jsonl', ['new-model']),
    );
    expect(code).toBe(0);
    expect(group).toBe('only-new.jsonl');
    expect(said).toContain('added new-model to new group only-new.jsonl');
  });

  it('counts the scored prompts as trained on, in a new group and in a known one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mr-calibrate-'));
    const unseen = 'A prompt no training or calibration saw, about the tides of Fundy.';
    for (const [file, models] of [
      ['only-new.jsonl', ['new-model']],
      ['ours.jsonl', [...KNOWN, 'new-model']],
    ] as const) {
      const { code, artefact } = await calibrate(dir, scoredFile(dir, file, [...models]));
      expect(code).toBe(0);
      // A new group without a fingerprint left every prompt unknown (calibrate-bands warned that
      // the artefact was "trained before 2026-12-04"), and a known group's missed these prompts.
      const trained = trainedOn(artefact!);
      expect(trained, file).toBeDefined();
      expect(trained!('Say hello to item 7.'), file).toBe(true);
      expect(trained!(unseen), file).toBe(false);
    }
  });

  it("takes the new group's best single model by mean score, not the first by name", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mr-calibrate-'));
    // "a-weak" (first by name) is right on a third of the prompts, "new-model" on two thirds.
    const rows = Array.from({ length: 200 }, (_, i) =>
      JSON.stringify({
        prompt: `${i % 2 ? 'Say hello to' : 'Prove the claim about'} item ${i}.`,
        scores: { 'a-weak': i % 3 ? 0 : 1, 'new-model': i % 3 ? 1 : 0 },
      }),
    );
    const data = join(dir, 'two-new.jsonl');
    writeFileSync(data, `${rows.join('\n')}\n`);
    const prices = join(dir, 'prices.json');
    const price = { input_per_1m_usd: 0.3, output_per_1m_usd: 0.6 };
    writeFileSync(prices, JSON.stringify({ 'a-weak': price, 'new-model': price }));
    const said: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((s) => (said.push(String(s)), true));
    const out = join(dir, 'out.json');
    const args = ['--model', 'latest', '--data', data, '--prices', prices, '--out', out];
    expect(await run(args)).toBe(0);
    const artefact = parseArtefact(readFileSync(out, 'utf8'));
    const group = artefact.groups.find((g) => g.name === 'two-new.jsonl')!;
    // Before, the first head fitted (a-weak) was the group's best single model: its scale and
    // the reference of eval's ratios.
    expect(group.bestSingle).toBe('new-model');
    expect(said.join('')).not.toContain('too few answers');
    expect(group.bestMean).toBe(
      artefact.models.find((m) => m.name === 'new-model' && m.group === group.name)!.meanScore,
    );
  });

  it('says that a new model scored on too few prompts is added all the same, and how many it has', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mr-calibrate-'));
    const data = scoredFile(dir, 'ours.jsonl', [...KNOWN, 'new-model']);
    const few = join(dir, 'few.jsonl');
    writeFileSync(few, readFileSync(data, 'utf8').split('\n').slice(0, 10).join('\n'));
    const { code, said, group } = await calibrate(dir, few);
    expect(code).toBe(0);
    expect(group).toBe('llmrouter_9open.jsonl');
    // Before, the warning said "at least 50" as a rule, and the model was then added from 10.
    expect(said).toContain(
      `warning: model "new-model" is scored on 10 prompts of ${few}, under the 50 below which its head and level rest on too few answers to say much; it is added all the same, its level lowered by the standard error of its mean score (below). About 200 scored prompts are advised: score it on more and calibrate again`,
    );
    expect(said).not.toContain('at least 50');
    expect(said).toContain('added new-model to group llmrouter_9open.jsonl');
  });

  it('--group names the group instead, even one sharing a model name with another group', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mr-calibrate-'));
    const data = scoredFile(dir, 'ours.jsonl', [...KNOWN, 'new-model']);
    const { code, group } = await calibrate(dir, data, ['--group', 'arenabench_v1.jsonl']);
    expect(code).toBe(0);
    expect(group).toBe('arenabench_v1.jsonl');
  });
});

describe('calibrate on an artefact of an earlier feature version', () => {
  afterEach(() => vi.restoreAllMocks());

  it("fits the new model's head on the features of the artefact's own version", async () => {
    // Prompts in a script without spaces, whose features version 6 reads otherwise than 5: the
    // same file calibrated on 2026-12-03b (version 5) and on a copy of it marked version 6 gives
    // other heads only if each run extracts the features of its artefact's version.
    const dir = mkdtempSync(join(tmpdir(), 'mr-calibrate-'));
    const rows = Array.from({ length: 200 }, (_, i) =>
      JSON.stringify({
        id: `c${i}`,
        source: 'synthetic/calibrate',
        prompt: `${i % 2 ? '请向第' : '请证明关于第'}${i}项${i % 3 ? '的说法。' : '问好。'}`,
        scores: Object.fromEntries([...KNOWN, 'new-model'].map((m, k) => [m, (i + k) % 3 ? 1 : 0])),
      }),
    );
    const data = join(dir, 'ours.jsonl');
    writeFileSync(data, `${rows.join('\n')}\n`);
    const five = join(dir, 'five.json');
    const six = join(dir, 'six.json');
    const shipped = readFileSync('models/2026-12-03b.json', 'utf8');
    writeFileSync(five, shipped);
    writeFileSync(six, shipped.replace('"featureVersion":5,', '"featureVersion":6,'));
    const prices = join(dir, 'prices.json');
    writeFileSync(
      prices,
      JSON.stringify({ 'new-model': { input_per_1m_usd: 0.3, output_per_1m_usd: 0.6 } }),
    );
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const head = async (model: string) => {
      const out = join(dir, 'out.json');
      expect(await run(['--model', model, '--data', data, '--prices', prices, '--out', out])).toBe(
        0,
      );
      const artefact = parseArtefact(readFileSync(out, 'utf8'));
      return artefact.models.find((m) => m.name === 'new-model')!;
    };
    const fromFive = await head(five);
    const fromSix = await head(six);
    expect(parseArtefact(readFileSync(six, 'utf8')).featureVersion).toBe(6);
    expect(fromFive.group).toBe(fromSix.group);
    expect(Array.from(fromFive.sparse)).not.toEqual(Array.from(fromSix.sparse));
  });
});

// Without a required option, calibrate printed its usage line alone, not which was missing.
describe('calibrate without a required option', () => {
  it('names what is missing, exit 2', async () => {
    const said: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((s) => (said.push(String(s)), true));
    try {
      expect(await run(['--model', 'latest', '--data', 'scored.jsonl'])).toBe(2);
    } finally {
      vi.restoreAllMocks();
    }
    const lines = said.join('').split('\n');
    expect(lines[0]).toBe('model-router calibrate: missing --prices, --out');
    expect(lines[1]).toMatch(/^usage: model-router calibrate --model/);
  });
});
