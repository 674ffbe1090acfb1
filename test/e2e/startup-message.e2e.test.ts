// The built server's first screen tells a first-time user what to do next: where to point OpenAI,
// Azure and Anthropic clients, whether a key is needed, the dashboard, and an admin key that works.
import { afterEach, describe, expect, it } from 'vitest';
import { spawnServer, type SpawnedServer } from '../helpers/spawn-server.js';
import { testConfigInput } from '../helpers/test-config.js';

let server: SpawnedServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

/** The server's output once it holds `text` (the message's last line); fails after 10 s. */
async function outputHolding(s: SpawnedServer, text: string): Promise<string> {
  const deadline = Date.now() + 10_000;
  while (!s.output().includes(text)) {
    if (Date.now() > deadline)
      throw new Error(`"${text}" never reached the output:\n${s.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return s.output();
}

describe('startup message', () => {
  it('says where to point clients and prints an admin key that opens the admin API', async () => {
    server = await spawnServer(
      testConfigInput({ auth: { mode: 'none', adminKeyEnv: 'MODEL_ROUTER_ADMIN_KEY' } }),
      { MODEL_ROUTER_ADMIN_KEY: undefined },
    );
    const base = server.baseUrl;
    const out = await outputHolding(server, '  next ');
    expect(out).toContain(`model-router listening on ${base}\n`);
    expect(out).toContain(`  OpenAI      base URL ${base}/v1, model "model-router"\n`);
    expect(out).toContain(
      `  Anthropic   base URL ${base} (POST /v1/messages), model "model-router"\n`,
    );
    expect(out).toContain('  API keys    none needed (auth.mode: none)');
    expect(out).toContain(`  dashboard   ${base}/dashboard (sign in with the admin key)\n`);
    const key = /\n {2}admin key {3}(\S+) \(this run only; set MODEL_ROUTER_ADMIN_KEY/.exec(
      out,
    )?.[1];
    expect(key).toMatch(/^mr-/);
    const res = await fetch(`${base}/admin/v1/routers`, {
      headers: { authorization: `Bearer ${key}` },
    });
    expect(res.status).toBe(200);
  });
});
