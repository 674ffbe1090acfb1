import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashApiKey } from '../auth/api-key.js';
import { authenticate } from '../auth/authenticate.js';
import { KeyStore } from '../auth/key-store.js';
import { keyWarnings, registerKeyRoutes } from '../auth/key-routes.js';
import { loadConfigFile } from '../config/load-config.js';
import { createManualClock, systemClock } from '../core/clock.js';
import { sendError } from '../http/error-handler.js';
import { MemoryState } from '../store/memory/memory-state.js';
import { run } from './keys.js';
import { captureIo } from '../../test/helpers/cli-io.js';

const io = (env: NodeJS.ProcessEnv = {}) => captureIo(env);

const YAML = `# my router
auth:
  mode: keys # every request needs a key
deployments:
  - name: a
    provider: simulated
    model: a
    prices: { inputPer1M: 1, outputPer1M: 2 }
    contextWindow: 1000
    maxOutputTokens: 100
`;

describe('keys CLI offline (--config)', () => {
  // A config file with an error of its own (a typo) was refused as "keys issue: Invalid config:"
  // without the file's name; the refusal now names it, as check-config and serve do.
  it('refuses to write a key into an invalid file, naming the file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'keys-cli-invalid-'));
    const file = join(dir, 'router.yaml');
    const text = YAML.replace('contextWindow: 1000', 'contextWindw: 1000');
    writeFileSync(file, text);
    const a = io();
    expect(await run(['issue', '--config', file, '--tenant', 'acme'], a.io)).toBe(1);
    expect(a.err.join('')).toContain(`keys issue: ${file}: Invalid config:\n`);
    expect(a.err.join('')).toContain('contextWindw: unknown key');
    expect(readFileSync(file, 'utf8')).toBe(text);
  });

  it('issues into the YAML (hash only, comments kept), lists and revokes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'keys-cli-'));
    const file = join(dir, 'router.yaml');
    writeFileSync(file, YAML);
    const a = io();
    expect(
      await run(
        [
          'issue',
          '--config',
          file,
          '--tenant',
          'acme',
          '--id',
          'team-a',
          '--scopes',
          'r1,r2',
          '--rpm',
          '10',
          '--daily-usd',
          '5',
        ],
        a.io,
      ),
    ).toBe(0);
    const key = a.out.join('').trim();
    expect(key).toMatch(/^mr-/);
    // Scopes that allow nothing in the config are issued, with a warning.
    expect(a.err.join('')).toContain(
      'warning: scope "r1" allows no router, pool or deployment in the current config',
    );
    const text = readFileSync(file, 'utf8');
    expect(text).toContain('# my router');
    expect(text).toContain('# every request needs a key');
    expect(text).not.toContain(key);
    expect(loadConfigFile(file).config.auth.keys).toEqual([
      {
        id: 'team-a',
        hash: hashApiKey(key),
        tenant: 'acme',
        admin: false,
        scopes: ['r1', 'r2'],
        rateLimit: { rpm: 10 },
        budget: { dailyUsd: 5 },
      },
    ]);
    const l = io();
    expect(await run(['list', '--config', file], l.io)).toBe(0);
    // Its limits and budget, as keys issue names them (before: nothing but tenant and scopes).
    expect(l.out.join('')).toBe('team-a\ttenant=acme\tscopes=r1,r2\trpm=10 daily=$5\n');
    const bad = io();
    expect(
      await run(['issue', '--config', file, '--tenant', 'x', '--expires', 'tomorrow'], bad.io),
    ).toBe(1);
    expect(bad.err.join('')).toContain('--expires "tomorrow": not an ISO 8601 time');
    expect(readFileSync(file, 'utf8')).toBe(text); // nothing half-written
    // A time already past, an id the admin API would refuse, and both targets at once.
    for (const [args, said] of [
      [['--expires', '2020-01-01T00:00:00Z'], '--expires 2020-01-01T00:00:00Z is in the past'],
      [['--id', 'bad id'], '--id "bad id": a key id may use letters'],
    ] as const) {
      const refused = io();
      expect(await run(['issue', '--config', file, '--tenant', 'x', ...args], refused.io)).toBe(1);
      expect(refused.err.join('')).toContain(said);
    }
    const both = io();
    expect(await run(['list', '--config', file, '--url', 'http://127.0.0.1:1'], both.io)).toBe(2);
    expect(both.err.join('')).toContain('--url and --config: give one');
    expect(readFileSync(file, 'utf8')).toBe(text);
    const r = io();
    expect(await run(['revoke', 'team-a', '--config', file], r.io)).toBe(0);
    expect(loadConfigFile(file).config.auth.keys).toEqual([]);
  });

  it('warns of scopes and subsets that name nothing in the config', () => {
    const names = { routers: ['router-eu'], deployments: ['gpt-4o', 'gpt-4o-mini'] };
    expect(keyWarnings({ scopes: ['*', 'router-eu', 'gpt-4o*'] }, names)).toEqual([]);
    expect(
      keyWarnings({ scopes: ['gpt-5*', 'bogus'], modelSubset: ['gpt-4o', 'nope'] }, names),
    ).toEqual([
      'scope "gpt-5*" allows no router, pool or deployment in the current config (a scope is a name, a name prefix ending in *, or *)',
      'scope "bogus" allows no router, pool or deployment in the current config (a scope is a name, a name prefix ending in *, or *)',
      'modelSubset names "nope", which is not a deployment in the current config',
    ]);
  });

  it('--allow-ip (repeatable) restricts the key to those addresses; a bad one writes nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'keys-cli-'));
    const file = join(dir, 'router.yaml');
    writeFileSync(file, YAML);
    const bad = io();
    expect(
      await run(
        ['issue', '--config', file, '--tenant', 'acme', '--allow-ip', '10.0.0.0/33'],
        bad.io,
      ),
    ).toBe(1);
    expect(bad.err.join('')).toContain(
      'auth.keys[0].allowedIps[0]: "10.0.0.0/33": an IPv4 prefix length is at most 32',
    );
    expect(readFileSync(file, 'utf8')).toBe(YAML);
    const a = io();
    const args = ['issue', '--config', file, '--tenant', 'acme', '--id', 'office'];
    expect(
      await run([...args, '--allow-ip', '10.0.0.0/8', '--allow-ip', '2001:db8::/32'], a.io),
    ).toBe(0);
    expect(loadConfigFile(file).config.auth.keys[0]?.allowedIps).toEqual([
      '10.0.0.0/8',
      '2001:db8::/32',
    ]);
    const l = io();
    expect(await run(['list', '--config', file], l.io)).toBe(0);
    expect(l.out.join('')).toBe('office\ttenant=acme\tscopes=*\tfrom 10.0.0.0/8,2001:db8::/32\n');
  });

  it('list shows each key’s rate limits, budgets, costliest mode and cache, compactly; --json in full', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'keys-cli-'));
    const file = join(dir, 'router.yaml');
    writeFileSync(file, YAML);
    const limits = ['--rpm', '60', '--tpm', '100000', '--daily-usd', '2.5', '--monthly-usd', '50'];
    const more = ['--max-mode', 'balanced', '--no-cache'];
    const a = io();
    expect(
      await run(
        ['issue', '--config', file, '--tenant', 'acme', '--id', 'capped', ...limits, ...more],
        a.io,
      ),
    ).toBe(0);
    expect(
      await run(['issue', '--config', file, '--tenant', 'acme', '--id', 'open'], io().io),
    ).toBe(0);
    const l = io();
    expect(await run(['list', '--config', file], l.io)).toBe(0);
    expect(l.out.join('')).toBe(
      'capped\ttenant=acme\tscopes=*\trpm=60 tpm=100000 daily=$2.5 monthly=$50 max-mode=balanced no-cache\n' +
        'open\ttenant=acme\tscopes=*\n',
    );
    const j = io();
    expect(await run(['list', '--config', file, '--json'], j.io)).toBe(0);
    expect(JSON.parse(j.out.join(''))[0]).toEqual({
      id: 'capped',
      tenant: 'acme',
      rateLimit: { rpm: 60, tpm: 100000 },
      budget: { dailyUsd: 2.5, monthlyUsd: 50 },
      maxRoutingMode: 'balanced',
      cache: false,
      source: 'config',
    });
  });

  it('rotate writes the new hash and keeps the old one in previousHashes for the grace period', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'keys-cli-'));
    const file = join(dir, 'router.yaml');
    writeFileSync(file, YAML);
    const a = io();
    expect(await run(['issue', '--config', file, '--tenant', 'acme', '--id', 'team-a'], a.io)).toBe(
      0,
    );
    const oldKey = a.out.join('').trim();
    const bad = io();
    expect(await run(['rotate', 'team-a', '--config', file, '--grace', '1w'], bad.io)).toBe(2);
    expect(bad.err.join('')).toBe(
      'keys rotate: --grace must look like 7d, 24h, 30m or 90s (got "1w")\n',
    );
    const tooLong = io();
    expect(await run(['rotate', 'team-a', '--config', file, '--grace', '31d'], tooLong.io)).toBe(2);
    expect(tooLong.err.join('')).toBe(
      'keys rotate: --grace must be a duration such as 7d, 24h, 30m or 90s, or seconds such as 3600, of whole seconds and at most 30d (got "31d")\n',
    );
    const before = readFileSync(file, 'utf8');
    expect(await run(['rotate', 'nobody', '--config', file], io().io)).toBe(1);
    expect(readFileSync(file, 'utf8')).toBe(before);

    const r = io();
    expect(await run(['rotate', 'team-a', '--config', file, '--grace', '1h'], r.io)).toBe(0);
    const newKey = r.out.join('').trim();
    expect(newKey).toMatch(/^mr-/);
    const [key] = loadConfigFile(file).config.auth.keys;
    expect(key).toMatchObject({
      id: 'team-a',
      tenant: 'acme',
      hash: hashApiKey(newKey),
      previousHashes: [{ hash: hashApiKey(oldKey), expiresAt: expect.any(String) }],
    });
    const until = key!.previousHashes![0]!.expiresAt;
    expect(r.err.join('')).toContain(
      `rotated key team-a; the secret it replaces works until ${until};`,
    );
    expect(readFileSync(file, 'utf8')).toContain('# my router');
    expect(readFileSync(file, 'utf8')).not.toContain(newKey);
    const l = io();
    expect(await run(['list', '--config', file, '--json'], l.io)).toBe(0);
    expect(JSON.parse(l.out.join(''))).toEqual([
      {
        id: 'team-a',
        tenant: 'acme',
        oldSecretExpiresAt: until,
        source: 'config',
      },
    ]);
    expect(l.out.join('')).not.toMatch(/[0-9a-f]{64}/);

    // A KeyStore over that config takes both secrets until the grace ends.
    const clock = createManualClock(Date.parse(until) - 1);
    const store = new KeyStore({
      state: new MemoryState(clock),
      clock,
      configKeys: () => loadConfigFile(file).config.auth.keys,
    });
    expect([store.findByKey(oldKey)?.id, store.findByKey(newKey)?.id]).toEqual([
      'team-a',
      'team-a',
    ]);
    clock.advance(1);
    expect([store.findByKey(oldKey)?.id, store.findByKey(newKey)?.id]).toEqual([
      undefined,
      'team-a',
    ]);
  });

  it('prints usage for a missing target', async () => {
    const x = io();
    expect(await run(['list'], x.io)).toBe(2);
    expect(x.err.join('')).toContain('--config <file>');
  });
});

describe('keys CLI offline on a file it cannot use', () => {
  const dir = mkdtempSync(join(tmpdir(), 'keys-cli-bad-'));

  it('refuses broken YAML with exit 1, naming the file, and leaves it as it was', async () => {
    const file = join(dir, 'broken.yaml');
    writeFileSync(file, 'auth:\n  keys: [\n');
    for (const args of [['list'], ['issue', '--tenant', 'acme']]) {
      const c = io();
      expect(await run([...args, '--config', file], c.io)).toBe(1);
      expect(c.out).toEqual([]);
      expect(c.err.join('')).toMatch(new RegExp(`^keys ${args[0]}: ${file}: not valid YAML: `));
    }
    expect(readFileSync(file, 'utf8')).toBe('auth:\n  keys: [\n');
  });

  it('refuses broken JSON naming the file', async () => {
    const file = join(dir, 'broken.json');
    writeFileSync(file, '{"auth": ');
    const c = io();
    expect(await run(['list', '--config', file], c.io)).toBe(1);
    expect(c.err.join('')).toContain(`keys list: ${file}: not valid JSON: `);
  });

  it('refuses an empty file, a top level that is no mapping and auth.keys that is no list', async () => {
    // Until 2026-12-07: "Cannot read properties of null (reading 'auth')", a TypeError's words.
    const cases: [string, string, string][] = [
      ['empty.yaml', '', 'is empty: a config is a mapping (auth.keys, deployments, …)'],
      [
        'list.yaml',
        '- a\n- b\n',
        'its top level is a list, not a mapping (auth.keys, deployments, …)',
      ],
      ['scalar.json', '5', 'its top level is 5, not a mapping (auth.keys, deployments, …)'],
      ['keys.yaml', 'auth:\n  keys: 5\n', 'auth.keys must be a list of keys'],
      ['auth.yaml', 'auth: 5\n', 'auth must be a mapping'],
    ];
    for (const [name, text, says] of cases) {
      const file = join(dir, name);
      writeFileSync(file, text);
      for (const args of [['list'], ['issue', '--tenant', 'acme'], ['revoke', 'k1']]) {
        const c = io();
        expect(await run([...args, '--config', file], c.io)).toBe(1);
        expect(c.err.join('')).toBe(`keys ${args[0]}: ${file}: ${says}\n`);
      }
      expect(readFileSync(file, 'utf8')).toBe(text);
    }
  });

  it('refuses --scopes that names no scope rather than issuing a key for everything', async () => {
    // Until 2026-12-07 `--scopes ""` (an empty $SCOPES, say) issued a key with every scope ('*').
    const file = join(dir, 'scopes.yaml');
    writeFileSync(file, YAML);
    for (const scopes of ['', ' ', ',', ' , ']) {
      const c = io();
      expect(
        await run(['issue', '--tenant', 'acme', '--scopes', scopes, '--config', file], c.io),
      ).toBe(1);
      expect(c.err.join('')).toBe(
        `keys issue: --scopes ${JSON.stringify(scopes)} names no scope: give router or deployment names (a,b; a prefix ending in *; * for all), or leave --scopes out for all\n`,
      );
      expect(c.out).toEqual([]);
    }
    expect(readFileSync(file, 'utf8')).toBe(YAML);
  });

  it('says which config file it cannot read, and why, in words', async () => {
    const c = io();
    expect(await run(['list', '--config', join(dir, 'missing.yaml')], c.io)).toBe(1);
    expect(c.err.join('')).toBe(
      `keys list: ${join(dir, 'missing.yaml')}: cannot read the config file: no such file\n`,
    );
    const d = io();
    expect(await run(['list', '--config', dir], d.io)).toBe(1);
    expect(d.err.join('')).toBe(`keys list: ${dir}: cannot read the config file: a directory\n`);
  });

  it('says so when the file has no keys, rather than printing nothing', async () => {
    const file = join(dir, 'no-keys.yaml');
    writeFileSync(file, YAML);
    const c = io();
    expect(await run(['list', '--config', file], c.io)).toBe(0);
    expect(c.out).toEqual([]);
    expect(c.err.join('')).toBe(`no keys in ${file} (auth.keys)\n`);
    const j = io();
    expect(await run(['list', '--json', '--config', file], j.io)).toBe(0);
    expect(JSON.parse(j.text())).toEqual([]);
  });
});

describe('keys CLI online (--url) against the admin key routes', () => {
  let app: FastifyInstance;
  let url = '';
  let keys: KeyStore;
  const ADMIN = 'mr-admin-bootstrap-for-tests';
  beforeAll(async () => {
    keys = new KeyStore({
      state: new MemoryState(systemClock),
      clock: systemClock,
      configKeys: () => [],
      adminKey: ADMIN,
    });
    app = Fastify();
    app.setErrorHandler((err, _req, reply) => sendError(reply, err));
    app.addHook('onRequest', async (request) => {
      (request as unknown as { auth: unknown }).auth = authenticate(
        request.headers,
        { mode: () => 'keys', keys, clock: systemClock },
        request.ip,
      );
    });
    registerKeyRoutes(app, keys);
    url = await app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(() => app.close());

  it('names an unknown field of an issue or rotate body, with a hint when it is near a known one', async () => {
    const post = (path: string, body: unknown) =>
      fetch(`${url}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const bogus = await post('/admin/v1/keys', { tenant: 't', bogus: 1 });
    expect(bogus.status).toBe(400);
    expect(((await bogus.json()) as { error: unknown }).error).toMatchObject({
      message: 'bogus: unknown key (check the spelling; docs/configuration.md lists every key)',
      param: 'bogus',
    });
    const near = await post('/admin/v1/keys', { tenant: 't', scope: ['a'] });
    expect(((await near.json()) as { error: unknown }).error).toMatchObject({
      message: expect.stringMatching(/^scope: unknown key; did you mean "scopes"\?/),
      param: 'scope',
    });
  });

  it('issues, lists and revokes through the API; non-admin keys get 403', async () => {
    const a = io({ MODEL_ROUTER_ADMIN_KEY: ADMIN });
    expect(
      await run(
        [
          'issue',
          '--url',
          url,
          '--tenant',
          'beta',
          '--id',
          'svc',
          '--tpm',
          '1000',
          '--allow-ip',
          '203.0.113.7',
          '--allow-ip',
          '127.0.0.1', // the router sees this test's calls come from loopback
        ],
        a.io,
      ),
    ).toBe(0);
    const key = a.out.join('').trim();
    expect(keys.findByKey(key)).toMatchObject({
      id: 'svc',
      tenant: 'beta',
      rateLimit: { tpm: 1000 },
      allowedIps: ['203.0.113.7', '127.0.0.1'],
      createdBy: 'admin-env',
    });
    const badIp = io({ MODEL_ROUTER_ADMIN_KEY: ADMIN });
    expect(
      await run(['issue', '--url', url, '--tenant', 'beta', '--allow-ip', 'intranet'], badIp.io),
    ).toBe(1);
    expect(badIp.err.join('')).toContain('keys issue: HTTP 400: allowedIps.0: "intranet" is not');

    const l = io({ MODEL_ROUTER_ADMIN_KEY: ADMIN });
    expect(await run(['list', '--url', url, '--json'], l.io)).toBe(0);
    const listed = JSON.parse(l.out.join('')) as { id: string }[];
    expect(listed.map((k) => k.id).sort()).toEqual(['admin-env', 'svc']);
    expect(l.out.join('')).not.toMatch(/[0-9a-f]{64}/);
    expect(listed.find((k) => k.id === 'svc')).toMatchObject({ rateLimit: { tpm: 1000 } });
    const text = io({ MODEL_ROUTER_ADMIN_KEY: ADMIN });
    expect(await run(['list', '--url', url], text.io)).toBe(0);
    expect(text.out.join('')).toContain(
      'svc\ttenant=beta\tscopes=*\ttpm=1000 from 203.0.113.7,127.0.0.1\n',
    );

    const denied = io();
    expect(await run(['list', '--url', url, '--admin-key', key], denied.io)).toBe(1);
    expect(denied.err.join('')).toBe('keys list: HTTP 403: API key svc is not an admin key.\n');

    const wrong = io();
    expect(await run(['list', '--url', url, '--admin-key', 'mr-not-a-real-key'], wrong.io)).toBe(1);
    expect(wrong.err.join('')).toContain('HTTP 401');
    expect(wrong.err.join('')).not.toContain('mr-not-a-real-key');

    const rot = io({ MODEL_ROUTER_ADMIN_KEY: ADMIN });
    expect(await run(['rotate', 'svc', '--url', url, '--grace', '30m'], rot.io)).toBe(0);
    const rotated = rot.out.join('').trim();
    expect(rotated).toMatch(/^mr-/);
    const graceEnd = keys.list().find((k) => k.id === 'svc')?.oldSecretExpiresAt;
    expect(rot.err.join('')).toBe(
      `rotated key svc; the secret it replaces works until ${graceEnd}; store the new one now, it is not shown again (only its sha256 is kept)\n`,
    );
    // 30 minutes after the rotation (its rotatedAt), to the millisecond.
    const rotatedAt = keys.list().find((k) => k.id === 'svc')?.rotatedAt;
    expect(Date.parse(graceEnd!) - Date.parse(rotatedAt!)).toBe(1_800_000);
    expect([keys.findByKey(key)?.id, keys.findByKey(rotated)?.id]).toEqual(['svc', 'svc']);
    const now = io({ MODEL_ROUTER_ADMIN_KEY: ADMIN });
    expect(await run(['rotate', 'svc', '--url', url, '--grace', '0'], now.io)).toBe(0);
    const third = now.out.join('').trim();
    expect(now.err.join('')).toContain('the secret it replaces is refused from now on');
    // The first secret keeps its 30 minutes; the second, rotated with no grace, is refused.
    expect(keys.findByKey(key)?.id).toBe('svc');
    expect(keys.findByKey(rotated)).toBeUndefined();
    expect(keys.findByKey(third)?.id).toBe('svc');
    const unknown = io({ MODEL_ROUTER_ADMIN_KEY: ADMIN });
    expect(await run(['rotate', 'nobody', '--url', url], unknown.io)).toBe(1);
    expect(unknown.err.join('')).toBe('keys rotate: HTTP 404: No API key with id "nobody".\n');

    const r = io({ MODEL_ROUTER_ADMIN_KEY: ADMIN });
    expect(await run(['revoke', 'svc', '--url', url], r.io)).toBe(0);
    expect(keys.findByKey(key)).toBeUndefined();
    expect(keys.findByKey(third)).toBeUndefined();
    const again = io({ MODEL_ROUTER_ADMIN_KEY: ADMIN });
    expect(await run(['revoke', 'svc', '--url', url], again.io)).toBe(1);
    expect(again.err.join('')).toContain('HTTP 404');
  });
});
